"""Scoped reads of problems: lists with filters and counts, "my tasks", and the statistics the bulletin and
dashboard use. Everything starts from problems_visible_to."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from dudao.accounts import access
from dudao.accounts.models import Role
from dudao.core import weeks
from dudao.problems import lifecycle
from dudao.problems.access import problems_visible_to
from dudao.problems.models import CalendarDay, Category, Problem, Status


def overdue_q(now: dt.datetime | None = None) -> Q:
    return Q(status__in=lifecycle.AWAITING_VILLAGE, deadline__lt=now or timezone.now())


def tasks_q(user) -> Q:
    """What waits for this user's hand, by role."""
    role = access.effective_role(user)
    if role in (Role.COUNTY_ADMIN, Role.OFFICE):
        return Q(status__in=[Status.REPORTED, Status.REGISTERED, Status.VERIFIED, Status.RECTIFIED])
    if role == Role.TOWN_STAFF:
        return Q(status__in=[Status.REPORTED, Status.REGISTERED, Status.RECTIFIED, Status.VERIFIED])
    if role == Role.INSPECTOR:
        return Q(status=Status.RECTIFIED) & ~Q(rectified_by_id=user.pk)
    if role == Role.VILLAGE_STAFF:
        return Q(status__in=[Status.DISPATCHED, Status.RETURNED])
    return Q(pk__in=[])


@dataclass(frozen=True)
class Filters:
    status: str = ""
    town: str = ""
    village: str = ""
    category: str = ""
    overdue: bool = False
    mine: bool = False
    q: str = ""
    week: str = ""  # reported during the ISO week
    reached: str = ""  # a stage of the loop the problem reached (REACHED), whatever its status now


# A stage of the loop → the time the problem first reached it (the dashboard's funnel).
REACHED = {"dispatched": "dispatched_at", "rectified": "first_rectified_at", "verified": "verified_at",
           "closed": "closed_at"}


def week_q(week: str) -> Q:
    """Reported during the ISO week (local time)."""
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(week), dt.time()))
    return Q(reported_at__gte=start, reported_at__lt=start + dt.timedelta(days=7))


def problems_filtered(user, filters: Filters) -> QuerySet[Problem]:
    rows = problems_visible_to(user).select_related("category", "village", "town", "grid")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.town:
        rows = rows.filter(town__code=filters.town)
    if filters.village:
        rows = rows.filter(village__code=filters.village)
    if filters.category:
        rows = rows.filter(category__code=filters.category)
    if filters.overdue:
        rows = rows.filter(overdue_q())
    if filters.mine:
        rows = rows.filter(tasks_q(user))
    if filters.q:
        rows = rows.filter(Q(description__contains=filters.q) | Q(village__name__contains=filters.q))
    if filters.week:
        rows = rows.filter(week_q(filters.week))
    if filters.reached in REACHED:
        rows = rows.exclude(status=Status.CANCELLED).filter(**{f"{REACHED[filters.reached]}__isnull": False})
    return rows


def counts(rows: QuerySet[Problem]) -> dict[str, dict[str, int]]:
    """Counts by status, category, township and overdue, for the list's side panel."""
    return {
        "status": dict(rows.order_by().values_list("status").annotate(n=Count("pk"))),
        "category": dict(rows.order_by().values_list("category__code").annotate(n=Count("pk"))),
        "town": dict(rows.order_by().values_list("town__code").annotate(n=Count("pk"))),
        "overdue": {"overdue": rows.filter(overdue_q()).count()},
    }


@dataclass
class Stats:
    found: int = 0
    rectified_on_time: int = 0
    overdue: int = 0
    rework: int = 0
    open: int = 0


def problem_stats(campaign, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None,
                  by: str = "village") -> dict[int, Stats]:
    """Per village (or township) for problems reported in [start, end): found (not cancelled), rectified on time
    (first rectification by the deadline and since verified or closed), overdue (past the deadline unrectified
    now, or rectified after it), rework (times returned), open (not yet closed)."""
    now = now or timezone.now()
    key = "village_id" if by == "village" else "town_id"
    stats: dict[int, Stats] = {}
    rows = (Problem.objects.filter(campaign=campaign, reported_at__gte=start, reported_at__lt=end)
            .exclude(status=Status.CANCELLED)
            .values_list(key, "status", "deadline", "first_rectified_at", "rework_count"))
    for unit, status, due, rectified, rework in rows:
        s = stats.setdefault(unit, Stats())
        s.found += 1
        s.rework += rework
        if status not in lifecycle.FINISHED:
            s.open += 1
        late_fix = rectified is not None and due is not None and rectified > due
        if lifecycle.is_overdue(status, due, now) or late_fix:
            s.overdue += 1
        if status in (Status.VERIFIED, Status.CLOSED) and rectified is not None and due is not None \
                and rectified <= due:
            s.rectified_on_time += 1
    return stats


def categories(campaign, active: bool | None = None) -> QuerySet[Category]:
    """The campaign's problem categories in their order (only the active ones, or only the inactive ones, when
    ``active`` says so)."""
    rows = Category.objects.filter(campaign=campaign)
    if active is not None:
        rows = rows.filter(active=active)
    return rows.order_by("position", "code")


def categories_of(campaign, active: bool | None = None) -> list[Category]:
    return list(categories(campaign, active))


def calendar_day(day: dt.date) -> CalendarDay | None:
    """The working calendar's exception for a day, if it has one."""
    return CalendarDay.objects.filter(date=day).first()


def calendar_days(first: dt.date, until: dt.date | None = None) -> QuerySet[CalendarDay]:
    """The working calendar's exceptions from ``first`` (up to, not including, ``until``), in date order."""
    rows = CalendarDay.objects.filter(date__gte=first)
    if until is not None:
        rows = rows.filter(date__lt=until)
    return rows.order_by("date")


@dataclass(frozen=True)
class TownFunnel:
    """One township's problems reported during a week (cancelled ones left out) and how far along the loop they
    got; ``same_day`` of ``same_day_due`` were first rectified by their deadline among those of categories to be
    rectified the same day (working_days 0) that were dispatched; ``overdue`` counts its problems overdue now,
    whatever the week they were reported."""

    town_id: int
    found: int
    dispatched: int
    rectified: int
    verified: int
    closed: int
    same_day_due: int
    same_day: int
    overdue: int

    @property
    def same_day_rate(self) -> float | None:
        return self.same_day / self.same_day_due if self.same_day_due else None


def funnel_by_town(rows: QuerySet[Problem], week: str, now: dt.datetime | None = None) -> dict[int, TownFunnel]:
    """Per township (id), of the given problems (already scoped to a user's area): the week's funnel and the
    overdue now (TownFunnel). Two aggregate queries whatever the number of problems or villages."""
    same_day = Q(category__working_days=0, deadline__isnull=False)
    week_rows = (rows.filter(week_q(week)).exclude(status=Status.CANCELLED).order_by().values("town_id")
                 .annotate(found=Count("pk"), **{stage: Count("pk", filter=Q(**{f"{field}__isnull": False}))
                                                 for stage, field in REACHED.items()},
                           same_day_due=Count("pk", filter=same_day),
                           same_day=Count("pk", filter=same_day & Q(first_rectified_at__lte=F("deadline")))))
    overdue = dict(rows.filter(overdue_q(now)).order_by().values_list("town_id").annotate(n=Count("pk")))
    out = {}
    for row in week_rows:
        town = row.pop("town_id")
        out[town] = TownFunnel(town, **row, overdue=overdue.pop(town, 0))
    for town, n in overdue.items():
        out[town] = TownFunnel(town, 0, 0, 0, 0, 0, 0, 0, n)
    return out
