"""Reads for the grid person's screen: their grids, their grids' open problems with the deadlines, today's rounds;
their grids' households with the latest courtyard check; a village's courtyards week by week."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from dudao.core import weeks
from dudao.grids import courtyards
from dudao.grids.models import CourtyardCheck, Household, Patrol
from dudao.org.access import area_roots
from dudao.org.models import Unit
from dudao.problems import lifecycle
from dudao.problems.access import problems_visible_to
from dudao.problems.models import Problem


@dataclass
class GridHome:
    grids: list[Unit]
    open_problems: list[Problem]
    rounds_today: list[Patrol]


def grid_home(user) -> GridHome:
    grids = [unit for unit in (area_roots(user) or []) if unit.is_grid]
    problems = list(problems_visible_to(user).exclude(status__in=lifecycle.FINISHED)
                    .select_related("category", "grid", "village").order_by("deadline", "reported_at")[:100])
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    rounds = list(Patrol.objects.filter(grid__in=grids, at__gte=start, by_id=user.pk).select_related("grid"))
    return GridHome(grids, problems, rounds)


# Courtyards -----------------------------------------------------------------------------------------------------


@dataclass
class HouseholdOnRound:
    household: Household
    latest: CourtyardCheck | None


@dataclass
class GridHouseholds:
    grid: Unit
    households: list[HouseholdOnRound]


def cleaner_households(user) -> list[GridHouseholds]:
    """The grid person's grids, each with its households and their latest check (two queries)."""
    grids = [unit for unit in (area_roots(user) or []) if unit.is_grid]
    households = list(Household.objects.filter(grid__in=grids).order_by("label"))
    latest: dict[int, CourtyardCheck] = {}
    for check in (CourtyardCheck.objects.filter(household__in=households).order_by("household_id", "-at")
                  .only("household_id", "at", "result")):
        latest.setdefault(check.household_id, check)
    return [GridHouseholds(grid, [HouseholdOnRound(h, latest.get(h.pk)) for h in households if h.grid_id == grid.pk])
            for grid in grids]


@dataclass
class GridCourtyards:
    grid: Unit
    households: int = 0
    checked: int = 0
    reminded: list[Household] = field(default_factory=list)
    improved: list[Household] = field(default_factory=list)


@dataclass
class VillageCourtyards:
    village: Unit
    week: str
    grids: list[GridCourtyards]
    beautiful: list[Household]  # 美丽庭院: clean at each of their last courtyards.BEAUTIFUL_RUN checks

    @property
    def total(self) -> GridCourtyards:
        total = GridCourtyards(self.village)
        for row in self.grids:
            total.households += row.households
            total.checked += row.checked
            total.reminded += row.reminded
            total.improved += row.improved
        return total


def week_bounds(week: str) -> tuple[dt.datetime, dt.datetime]:
    """The ISO week as local times [Monday 00:00, next Monday 00:00)."""
    start = timezone.make_aware(dt.datetime.combine(weeks.week_start(week), dt.time()))
    return start, start + dt.timedelta(days=7)


def village_courtyards(village: Unit, week: str | None = None) -> VillageCourtyards:
    """Per grid of the village: its households, how many were checked in the week, which were reminded (needs
    work) and which improved (clean after needing work); and the village's beautiful courtyards."""
    week = week or weeks.week_of(timezone.localdate())
    start, end = week_bounds(week)
    grids = list(Unit.objects.filter(level="grid", path__startswith=village.path).order_by("code"))
    households = {h.pk: h for h in Household.objects.filter(grid__in=grids).order_by("label")}
    marks = [courtyards.Mark(*row) for row in CourtyardCheck.objects.filter(household_id__in=households)
             .values_list("household_id", "at", "result")]
    standing = courtyards.standings(marks, start, end)
    rows = {grid.pk: GridCourtyards(grid) for grid in grids}
    for household in households.values():
        row = rows[household.grid_id]
        row.households += 1
        found = standing.get(household.pk)
        if found is None:
            continue
        row.checked += found.checked
        if found.reminded:
            row.reminded.append(household)
        if found.improved:
            row.improved.append(household)
    beautiful = sorted((households[pk] for pk in courtyards.beautiful([m for m in marks if m.at < end])),
                       key=lambda h: (rows[h.grid_id].grid.code, h.label))
    for household in beautiful:
        household.grid = rows[household.grid_id].grid
    return VillageCourtyards(village, week, list(rows.values()), beautiful)
