"""Who sees the grids' rounds and who may open accounts for the grids' people.

Grid staff see their own grids' rounds; everybody else the rounds of the grids in their area (a grid lies under
its village, so the village's and township's staff see them). Accounts for the grids' people are opened by the
office anywhere, and by township and village staff inside their own area."""

from django.db.models import QuerySet

from dudao.accounts.access import OFFICE, effective_role
from dudao.accounts.models import Role
from dudao.grids.models import Patrol
from dudao.org.access import area_q, in_area
from dudao.org.models import Unit

ACCOUNT_OPENERS = OFFICE | {Role.TOWN_STAFF, Role.VILLAGE_STAFF}


def patrols_visible_to(user) -> QuerySet[Patrol]:
    if effective_role(user) is None:
        return Patrol.objects.none()
    q = area_q(user, "grid__")
    return Patrol.objects.all() if q is None else Patrol.objects.filter(q)


def can_open_grid_accounts(user, unit: Unit | None = None) -> bool:
    """May open accounts for the people of the grids under ``unit`` (at all, without a unit)."""
    if effective_role(user) not in ACCOUNT_OPENERS:
        return False
    return unit is None or in_area(user, unit)


def can_patrol(user, grid: Unit) -> bool:
    return effective_role(user) == Role.GRID and grid.is_grid and in_area(user, grid)
