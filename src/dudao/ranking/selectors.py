"""Reads of the weekly round: the live round of a week, its submission deadline, the units it ranks, the last
published round before it, and the result as CONTRACTS §3 exports it. Scoped reads for pages: ranking.access."""

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.db.models import Avg, CharField, Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from dudao.core import weeks
from dudao.org.models import Unit, town_code
from dudao.ranking import lifecycle, sourcefile
from dudao.ranking.models import (
    SOURCES,
    Entry,
    RankingSettings,
    Reminder,
    Result,
    Round,
    RoundStatus,
    SourceName,
    Submission,
    Tier,
)


def round_live(campaign, week: str) -> Round | None:
    """The week's round people see: the latest revision that is not superseded."""
    return Round.objects.filter(campaign=campaign, week=week).exclude(status=RoundStatus.SUPERSEDED).first()


def submission_deadline(settings: RankingSettings, week: str) -> dt.datetime:
    """The township submission deadline of a week under the settings: their weekday and time, local time."""
    year, number = weeks.parse_week(week)
    day = dt.date.fromisocalendar(year, number, settings.deadline_weekday)
    return timezone.make_aware(dt.datetime.combine(day, settings.deadline_time))


def deadline(round_: Round) -> dt.datetime:
    """The submission deadline of the round's week (its settings' weekday and time, local time)."""
    return submission_deadline(round_.settings, round_.week)


NARROWED_UP_TO = 100  # townships: a file naming villages of more (the office's whole source) is checked against all
NARROWED_CODES_UP_TO = 20_000  # codes: a file naming more is checked against all without looking them up first


def ranked_units(campaign, named: set[str] | None = None) -> dict[str, sourcefile.Ranked]:
    """The villages and communities of the campaign's county with their township. With ``named`` (codes), at least
    those and every other village of their townships: what a file naming them is checked against. A township's
    file is so checked without reading the whole province's units."""
    units = Unit.objects.of_campaign(campaign).ranked()
    if named is not None and len(named) <= NARROWED_CODES_UP_TO:
        towns = {town_code(path) for path in units.filter(code__in=named).values_list("path", flat=True)}
        if len(towns) <= NARROWED_UP_TO:
            subtrees = (Q(path__startswith=path) for path in  # each township's subtree, as UnitQuerySet.under
                        Unit.objects.filter(code__in=towns).order_by("code").values_list("path", flat=True))
            units = units.filter(functools.reduce(operator.or_, subtrees, Q(pk__in=[])))
    return {code: sourcefile.Ranked(code, town_code(path), active)
            for code, path, active in units.values_list("code", "path", "active")}


def towns_not_submitted(campaign, round_: Round | None) -> QuerySet[Unit]:
    """The campaign's active townships that have not handed in their ranking for the round's week (every one
    while the week has no round)."""
    submitted = (Submission.objects.filter(round=round_, source=SourceName.TOWN).values_list("town_id", flat=True)
                 if round_ is not None else [])
    return Unit.objects.of_campaign(campaign).towns().filter(active=True).exclude(pk__in=submitted).order_by("code")


def published_round(campaign, week: str) -> Round | None:
    """The week's published round: the live revision once published, else - while a correction awaits approval -
    the revision published before it (the latest revision ever published)."""
    return (Round.objects.filter(campaign=campaign, week=week, status__in=lifecycle.PUBLISHED_ONCE)
            .select_related("settings").order_by("-revision").first())


def latest_published_round(campaign) -> Round | None:
    """The campaign's published round of the latest week."""
    return Round.objects.filter(campaign=campaign, status=RoundStatus.PUBLISHED).order_by("-week_start").first()


def previous_published(round_: Round) -> Round | None:
    """The campaign's last published round of a week before the round's."""
    return (Round.objects.filter(campaign=round_.campaign, status=RoundStatus.PUBLISHED,
                                 week_start__lt=round_.week_start).order_by("-week_start").first())


def export_row(code, name, town_code, composite, position, tier, streak, escalated, p_town, p_inspection,
               p_drone) -> dict:
    """One row of CONTRACTS §3 "Result export", its columns in the contract's order."""
    return {"code": code, "name": name, "town_code": town_code, "composite": composite, "position": position,
            "tier": tier, "red_streak": streak, "escalated": escalated, "p_town": p_town,
            "p_inspection": p_inspection, "p_drone": p_drone}


def export_rows(round_: Round, results: QuerySet[Result] | None = None) -> list[dict]:
    """CONTRACTS §3 "Result export": one row per ranked village, in position order; of the villages of
    ``results`` (the round's results narrowed to a user's area or a township) when given."""
    rows = (Result.objects.all() if results is None else results).filter(round=round_, position__isnull=False)
    return [export_row(*row) for row in rows.order_by("position", "unit__code").values_list(
        "unit__code", "unit__name", "town__code", "composite", "position", "tier", "red_streak", "escalated",
        "p_town", "p_inspection", "p_drone")]


def tier_counts_by_round(results: QuerySet[Result]) -> dict[int, dict[str, int]]:
    """Ranked villages per tier of each round among ``results`` (round id → tier → count, every tier present)."""
    counts: dict[int, dict[str, int]] = {}
    for round_id, tier, count in (results.filter(position__isnull=False).order_by()
                                  .values_list("round_id", "tier").annotate(n=Count("pk"))):
        counts.setdefault(round_id, dict.fromkeys(Tier.values, 0))[tier] = count
    return counts


def rounds_newest_first(campaign, statuses=None) -> QuerySet[Round]:
    """The campaign's rounds (of the given statuses), the latest week first, its latest revision first."""
    rounds = Round.objects.filter(campaign=campaign)
    if statuses is not None:
        rounds = rounds.filter(status__in=statuses)
    return rounds.select_related("settings").order_by("-week_start", "-revision")


@dataclass(frozen=True)
class Movers:
    """How a round's villages moved against the campaign's last published round of an earlier week
    (``previous``; None when there is none): red to green, green to red, red now and not in the last published
    round (``new_red``, green to red included), and escalated (red ``threshold`` rounds in a row or more). Each
    list holds the round's Results (with unit and town), in position order."""

    previous: Round | None
    threshold: int
    red_to_green: list[Result]
    green_to_red: list[Result]
    new_red: list[Result]
    escalated: list[Result]

    def counts(self) -> dict[str, int]:
        return {"red_to_green": len(self.red_to_green), "green_to_red": len(self.green_to_red),
                "new_red": len(self.new_red), "escalated": len(self.escalated)}


def movers(round_: Round, results: QuerySet[Result] | None = None) -> Movers:
    """The round's movers (Movers) among all its ranked villages, or among ``results`` (the round's results
    narrowed to a user's area or a township) when given. One query whatever the number of villages: only the
    rows that moved are read, each with its tier in the last published round (``before``)."""
    rows = (Result.objects.all() if results is None else results).filter(round=round_, position__isnull=False)
    previous = previous_published(round_)
    if previous is not None:
        rows = rows.annotate(before=Subquery(Result.objects.filter(round=previous, unit=OuterRef("unit"))
                                             .values("tier")[:1]))
    else:
        rows = rows.annotate(before=Value("", output_field=CharField()))
    moved = list(rows.filter(Q(tier=Tier.RED) | Q(tier=Tier.GREEN, before=Tier.RED))
                 .select_related("unit", "unit__parent", "town").order_by("position", "unit__code"))
    return Movers(
        previous=previous, threshold=round_.settings.escalation_threshold,
        red_to_green=[r for r in moved if r.tier == Tier.GREEN and r.before == Tier.RED],
        green_to_red=[r for r in moved if r.tier == Tier.RED and r.before == Tier.GREEN],
        new_red=[r for r in moved if r.tier == Tier.RED and r.before != Tier.RED],
        escalated=[r for r in moved if r.tier == Tier.RED and r.escalated])


# For the pages ---------------------------------------------------------------------------------------------


def town_villages(campaign, town: Unit) -> list[Unit]:
    """The township's active villages and communities, which its ranking must order, by code."""
    return list(Unit.objects.of_campaign(campaign).ranked().under(town).filter(active=True).order_by("code"))


def last_town_entries(campaign, villages: list[Unit]) -> list[Entry]:
    """The township's entries of the latest week in which it has any."""
    last = (Entry.objects.filter(round__campaign=campaign, source=SourceName.TOWN, unit__in=villages)
            .exclude(round__status=RoundStatus.SUPERSEDED).order_by("-round__week_start")
            .values_list("round_id", flat=True).first())
    if last is None:
        return []
    return list(Entry.objects.filter(round_id=last, source=SourceName.TOWN, unit__in=villages))


def town_rows(campaign, round_: Round | None) -> list[tuple[Unit, Submission | None]]:
    """The campaign's active townships, each with its submission of the round's township source (or None)."""
    submitted = ({s.town_id: s for s in Submission.objects.filter(round=round_, source=SourceName.TOWN)}
                 if round_ else {})
    towns = Unit.objects.of_campaign(campaign).towns().filter(active=True).order_by("code")
    return [(town, submitted.get(town.pk)) for town in towns]


def town_submission(round_: Round | None, town: Unit) -> tuple[Submission | None, Reminder | None]:
    """The township's submission of the round's township source and the office's latest reminder to it."""
    if round_ is None:
        return None, None
    return (Submission.objects.filter(round=round_, source=SourceName.TOWN, town=town).first(),
            Reminder.objects.filter(round=round_, town=town).first())


def independent_submissions(round_: Round | None) -> list[Submission]:
    """Who delivered the round's inspection and drone sources."""
    if round_ is None:
        return []
    return list(Submission.objects.filter(round=round_, source__in=[SourceName.INSPECTION, SourceName.DRONE]))


def revisions_of(campaign, week: str, statuses=None) -> list[Round]:
    """The week's revisions (of the given statuses), oldest first."""
    rounds = Round.objects.filter(campaign=campaign, week=week)
    if statuses is not None:
        rounds = rounds.filter(status__in=statuses)
    return list(rounds.select_related("settings").order_by("revision"))


def recent_rounds(campaign, statuses=None, limit: int = 60) -> list[Round]:
    rounds = Round.objects.filter(campaign=campaign)
    if statuses is not None:
        rounds = rounds.filter(status__in=statuses)
    return list(rounds.order_by("-week_start", "-revision")[:limit])


def revision_shown(revisions: list[Round], revision: str) -> Round | None:
    """The revision asked for (?revision=N), else the live one, else the latest; None when none matches."""
    if not revisions:
        return None
    if revision:
        return next((r for r in revisions if str(r.revision) == revision.strip()), None)
    live = [r for r in revisions if r.status != RoundStatus.SUPERSEDED]
    return live[0] if live else revisions[-1]


def result_rows(results: QuerySet[Result], town: str = "") -> QuerySet[Result]:
    """A round's results (already scoped to a user's area) in position order, the unranked last; of one township
    when ``town`` names it."""
    if town:
        results = results.filter(town__code=town)
    return results.select_related("unit", "town").order_by(F("position").asc(nulls_last=True), "unit__code")


def tier_counts(results: QuerySet[Result]) -> dict[str, int]:
    """How many of the results are of each tier (every tier, 0 when none), the unranked (no tier) under ""."""
    counted = dict(results.order_by().values_list("tier").annotate(n=Count("id")))
    return {tier: counted.get(tier, 0) for tier in [*Tier.values, ""]}


def result_towns(results: QuerySet[Result]) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=results.values("town_id")).order_by("code")


def neighbour_weeks(campaign, round_: Round, statuses) -> dict[str, str | None]:
    """The weeks before and after the round's with a round of the given statuses."""
    shown = Round.objects.filter(campaign=campaign, status__in=statuses)
    before = shown.filter(week_start__lt=round_.week_start).order_by("-week_start").values_list("week", flat=True)
    after = shown.filter(week_start__gt=round_.week_start).order_by("week_start").values_list("week", flat=True)
    return {"previous_week": before.first(), "next_week": after.first()}


def result_counts(round_: Round) -> tuple[int, int]:
    """How many villages the round ranked, and how many it listed without a rank."""
    ranked = round_.results.filter(position__isnull=False).count()
    return ranked, round_.results.filter(position__isnull=True).count()


def village_history(unit: Unit, campaign, statuses) -> list[Result]:
    """A village's result of each week, newest first: the week's latest revision of the given statuses (a
    superseded one while its correction is a draft)."""
    history, seen = [], set()
    for row in (Result.objects.filter(unit=unit, round__campaign=campaign, round__status__in=statuses)
                .select_related("round", "round__settings", "town")
                .order_by("-round__week_start", "-round__revision")):
        if row.round.week not in seen:
            seen.add(row.round.week)
            history.append(row)
    return history


def village_result(unit: Unit, campaign, statuses, week: str, revision: str = "") -> Result | None:
    """A village's result of one week (its latest revision of the given statuses, or revision ``revision``)."""
    chosen = (Result.objects.filter(unit=unit, round__campaign=campaign, round__status__in=statuses,
                                    round__week=week)
              .select_related("round", "round__settings", "town").order_by("-round__revision"))
    if revision:
        chosen = chosen.filter(round__revision=revision if revision.isdigit() else -1)
    return chosen.first()


def scores_of(round_: Round | None, source: str, villages: list[Unit] | None = None) -> dict[int, float | None]:
    """The scores in one source of the round (unit id → score), of the given villages or all."""
    if round_ is None:
        return {}
    entries = Entry.objects.filter(round=round_, source=source)
    if villages is not None:
        entries = entries.filter(unit__in=villages)
    return dict(entries.values_list("unit_id", "score"))


def settings_versions(campaign, limit: int = 20) -> list[RankingSettings]:
    return list(RankingSettings.objects.filter(campaign=campaign).order_by("-version")[:limit])


# For the dashboard -----------------------------------------------------------------------------------------


def dashboard_weeks(campaign, statuses) -> list[str]:
    """The weeks with a round of the given statuses, newest first (the dashboard's week picker)."""
    rows = (Round.objects.filter(campaign=campaign, status__in=statuses).order_by("-week_start")
            .values_list("week", flat=True).distinct())
    return list(dict.fromkeys(rows))


@dataclass(frozen=True)
class LeagueRow:
    """One township's line of the week's league: its villages per tier, their mean composite, and the change
    from the previous published round (None when it has none)."""

    town: Unit
    green: int
    yellow: int
    red: int
    unranked: int
    mean: float | None
    mean_change: float | None
    red_change: int | None


def _league_counts(round_: Round | None, area: Q | None) -> dict[int, dict]:
    if round_ is None:
        return {}
    rows = Result.objects.filter(round=round_)
    if area is not None:
        rows = rows.filter(area)
    return {row["town_id"]: row for row in rows.order_by().values("town_id").annotate(
        green=Count("pk", filter=Q(tier=Tier.GREEN)), yellow=Count("pk", filter=Q(tier=Tier.YELLOW)),
        red=Count("pk", filter=Q(tier=Tier.RED)), unranked=Count("pk", filter=Q(position__isnull=True)),
        mean=Avg("composite"))}


def league(round_: Round, *, previous: Round | None = None, area: Q | None = None) -> list[LeagueRow]:
    """The week's township league (see LeagueRow), best mean composite first; three queries whatever the number
    of villages (aggregated in the database)."""
    now, before = _league_counts(round_, area), _league_counts(previous, area)
    towns = Unit.objects.in_bulk(list(now))
    out = []
    for town_id, row in now.items():
        last = before.get(town_id)
        mean = row["mean"]
        out.append(LeagueRow(
            towns[town_id], row["green"], row["yellow"], row["red"], row["unranked"], mean,
            None if last is None or mean is None or last["mean"] is None else mean - last["mean"],
            None if last is None else row["red"] - last["red"]))
    return sorted(out, key=lambda r: (r.mean is None, -(r.mean or 0.0), r.town.code))


@dataclass(frozen=True)
class RoundState:
    """What the round holds and waits for: entries per source, the townships' submissions (on time, late,
    missing), and who acts next."""

    round: Round
    sources: dict[str, int]
    towns_on_time: int
    towns_late: list[Unit]
    towns_missing: list[Unit]
    # What the round waits for: "sources" (townships or sources missing), "compute", "request" (the office asks
    # for approval), "publish" (no second office user needed), "approval" (a second office user), "" (published).
    waiting_for: str


def round_state(round_: Round, *, area: Q | None = None) -> RoundState:
    """The round's state for the dashboard, of the townships and villages matching ``area`` (a Q on Unit, e.g.
    org.access.area_q on "") when given. Three queries whatever the number of villages."""
    entries = Entry.objects.filter(round=round_)
    towns = Unit.objects.of_campaign(round_.campaign).towns().filter(active=True)
    if area is not None:
        entries = entries.filter(unit__in=Unit.objects.filter(area))
        towns = towns.filter(area)
    sources = {name: 0 for name in SourceName.values}
    sources.update(dict(entries.order_by().values_list("source").annotate(n=Count("pk"))))
    submitted = {s.town_id: s for s in Submission.objects.filter(round=round_, source=SourceName.TOWN,
                                                                   town__in=towns)}
    ordered = list(towns.order_by("code"))
    late = [t for t in ordered if t.pk in submitted and submitted[t.pk].late]
    missing = [t for t in ordered if t.pk not in submitted]
    if round_.status == RoundStatus.COLLECTING:
        waiting = "sources" if missing or not all(sources.values()) else "compute"
    elif round_.status == RoundStatus.COMPUTED:
        waiting = "request" if round_.settings.four_eyes else "publish"
    else:
        waiting = "approval" if round_.status == RoundStatus.PENDING else ""
    return RoundState(round_, sources, len(submitted) - len(late), late, missing, waiting)


# What a round still misses, for the office's buttons ------------------------------------------------------------


@dataclass(frozen=True)
class VillageGap:
    """A village the round's sources leave thin: no source at all, or one source only (which then alone sets its
    tier)."""

    unit: Unit
    town: Unit | None
    sources: tuple[str, ...]  # the sources covering it, SOURCES order
    result: Result | None  # its draft or published result, once the round is computed


@dataclass(frozen=True)
class Readiness:
    """What the office must see next to compute, request, approve and publish: the townships that did not submit,
    the villages with no source and those ranked on one source only (the township's list alone among them), the
    flagged checks, and the counts an approval confirms."""

    round: Round | None
    towns_missing: list[Unit]
    no_source: list[VillageGap]
    one_source: list[VillageGap]
    town_only: list[VillageGap]  # of one_source: covered by the township's own list alone
    flagged_towns: list  # checks.TownAgreement, flagged
    flips: int  # villages whose tier turns on a weight (checks.sensitivity), counted once
    ranked: int
    tiers: dict[str, int]  # green, yellow, red among the computed results
    agreement_threshold: float

    @property
    def has_gaps(self) -> bool:
        return bool(self.towns_missing or self.no_source or self.one_source or self.flagged_towns or self.flips)


def readiness(campaign, round_: Round | None) -> Readiness:
    """The readiness of a week's round for publishing (CONTRACTS §3): read from its entries and submissions in
    every state, and from its results and checks once it is computed."""
    from dudao.ranking import checks  # checks builds on services, which build on these selectors

    settings = round_.settings if round_ is not None else RankingSettings(campaign=campaign)
    missing = list(towns_not_submitted(campaign, round_))
    if round_ is None:
        return Readiness(None, missing, [], [], [], [], 0, 0, {t: 0 for t in Tier.values},
                         settings.agreement_threshold)
    covered: dict[int, set[str]] = {}
    for unit_id, source in Entry.objects.filter(round=round_).values_list("unit_id", "source"):
        covered.setdefault(unit_id, set()).add(source)
    results = {r.unit_id: r for r in Result.objects.filter(round=round_)}
    computed = round_.status in lifecycle.WITH_RESULTS and bool(results)
    ids = set(Unit.objects.of_campaign(campaign).ranked().filter(active=True).values_list("pk", flat=True))
    if computed:
        ids |= set(results)  # an inactive village still listed in the round's result
    towns = {t.code: t for t in Unit.objects.of_campaign(campaign).towns()}
    no_source: list[VillageGap] = []
    one_source: list[VillageGap] = []
    for unit in Unit.objects.filter(pk__in=ids).order_by("path"):
        sources = tuple(s for s in SOURCES if s in covered.get(unit.pk, ()))
        if len(sources) > 1:
            continue
        gap = VillageGap(unit, towns.get(town_code(unit.path)), sources, results.get(unit.pk))
        (one_source if sources else no_source).append(gap)
    flagged, flips = [], 0
    if computed:
        kept = checks.round_checks(round_)
        flagged = [a for a in kept.agreement if a.flagged]
        flips = len({unit.pk for flip in kept.flips for unit in flip.units})
    ranked = [r for r in results.values() if r.position is not None]
    return Readiness(
        round_, missing, no_source, one_source, [g for g in one_source if g.sources == (SourceName.TOWN,)],
        flagged, flips, len(ranked), {t: sum(1 for r in ranked if r.tier == t) for t in Tier.values},
        settings.agreement_threshold)


# For the trends ------------------------------------------------------------------------------------------------


def trend_rounds(campaign, statuses) -> list[Round]:
    """One round per week with results, oldest week first: the week's latest revision of the given statuses (the
    published one for PUBLISHED_ONCE; a draft correction too when the statuses include drafts). One query."""
    chosen: dict[str, Round] = {}
    for round_ in (Round.objects.filter(campaign=campaign, status__in=frozenset(statuses) & lifecycle.WITH_RESULTS)
                   .select_related("settings").order_by("week_start", "revision")):
        chosen[round_.week] = round_
    return list(chosen.values())


_RANKED: dict[tuple[int, str], int] = {}  # (round id, result digest) -> villages ranked, in this process


def ranked_counts(rounds: list[Round]) -> dict[int, int]:
    """How many villages each round ranked (round id → count; a round that ranked none is left out). At most one
    query: a computed round's count is kept by its result digest, which is the digest of exactly its ranked rows
    (services.ranking_compute), so a village's page does not count a year of a province's results each time."""
    counts: dict[int, int] = {}
    asked = []
    for round_ in rounds:
        known = _RANKED.get((round_.pk, round_.result_digest)) if round_.result_digest else None
        if known is None:
            asked.append(round_)
        elif known:
            counts[round_.pk] = known
    if asked:
        found = dict(Result.objects.filter(round__in=asked, position__isnull=False).order_by()
                     .values_list("round_id").annotate(n=Count("pk")))
        for round_ in asked:
            if round_.result_digest:
                _RANKED[(round_.pk, round_.result_digest)] = found.get(round_.pk, 0)
        counts.update(found)
    return counts


def village_trend(unit: Unit, rounds: list[Round]) -> list[Result]:
    """The village's result in each of the rounds (trend_rounds), oldest week first; a week without a result of
    the village is left out. One query."""
    by_round = {r.round_id: r for r in Result.objects.filter(unit=unit, round__in=rounds)}
    out = []
    for round_ in rounds:
        row = by_round.get(round_.pk)
        if row is not None:
            row.round = round_  # already loaded, with its settings
            out.append(row)
    return out


@dataclass(frozen=True)
class TownWeek:
    """A township's villages per tier in one round, with the unranked and the mean composite."""

    round: Round
    green: int
    yellow: int
    red: int
    unranked: int
    mean: float | None


def town_trend(town: Unit, rounds: list[Round], *, area: Q | None = None) -> list[TownWeek]:
    """The township's tier counts in each of the rounds (trend_rounds), oldest week first, of the villages matching
    ``area`` (a Q on Result) when given; a week without a result in the township is left out. One query."""
    rows = Result.objects.filter(town=town, round__in=rounds)
    if area is not None:
        rows = rows.filter(area)
    counts = {row["round_id"]: row for row in rows.order_by().values("round_id").annotate(
        green=Count("pk", filter=Q(tier=Tier.GREEN)), yellow=Count("pk", filter=Q(tier=Tier.YELLOW)),
        red=Count("pk", filter=Q(tier=Tier.RED)), unranked=Count("pk", filter=Q(position__isnull=True)),
        mean=Avg("composite"))}
    return [TownWeek(r, c["green"], c["yellow"], c["red"], c["unranked"], c["mean"])
            for r in rounds if (c := counts.get(r.pk)) is not None]


TIER_ORDER: tuple[str, ...] = (Tier.GREEN.value, Tier.YELLOW.value, Tier.RED.value)


@dataclass(frozen=True)
class Transitions:
    """Tier changes between consecutive rounds: for each pair (before, after) of rounds, how many villages went
    from each tier to each tier (villages with a tier in both); ``total`` sums every pair."""

    pairs: list[tuple[Round, Round, dict[tuple[str, str], int]]]

    @property
    def total(self) -> dict[tuple[str, str], int]:
        out = {(a, b): 0 for a in TIER_ORDER for b in TIER_ORDER}
        for _before, _after, counts in self.pairs:
            for key, n in counts.items():
                out[key] += n
        return out


def transitions(rounds: list[Round], *, area: Q | None = None) -> Transitions:
    """The tier transitions between each consecutive pair of the rounds (trend_rounds, oldest first), of the
    villages matching ``area`` (a Q on Result) when given. One query, whatever the number of weeks and villages: the
    tiers are read once and paired here."""
    rows = Result.objects.filter(round__in=rounds, tier__in=TIER_ORDER)
    if area is not None:
        rows = rows.filter(area)
    tiers: dict[int, dict[int, str]] = {}
    for round_id, unit_id, tier in rows.order_by().values_list("round_id", "unit_id", "tier"):
        tiers.setdefault(round_id, {})[unit_id] = tier
    pairs = []
    for before, after in zip(rounds, rounds[1:], strict=False):
        counts = {(a, b): 0 for a in TIER_ORDER for b in TIER_ORDER}
        then, now = tiers.get(before.pk, {}), tiers.get(after.pk, {})
        for unit_id, tier in now.items():
            if unit_id in then:
                counts[(then[unit_id], tier)] += 1
        pairs.append((before, after, counts))
    return Transitions(pairs)


# For the public portal -------------------------------------------------------------------------------------------


def published_stamp(campaign) -> str:
    """A short text that changes whenever a round of the campaign is published (a new week or a correction) and
    otherwise never: what is derived from published rounds can be kept under it. One query."""
    row = (Round.objects.filter(campaign=campaign, status__in=lifecycle.PUBLISHED_ONCE).order_by()
           .aggregate(n=Count("pk"), last=Max("pk"), at=Max("published_at")))
    at = row["at"].timestamp() if row["at"] is not None else 0
    return f"{row['n']}.{row['last'] or 0}.{at:.6f}"
