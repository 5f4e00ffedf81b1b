"""The weekly round: collecting the three sources, computing, publishing, revising (CONTRACTS §3).

Every transition is one function here, atomic and audit-logged; the arithmetic is dudao.ranking.engine.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dudao.accounts import access
from dudao.accounts.actors import actor_label, actor_user, is_actor, recorded_by
from dudao.audit.services import audit_record
from dudao.core import weeks
from dudao.core.errors import Refused
from dudao.core.tables import Problem, Table, TableRefused, read_table
from dudao.org.access import area_roots
from dudao.org.models import Unit
from dudao.ranking import engine, lifecycle, sourcefile
from dudao.ranking.access import can_submit_for_town, can_submit_inspection
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
from dudao.ranking.selectors import deadline, export_row, previous_published, ranked_units, towns_not_submitted

TIER_CODES = {1: Tier.GREEN, 2: Tier.YELLOW, 3: Tier.RED}
OPEN = lifecycle.OPEN


# Why a transition of the round's lifecycle (lifecycle.ROUND) is refused in the round's present state.
REFUSALS = {
    "compute": gettext_lazy("Week %(week)s is %(status)s and cannot be recomputed."),
    "publish": gettext_lazy("Week %(week)s must be computed before it is published (it is %(status)s)."),
    "request": gettext_lazy("Week %(week)s must be computed before it is published (it is %(status)s)."),
    "approve": gettext_lazy("Week %(week)s is not awaiting approval."),
    "withdraw": gettext_lazy("Week %(week)s is not awaiting approval."),
    "revise": gettext_lazy("Only a published week is revised; week %(week)s can still be changed directly."),
}


def _begin(actor, campaign, week: str, transition: str) -> tuple[Round, str]:
    """The office's permission, the week's live round locked for update, and the lifecycle's check: the round
    and the status the transition leads to."""
    access.require_office(actor)
    round_ = _round_for_update(campaign, week, create=False)
    try:
        return round_, lifecycle.next_status(round_.status, transition)
    except lifecycle.TransitionRefused:
        raise Refused("transition_refused",
                      str(REFUSALS[transition]) % {"week": week, "status": round_.get_status_display()}) from None


@dataclass
class ImportReport:
    entries: int = 0
    late: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# Settings ---------------------------------------------------------------------------------------------


def settings_current(campaign) -> RankingSettings:
    current = RankingSettings.objects.filter(campaign=campaign).order_by("-version").first()
    if current is None:
        current, _created = RankingSettings.objects.get_or_create(campaign=campaign, version=1)
    return current


SETTING_FIELDS = ("weight_town", "weight_inspection", "weight_drone", "green_count", "red_count", "green_label",
                  "yellow_label", "red_label", "green_colour", "yellow_colour", "red_colour", "escalation_threshold",
                  "deadline_weekday", "deadline_time", "red_needs_independent", "four_eyes", "agreement_weeks",
                  "agreement_threshold")


def settings_snapshot(settings: RankingSettings) -> dict:
    return {name: str(getattr(settings, name)) if name == "deadline_time" else getattr(settings, name)
            for name in SETTING_FIELDS}


def settings_update(*, actor, campaign, **changes) -> RankingSettings:
    """A new settings version with the changes; rounds already computed keep theirs."""
    access.require_office(actor)
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    for name in ("green_colour", "yellow_colour", "red_colour"):
        if name in changes and not re.fullmatch(r"#[0-9a-fA-F]{6}", str(changes[name])):
            raise ValueError(f"{name} must be a colour like #c0392b")
    with transaction.atomic():
        current = settings_current(campaign)
        values = {name: getattr(current, name) for name in SETTING_FIELDS} | changes
        if any(values[w] < 0 for w in ("weight_town", "weight_inspection", "weight_drone")):
            raise ValueError("weights must not be negative")
        if not -1 <= values["agreement_threshold"] <= 1:
            raise ValueError("agreement_threshold must lie between -1 and 1")
        new = RankingSettings.objects.create(campaign=campaign, version=current.version + 1, **values)
        audit_record(actor=actor, action="ranking.settings", object_type="campaign", object_id=campaign.slug,
                     before=settings_snapshot(current) | {"version": current.version},
                     after=settings_snapshot(new) | {"version": new.version})
    return new


# Rounds -----------------------------------------------------------------------------------------------


def _round_for_update(campaign, week: str, create: bool) -> Round:
    weeks.parse_week(week)
    live = (Round.objects.select_for_update().filter(campaign=campaign, week=week)
            .exclude(status=RoundStatus.SUPERSEDED).first())
    if live is None:
        if not create:
            raise Refused("no_round", _("There is no round for week %(week)s.") % {"week": week})
        try:
            with transaction.atomic():
                live = Round.objects.create(campaign=campaign, week=week, week_start=weeks.week_start(week),
                                            settings=settings_current(campaign))
        except IntegrityError:
            # Another transaction created the week's round at the same moment: lock that one once it commits.
            live = (Round.objects.select_for_update().filter(campaign=campaign, week=week)
                    .exclude(status=RoundStatus.SUPERSEDED).get())
    return live


def _refuse_if_closed(round_: Round) -> None:
    if round_.status not in OPEN:
        raise TableRefused([Problem("published_week", 0, {"week": round_.week})])


def ranking_import(*, actor, campaign, week: str, source: str, data: bytes, filename: str = "",
                   town: Unit | None = None) -> ImportReport:
    """Replace one source's entries for a week with a file's, all or nothing.

    From the command line and the office the whole source is replaced; a township's own submission (``town``)
    replaces only that township's part of the `town` source, and an inspector's submission only the part of the
    `inspection` source in the townships of their inspection groups.
    """
    if source not in SourceName.values:
        raise ValueError(source)
    scope = _submission_scope(actor, source, town)
    try:
        table = read_table(data, filename, max_rows=sourcefile.MAX_ROWS)
        return _import_table(actor, campaign, week, source, table, scope)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)


def ranking_submit_order(*, actor, campaign, week: str, town: Unit, codes: list[str]) -> ImportReport:
    """A township's ranking given as its villages in order, best first (the drag-and-drop page)."""
    scope = _submission_scope(actor, SourceName.TOWN, town)
    table = Table(["code", "rank"], [(n + 2, [code, str(n + 1)]) for n, code in enumerate(codes)], "form")
    if not codes:
        return ImportReport(problems=[Problem("empty")])
    try:
        return _import_table(actor, campaign, week, SourceName.TOWN, table, scope)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)


def _submission_scope(actor, source: str, town: Unit | None) -> list[Unit] | None:
    """The townships whose part of the source a submission replaces (None: the whole source), or
    PermissionDenied."""
    if town is not None:
        if source != SourceName.TOWN or not can_submit_for_town(actor, town):
            raise PermissionDenied
        return [town]
    if access.is_office(actor):
        return None
    if source == SourceName.INSPECTION and can_submit_inspection(actor):
        return area_roots(actor) or []
    raise PermissionDenied


@transaction.atomic
def _import_table(actor, campaign, week: str, source: str, table: Table, scope: list[Unit] | None) -> ImportReport:
    round_ = _round_for_update(campaign, week, create=True)
    _refuse_if_closed(round_)
    if source == SourceName.INSPECTION and round_.inspection_from_field:
        raise TableRefused([Problem("field_inspections", 0, {"week": week})])
    if source == SourceName.DRONE and round_.drone_from_photos:
        raise TableRefused([Problem("drone_photos", 0, {"week": week})])
    named = sourcefile.codes_named(table)
    ranked = ranked_units(campaign, named)
    all_codes = set(Unit.objects.filter(code__in=named).values_list("code", flat=True))
    rows, kind, problems = sourcefile.parse_source(table, ranked, all_codes, source,
                                                   towns=None if scope is None else {t.code for t in scope})
    if problems:
        raise TableRefused(problems)
    units = dict(Unit.objects.filter(code__in=[r.code for r in rows]).values_list("code", "pk"))
    old = Entry.objects.filter(round=round_, source=source)
    if scope is not None:
        in_scope = Q(pk__in=[])
        for scope_town in scope:
            in_scope |= Q(unit__path__startswith=scope_town.path)
        old = old.filter(in_scope)
    old.delete()
    Entry.objects.bulk_create([Entry(round=round_, source=source, unit_id=units[r.code], rank=r.rank, score=r.score)
                               for r in rows], batch_size=1000)
    now = timezone.now()
    late = now > deadline(round_)
    if source == SourceName.TOWN:
        towns_in_file: list[str | None] = [*sorted({ranked[r.code].town for r in rows})]
    elif scope is not None:
        towns_in_file = [t.code for t in sorted(scope, key=lambda t: t.code)]
    else:
        towns_in_file = [None]
    town_units = {u.code: u for u in Unit.objects.filter(code__in=[t for t in towns_in_file if t])}
    for town_code in towns_in_file:
        Submission.objects.filter(round=round_, source=source, town=town_units.get(town_code or "")).delete()
        count = sum(1 for r in rows if town_code is None or ranked[r.code].town == town_code)
        Submission.objects.create(round=round_, source=source, town=town_units.get(town_code or ""),
                                  submitted_at=now, late=late, entries=count,
                                  **recorded_by("submitted_by", actor))
    if scope is None:
        # The whole source was replaced: drop submissions of townships the file no longer contains.
        Submission.objects.filter(round=round_, source=source).exclude(submitted_at=now).delete()
    round_.status = lifecycle.next_status(round_.status, "collect")
    # New entries make the draft result stale: it is removed until the next computation.
    Result.objects.filter(round=round_).delete()
    round_.computed_at = None
    round_.result_digest = ""
    round_.save()
    digest = hashlib.sha256(json.dumps([[r.code, r.rank, r.score] for r in rows]).encode()).hexdigest()
    audit_record(actor=actor, action="ranking.import", object_type="round", object_id=f"{campaign.slug}/{week}",
                 after={"source": source, "kind": kind, "entries": len(rows),
                        "scope": None if scope is None else [t.code for t in scope],
                        "late": late, "sha256": digest, "revision": round_.revision})
    return ImportReport(entries=len(rows), late=late)


FIELD_SUBMITTER = "field:inspections"


FED, CLOSED, UPLOADED = "fed", "closed", "uploaded"
FED_FLAG: dict[str, str] = {SourceName.INSPECTION: "inspection_from_field", SourceName.DRONE: "drone_from_photos"}
FED_BY: dict[str, str] = {SourceName.INSPECTION: FIELD_SUBMITTER, SourceName.DRONE: "field:drone"}


def source_feed(*, actor, campaign, week: str, source: str, scores: Callable[[], dict[int, float]]) -> str:
    """Replace the week's inspection or drone source with scores captured in Dudao itself (unit id → score),
    and mark the round so that a hand upload of that source is refused: FED. Nothing changes when the week is
    published or awaiting approval (CLOSED) or when the source was uploaded as a sheet (UPLOADED: a week's
    source comes from one or the other, never a silent mix). ``scores`` is called once the round is locked:
    read before, it would miss a score committed meanwhile, and overwrite it. Called by dudao.inspections with
    every inspection and by dudao.drone with every score, so nobody types those scores twice."""
    with transaction.atomic():
        round_ = _round_for_update(campaign, week, create=True)
        if round_.status not in OPEN:
            return CLOSED
        if Submission.objects.filter(round=round_, source=source).exclude(submitted_by_label=FED_BY[source]).exists():
            return UPLOADED
        by_unit = scores()
        Entry.objects.filter(round=round_, source=source).delete()
        Entry.objects.bulk_create([Entry(round=round_, source=source, unit_id=unit, score=score)
                                   for unit, score in sorted(by_unit.items())], batch_size=1000)
        Submission.objects.filter(round=round_, source=source).delete()
        now = timezone.now()
        Submission.objects.create(round=round_, source=source, town=None, submitted_by_label=FED_BY[source],
                                  submitted_at=now, late=now > deadline(round_), entries=len(by_unit))
        round_.status = lifecycle.next_status(round_.status, "collect")
        Result.objects.filter(round=round_).delete()
        round_.computed_at = None
        round_.result_digest = ""
        setattr(round_, FED_FLAG[source], True)
        round_.save()
        # The inspection or drone score itself is audit-logged by the caller; this records the source's new state.
        audit_record(actor=actor, action=f"ranking.{source}_feed", object_type="round",
                     object_id=f"{campaign.slug}/{week}", after={"villages": len(by_unit), "revision": round_.revision})
    return FED


@transaction.atomic
def reminders_record(*, actor, campaign, week: str) -> list[Unit]:
    """Record the office's reminder to every active township that has not submitted its ranking for the week
    (the township's submission page shows it); the townships reminded. Telling them is dudao.publication's
    (services.towns_remind calls this, then tells their staff and group robots)."""
    access.require_office(actor)
    round_ = _round_for_update(campaign, week, create=True)
    if round_.status not in OPEN:
        raise Refused("transition_refused", _("Week %(week)s is %(status)s: there is nothing to remind.")
                              % {"week": week, "status": round_.get_status_display()})
    towns = list(towns_not_submitted(campaign, round_))
    now = timezone.now()
    Reminder.objects.bulk_create([Reminder(round=round_, town=t, sent_at=now, **recorded_by("sent_by", actor))
                                  for t in towns])
    if towns:
        audit_record(actor=actor, action="ranking.remind", object_type="round", object_id=f"{campaign.slug}/{week}",
                     after={"towns": [t.code for t in towns]})
    return towns


# Computing --------------------------------------------------------------------------------------------


def engine_sources(round_: Round, index: dict[int, int], town_of: dict[int, int], settings: RankingSettings):
    weights = settings.weights()
    sources = []
    for name in SOURCES:
        entries = list(Entry.objects.filter(round=round_, source=name).values_list("unit_id", "rank", "score"))
        entries = [e for e in entries if e[0] in index]
        if not entries:
            continue
        village = np.fromiter((index[e[0]] for e in entries), dtype=np.int64, count=len(entries))
        if name == SourceName.TOWN:
            scope = np.fromiter((town_of[e[0]] for e in entries), dtype=np.int64, count=len(entries))
            value = _town_values(entries, scope)
            sources.append(engine.Source(name, village, value, "rank", scope=scope, weight=weights[name]))
        else:
            kind = "rank" if entries[0][1] is not None else "score"
            value = np.array([e[1] if kind == "rank" else e[2] for e in entries], dtype=np.float64)
            sources.append(engine.Source(name, village, value, kind, weight=weights[name]))
    return sources


def _town_values(entries, scope: np.ndarray) -> np.ndarray:
    """Township parts may come as ranks or as scores: scores become competition ranks within their township
    (ties stay tied), which orders them exactly as the scores do."""
    values = np.empty(len(entries), dtype=np.float64)
    for position, (_unit, rank, _score) in enumerate(entries):
        values[position] = rank if rank is not None else np.nan
    scored = np.isnan(values)
    if scored.any():
        scores = np.array([e[2] if e[1] is None else np.nan for e in entries], dtype=np.float64)
        for town in np.unique(scope[scored]):
            members = np.flatnonzero(scored & (scope == town))
            s = scores[members]
            values[members] = 1 + (s[None, :] > s[:, None]).sum(axis=1)
    return values


@transaction.atomic
def ranking_compute(*, actor, campaign, week: str) -> Round:
    """Compute (or recompute) the draft result of a week from its entries, with the current settings."""
    round_, status = _begin(actor, campaign, week, "compute")
    settings = settings_current(campaign)
    round_.settings = settings
    units = list(Unit.objects.of_campaign(campaign).ranked().order_by("code")
                 .values_list("pk", "code", "name", "path", "active"))
    index = {pk: n for n, (pk, *_rest) in enumerate(units)}
    town_pk = dict(Unit.objects.of_campaign(campaign).towns().values_list("code", "pk"))
    town_index = {code: n for n, code in enumerate(sorted(town_pk))}
    town_of = {pk: town_index[path[-26:-14]] for pk, _code, _name, path, _active in units}
    # Villages with no entry at all are listed as not ranked only when active.
    covered = set(Entry.objects.filter(round=round_).values_list("unit_id", flat=True))
    sources = engine_sources(round_, index, town_of, settings)
    result = engine.compute(len(units), sources, green=settings.green_count, red=settings.red_count)
    only_town = np.zeros(len(units), dtype=bool)
    if settings.red_needs_independent:
        independent = np.zeros(len(units), dtype=bool)
        for name in ("inspection", "drone"):
            if name in result.percentile:
                independent |= ~np.isnan(result.percentile[name])
        only_town = ~independent
    previous = previous_published(round_)
    streak_before = dict(Result.objects.filter(round=previous).values_list("unit_id", "red_streak")) \
        if previous else {}
    # Plain Python lists once, rather than numpy scalars one by one.
    nothing = [None] * len(units)
    r_cols = [_floats(result.frac_rank[s]) if s in result.frac_rank else nothing for s in SOURCE_VALUES]
    p_cols = [_floats(result.percentile[s]) if s in result.percentile else nothing for s in SOURCE_VALUES]
    composite, position = _floats(result.composite), result.position.tolist()
    tier_codes, capped_mask, ranked_mask = result.tier.tolist(), only_town.tolist(), result.ranked().tolist()
    rows, exported = [], []
    for n, (pk, code, name, path, active) in enumerate(units):
        if not ranked_mask[n] and pk not in covered and not active:
            continue
        tier = TIER_CODES.get(tier_codes[n], "")
        capped = tier == Tier.RED and capped_mask[n]
        if capped:
            tier = Tier.YELLOW
        streak = streak_before.get(pk, 0) + 1 if tier == Tier.RED else 0
        escalated = streak >= settings.escalation_threshold
        town = path[-26:-14]
        rows.append((round_.pk, pk, town_pk[town], composite[n], position[n] or None, str(tier), streak, escalated,
                     *(col[n] for col in r_cols), *(col[n] for col in p_cols), capped))
        if position[n]:
            exported.append(export_row(code, name, town, composite[n], position[n], str(tier), streak, escalated,
                                        *(col[n] for col in p_cols)))
    Result.objects.filter(round=round_).delete()
    _insert_results(rows)
    round_.status = status
    round_.computed_at = timezone.now()
    exported.sort(key=lambda row: (row["position"], row["code"]))
    round_.result_digest = results_digest(exported)
    round_.save()
    tiers = {t: sum(1 for r in rows if r[5] == t) for t in Tier.values}
    audit_record(actor=actor, action="ranking.compute", object_type="round", object_id=f"{campaign.slug}/{week}",
                 after={"revision": round_.revision, "settings_version": settings.version,
                        "ranked": len(exported), "tiers": tiers, "sha256": round_.result_digest})
    return round_


SOURCE_VALUES = tuple(SourceName.values)
RESULT_COLUMNS = ("round_id", "unit_id", "town_id", "composite", "position", "tier", "red_streak", "escalated",
                  *(f"r_{s}" for s in SOURCE_VALUES), *(f"p_{s}" for s in SOURCE_VALUES), "capped")


def _insert_results(rows: list[tuple]) -> None:
    """One prepared INSERT run over all rows: a province's 65,000 results in well under a second, where building
    65,000 model instances would take seconds."""
    table = connection.ops.quote_name(Result._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in RESULT_COLUMNS)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(RESULT_COLUMNS))})"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one round trip; executemany would wait on the server row by row.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start: start + 5000])


def _floats(array: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in array.tolist()]  # NaN is the only value not equal to itself


def results_digest(rows: list[dict]) -> str:
    """SHA-256 over the export rows, one tab-separated line each in the contract's column order."""
    text = "\n".join("\t".join("" if v is None else str(v) for v in row.values()) for row in rows)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Publishing -------------------------------------------------------------------------------------------
# Publishing a round is one act of dudao.publication (results, then interviews, the bulletin and the notices, in
# one transaction); the round's own part is here: the checks before, and the change of state after.


@dataclass(frozen=True)
class Publishing:
    """A round checked and locked for publishing, with the status it goes to and who approved it (None when it
    is published directly)."""

    round: Round
    status: str
    approver: Any


def publishing_begin(*, actor, campaign, week: str, approve: bool, reason: str = "",
                     confirmed: bool = True) -> Publishing:
    """Check and lock the week's round for publishing: the second office user's approval of a request
    (``approve``), or directly (the command line, or the web when the settings turn four eyes off). Only inside
    the transaction of dudao.publication.services, which goes on to do the whole act.

    An approval must be ``confirmed`` (the page's confirmation names the week and its counts). While townships
    have not submitted their own ranking, publishing needs a stated reason: ``reason``, or the one given with the
    request; it is kept on the round and printed in the bulletin."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publishing runs inside the transaction of dudao.publication")
    if approve:
        round_, status = _begin(actor, campaign, week, "approve")
        if is_actor(round_.requested_by_id, round_.requested_by_label, actor):
            raise Refused("same_user", _("The approval must come from another office user than the one who "
                                         "requested it."))
        approver = actor
    else:
        round_, status = _begin(actor, campaign, week, "publish")
        if actor.pk is not None and round_.settings.four_eyes:
            raise Refused("four_eyes", _("Publishing needs a second office user's approval: request it instead."))
        approver = None
    if not confirmed:
        raise Refused("confirmation_required", _("Confirm the week and its counts before publishing week "
                                                 "%(week)s.") % {"week": week})
    round_.publish_reason = _publish_reason(campaign, round_, reason or round_.publish_reason)
    return Publishing(round_, status, approver=approver)


def _publish_reason(campaign, round_: Round, reason: str) -> str:
    """The reason kept on the round: required while townships have not submitted, dropped when none is missing."""
    missing = list(towns_not_submitted(campaign, round_))
    if not missing:
        return ""
    if not reason.strip():
        raise Refused("missing_towns_reason", ngettext(
            "%(count)s township has not submitted its ranking (%(names)s): state the reason for publishing week "
            "%(week)s without it.",
            "%(count)s townships have not submitted their ranking (%(names)s): state the reason for publishing week "
            "%(week)s without them.", len(missing))
            % {"count": len(missing), "names": "、".join(t.name for t in missing), "week": round_.week})
    return reason.strip()


def publishing_finish(*, actor, publishing: Publishing, audit: dict) -> Round:
    """Mark the round published and audit-log it with what publishing it caused (``audit``)."""
    round_ = publishing.round
    round_.status = publishing.status
    round_.published_at = timezone.now()
    if round_.requested_by_label:  # the requester publishes, with the approver's consent
        round_.published_by_id, round_.published_by_label = round_.requested_by_id, round_.requested_by_label
    else:
        round_.published_by, round_.published_by_label = actor_user(actor), actor_label(actor)
    approver = publishing.approver
    round_.approved_by = actor_user(approver) if approver is not None else None
    round_.approved_by_label = actor_label(approver) if approver is not None else ""
    round_.save()
    missing = [t.code for t in towns_not_submitted(round_.campaign, round_)]
    audit_record(actor=actor, action="ranking.publish", object_type="round",
                 object_id=f"{round_.campaign.slug}/{round_.week}",
                 after={"revision": round_.revision, "sha256": round_.result_digest,
                        "approved_by": round_.approved_by_label, "missing_towns": missing,
                        "reason": round_.publish_reason} | audit)
    return round_


@transaction.atomic
def ranking_request_publication(*, actor, campaign, week: str, reason: str = "") -> Round:
    """Ask another office user to approve the week's publication; while townships have not submitted their own
    ranking, with the reason for publishing without them (the approver sees it, the bulletin prints it)."""
    round_, status = _begin(actor, campaign, week, "request")
    round_.publish_reason = _publish_reason(campaign, round_, reason)
    round_.status = status
    round_.requested_by, round_.requested_by_label = actor_user(actor), actor_label(actor)
    round_.save(update_fields=["status", "requested_by", "requested_by_label", "publish_reason"])
    audit_record(actor=actor, action="ranking.request_publication", object_type="round",
                 object_id=f"{campaign.slug}/{week}", after={
                     "revision": round_.revision, "sha256": round_.result_digest,
                     "missing_towns": [t.code for t in towns_not_submitted(campaign, round_)],
                     "reason": round_.publish_reason})
    return round_


@transaction.atomic
def ranking_withdraw(*, actor, campaign, week: str) -> Round:
    round_, status = _begin(actor, campaign, week, "withdraw")
    round_.status = status
    round_.save(update_fields=["status"])
    audit_record(actor=actor, action="ranking.withdraw", object_type="round", object_id=f"{campaign.slug}/{week}",
                 after={"revision": round_.revision})
    return round_


@transaction.atomic
def ranking_revise(*, actor, campaign, week: str, reason: str) -> Round:
    """Open a new revision of a published week, with the same entries; the published one stays visible."""
    access.require_office(actor)
    if not reason.strip():
        raise Refused("reason_required", _("A revision needs a stated reason."))
    old, status = _begin(actor, campaign, week, "revise")
    old.status = status
    old.save(update_fields=["status"])
    new = Round.objects.create(campaign=campaign, week=week, week_start=old.week_start, revision=old.revision + 1,
                               settings=settings_current(campaign), revision_reason=reason.strip())
    Entry.objects.bulk_create([Entry(round=new, source=e.source, unit_id=e.unit_id, rank=e.rank, score=e.score)
                               for e in old.entries.all()])
    Submission.objects.bulk_create([
        Submission(round=new, source=s.source, town_id=s.town_id, submitted_by_id=s.submitted_by_id,
                   submitted_by_label=s.submitted_by_label,
                   submitted_at=s.submitted_at, late=s.late, entries=s.entries) for s in old.submissions.all()])
    audit_record(actor=actor, action="ranking.revise", object_type="round", object_id=f"{campaign.slug}/{week}",
                 before={"revision": old.revision, "sha256": old.result_digest},
                 after={"revision": new.revision, "reason": new.revision_reason})
    return new
