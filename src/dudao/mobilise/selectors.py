"""The counts of the people mobilised and the publicity, per village or per township, aggregated in the database
(a few queries whatever the number of villages), scoped to the user's area by the access module."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone

from dudao.core import weeks
from dudao.mobilise.access import (
    activities_visible_to,
    broadcasts_visible_to,
    van_tours_visible_to,
    volunteers_visible_to,
)
from dudao.mobilise.models import ActivityKind, VolunteerKind
from dudao.org.models import Level


@dataclass
class Counts:
    volunteers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VolunteerKind.values, 0))
    week: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ActivityKind.values, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ActivityKind.values, 0))
    households_week: int = 0
    households_total: int = 0
    broadcasts_active: int = 0
    vans_week: int = 0
    vans_total: int = 0

    def add(self, other: "Counts") -> None:
        for mine, theirs in ((self.volunteers, other.volunteers), (self.week, other.week),
                             (self.total, other.total)):
            for key, value in theirs.items():
                mine[key] += value
        for name in ("households_week", "households_total", "broadcasts_active", "vans_week", "vans_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def volunteers_total(self) -> int:
        return sum(self.volunteers.values())


def week_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    week = weeks.week_of(today)
    return weeks.week_start(week), weeks.week_end(week)


def counts_by(user, campaign, *, by: str, today: dt.date | None = None) -> dict[int, Counts]:
    """The counts of the user's area per village (``by="village"``: the unit id of each village) or per township
    (``by="town"``). A van tour of a township counts for the township, not for any of its villages."""
    assert by in ("village", "town")
    today = today or timezone.localdate()
    first, last = week_bounds(today)
    up = "" if by == "village" else "__parent"
    rows: dict[int, Counts] = {}

    def row(key: int) -> Counts:
        return rows.setdefault(key, Counts())

    volunteers = volunteers_visible_to(user).filter(campaign=campaign)
    for key, kind, n in volunteers.values_list(f"village{up}_id", "kind").annotate(n=Count("id")).order_by():
        row(key).volunteers[kind] += n
    in_week = Q(date__gte=first, date__lte=last)
    activities = (activities_visible_to(user).filter(volunteer__campaign=campaign)
                  .values_list(f"volunteer__village{up}_id", "kind")
                  .annotate(n=Count("id"), w=Count("id", filter=in_week), h=Sum("households"),
                            hw=Sum("households", filter=in_week)).order_by())
    for key, kind, n, w, h, hw in activities:
        counts = row(key)
        counts.total[kind] += n
        counts.week[kind] += w
        counts.households_total += h or 0
        counts.households_week += hw or 0
    broadcasts = (broadcasts_visible_to(user).filter(campaign=campaign, date_from__lte=today, date_to__gte=today)
                  .values_list(f"village{up}_id").annotate(n=Count("id")).order_by())
    for key, n in broadcasts:
        row(key).broadcasts_active += n
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = start + dt.timedelta(days=7)
    tours = (van_tours_visible_to(user).filter(campaign=campaign)
             .values_list("unit_id", "unit__parent_id", "unit__level")
             .annotate(n=Count("id"), w=Count("id", filter=Q(starts_at__gte=start, starts_at__lt=end))).order_by())
    for unit_id, parent_id, level, n, w in tours:
        if by == "village":
            if level == Level.TOWN:
                continue
            key = unit_id
        else:
            key = unit_id if level == Level.TOWN else parent_id
        counts = row(key)
        counts.vans_total += n
        counts.vans_week += w
    return rows


def total_of(rows: dict[int, Counts]) -> Counts:
    total = Counts()
    for counts in rows.values():
        total.add(counts)
    return total


def area_totals(user, campaign, today: dt.date | None = None) -> Counts:
    """The user's whole area in one line: the dashboard's panel."""
    return total_of(counts_by(user, campaign, by="town", today=today))
