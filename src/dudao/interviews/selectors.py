"""Scoped reads of interviews: the list with its filters and counts, overdue interviews and commitments, an
official's history. Everything a user sees starts from interviews_visible_to."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dudao.interviews import lifecycle
from dudao.interviews.access import interviews_visible_to
from dudao.interviews.models import ROLE_ORDER, Commitment, Interview, InterviewReason, Outcome, OutcomeKind
from dudao.org.models import Unit


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def interview_overdue_q(today: dt.date | None = None) -> Q:
    """Not held by the hold-by date (lifecycle.interview_overdue)."""
    return Q(status__in=lifecycle.AWAITING, hold_by__lt=_today(today))


def commitment_overdue_q(today: dt.date | None = None, prefix: str = "") -> Q:
    """Not reported done by the due date (lifecycle.commitment_overdue)."""
    return Q(**{f"{prefix}status": lifecycle.OPEN, f"{prefix}due_date__lt": _today(today)})


def overdue_q(today: dt.date | None = None) -> Q:
    """An interview overdue itself, or with an overdue commitment."""
    # One uncorrelated subquery (the interviews with a late commitment), not an EXISTS per interview: the same
    # rows, computed once (SQLite ran the correlated form per interview: 150 ms for the demo's list).
    late = Commitment.objects.filter(commitment_overdue_q(today)).values("interview_id")
    return interview_overdue_q(today) | Q(pk__in=late)


def overdue_interviews(rows: QuerySet[Interview] | None = None, today: dt.date | None = None) -> QuerySet[Interview]:
    rows = Interview.objects.all() if rows is None else rows
    return (rows.filter(interview_overdue_q(today))
            .select_related("round", "village", "village__parent", "unit", "person")
            .order_by("hold_by", "village__code", "pk"))


def overdue_commitments(rows: QuerySet[Interview] | None = None,
                        today: dt.date | None = None) -> QuerySet[Commitment]:
    commitments = Commitment.objects.filter(commitment_overdue_q(today))
    if rows is not None:
        commitments = commitments.filter(interview__in=rows)
    return (commitments.select_related("interview", "interview__round", "interview__village",
                                       "interview__village__parent", "interview__unit", "interview__person")
            .order_by("due_date", "interview__village__code", "interview_id", "position", "pk"))


@dataclass(frozen=True)
class Filters:
    status: str = ""
    week: str = ""
    town: str = ""
    overdue: bool = False
    person: int | None = None
    unit: Unit | None = None  # interviews about the villages under this unit (a township, a village)


def covering_q(unit: Unit) -> Q:
    """Interviews about a red village under ``unit`` (a township or a village): any village the interview covers,
    not only its main one."""
    covered = Interview.villages.through.objects.filter(unit__path__startswith=unit.path).values("interview_id")
    return Q(pk__in=covered)


def interviews_filtered(user, filters: Filters, today: dt.date | None = None) -> QuerySet[Interview]:
    rows = interviews_visible_to(user).select_related("round", "village", "village__parent", "unit",
                                                               "person").prefetch_related("villages")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.week:
        rows = rows.filter(round__week=filters.week)
    if filters.town:
        town = Unit.objects.filter(code=filters.town, level="town").first()
        rows = rows.filter(covering_q(town)) if town else rows.none()
    if filters.person is not None:
        rows = rows.filter(person_id=filters.person)
    if filters.unit is not None:
        rows = rows.filter(covering_q(filters.unit))
    if filters.overdue:
        rows = rows.filter(overdue_q(today))
    return rows


def counts(rows: QuerySet[Interview], today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Counts by status, week and township (of the red village), and the overdue, for the list's side panel."""
    return {
        "status": dict(rows.order_by().values_list("status").annotate(n=Count("pk"))),
        "week": dict(rows.order_by().values_list("round__week").annotate(n=Count("pk"))),
        "town": dict(rows.order_by().values_list("village__parent__code").annotate(n=Count("pk"))),
        "overdue": {"interviews": rows.filter(interview_overdue_q(today)).count(),
                    "commitments": Commitment.objects.filter(commitment_overdue_q(today),
                                                             interview__in=rows).count(),
                    "any": rows.filter(overdue_q(today)).count()},
    }


def annotate_flags(interviews: list[Interview], today: dt.date | None = None) -> None:
    """Set ``overdue`` (the interview itself) and ``late_commitments`` (how many of its commitments are overdue)
    on each interview of a page, with one query."""
    today = _today(today)
    late = dict(Commitment.objects.filter(commitment_overdue_q(today), interview__in=[i.pk for i in interviews])
                .order_by().values_list("interview_id").annotate(n=Count("pk")))
    for interview in interviews:
        interview.overdue = lifecycle.interview_overdue(interview.status, interview.hold_by, today)  # type: ignore[attr-defined]
        interview.late_commitments = late.get(interview.pk, 0)  # type: ignore[attr-defined]


def round_interviews(round_) -> list[Interview]:
    """The interviews a round called for, per village: its own officials first (head, liaison), then its
    township's (ROLE_ORDER)."""
    if round_ is None:
        return []
    rows = list(Interview.objects.filter(round=round_).select_related("village", "unit", "person")
                .prefetch_related("villages"))
    rows.sort(key=lambda i: (i.village.code, i.reason != InterviewReason.RED, ROLE_ORDER.get(i.role, 99), i.pk))
    return rows


@dataclass(frozen=True)
class Outstanding:
    """What the given interviews (already scoped to a user's area) still owe: how many the week's round
    called (the cancelled too, as the list of the week shows them); of every week, the interviews not yet held
    (pending, scheduled) and those of them overdue, the commitments open and those of them overdue, and the
    commitments reported done awaiting the office's verification."""

    week_called: int
    pending: int
    scheduled: int
    overdue: int
    commitments_open: int
    commitments_overdue: int
    commitments_done: int


def outstanding(rows: QuerySet[Interview], week: str, today: dt.date | None = None) -> Outstanding:
    """Outstanding for the dashboard: two aggregate queries whatever the number of interviews."""
    today = _today(today)
    interviews = rows.order_by().aggregate(
        week_called=Count("pk", filter=Q(round__week=week)),
        pending=Count("pk", filter=Q(status=lifecycle.PENDING)),
        scheduled=Count("pk", filter=Q(status=lifecycle.SCHEDULED)),
        overdue=Count("pk", filter=interview_overdue_q(today)))
    commitments = Commitment.objects.filter(interview__in=rows).order_by().aggregate(
        commitments_open=Count("pk", filter=Q(status=lifecycle.OPEN)),
        commitments_overdue=Count("pk", filter=commitment_overdue_q(today)),
        commitments_done=Count("pk", filter=Q(status=lifecycle.DONE)))
    return Outstanding(**interviews, **commitments)


# Outcomes (问责追究) ----------------------------------------------------------------------------------------


def current_outcomes_q(prefix: str = "") -> Q:
    """The outcomes in force: not superseded by a revision."""
    return Q(**{f"{prefix}superseded_by__isnull": True})


def outcomes_of_person(user, person) -> QuerySet[Outcome]:
    """A person's outcomes, revised ones too, of the interviews the user sees: the latest interview first, each
    interview's records in the order they were made."""
    return (Outcome.objects.filter(person=person, interview__in=interviews_visible_to(user))
            .select_related("interview", "interview__round", "interview__village", "interview__village__parent",
                            "interview__unit", "post", "post__unit", "superseded_by", "recorded_by",
                            "recorded_by__person")
            .prefetch_related("interview__villages")
            .order_by("-interview__round__week_start", "-interview_id", "recorded_at", "pk"))


def outcomes_of_interview(interview: Interview) -> list[Outcome]:
    return list(interview.outcomes.select_related("superseded_by", "recorded_by", "recorded_by__person")
                .order_by("recorded_at", "pk"))


@dataclass(frozen=True)
class TownOutcomes:
    """The outcomes in force of one township's interviews (of its red villages), per kind in
    OutcomeKind's order."""

    code: str
    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def outcome_counts_by_town(rows: QuerySet[Interview]) -> list[TownOutcomes]:
    """Per township (of the interview's red village, as the list's counts), how many outcomes of each kind are in
    force among the given interviews: one query; townships without an outcome are left out."""
    counted: dict[tuple[str, str], dict[str, int]] = {}
    for code, name, kind, n in (Outcome.objects.filter(current_outcomes_q(), interview__in=rows.order_by().values("pk"))
                                .order_by().values_list("interview__village__parent__code",
                                                        "interview__village__parent__name", "kind")
                                .annotate(n=Count("pk"))):
        counted.setdefault((code, name), {})[kind] = n
    return [TownOutcomes(code, name, tuple(kinds.get(k, 0) for k in OutcomeKind.values))
            for (code, name), kinds in sorted(counted.items())]
