"""Reads of the weekly round: the live round of a week, its submission deadline, the units it ranks, the last
published round before it, and the result as CONTRACTS §3 exports it. Scoped reads for pages: ranking.access."""

import datetime as dt

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from dudao.core import weeks
from dudao.org.models import Unit, town_code
from dudao.ranking import lifecycle, sourcefile
from dudao.ranking.models import (
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


def ranked_units(campaign) -> dict[str, sourcefile.Ranked]:
    """The villages and communities of the campaign's county with their township."""
    return {code: sourcefile.Ranked(code, town_code(path), active)
            for code, path, active in Unit.objects.of_campaign(campaign).ranked().values_list("code", "path", "active")}


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


def export_rows(round_: Round) -> list[dict]:
    """CONTRACTS §3 "Result export": one row per ranked village, in position order."""
    rows = (Result.objects.filter(round=round_, position__isnull=False).order_by("position", "unit__code")
            .values_list("unit__code", "unit__name", "town__code", "composite", "position", "tier", "red_streak",
                         "escalated", "p_town", "p_inspection", "p_drone"))
    return [export_row(*row) for row in rows]


# For the pages ---------------------------------------------------------------------------------------------


def town_villages(campaign, town: Unit) -> list[Unit]:
    """The township's active villages and communities, which its ranking must order, by code."""
    codes = [code for code, unit in ranked_units(campaign).items() if unit.town == town.code and unit.active]
    return list(Unit.objects.filter(code__in=codes).order_by("code"))


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
