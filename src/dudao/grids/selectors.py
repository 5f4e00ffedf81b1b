"""Reads for the grid person's screen: their grids, their grids' open problems with the deadlines, today's rounds."""

from dataclasses import dataclass

from django.utils import timezone

from dudao.grids.models import Patrol
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
