"""Who sees the grids' rounds and who may open accounts for the grids' people.

Grid staff see their own grids' rounds; everybody else the rounds of the grids in their area (a grid lies under
its village, so the village's and township's staff see them). Accounts for the grids' people are opened by the
office anywhere, and by township and village staff inside their own area."""

from django.db.models import QuerySet

from dudao.accounts.access import OFFICE, READ_ALL, SYSTEM, effective_role
from dudao.accounts.models import Role
from dudao.grids.models import CourtyardCheck, Household, Patrol
from dudao.org.access import area_q, in_area
from dudao.org.models import Unit

ACCOUNT_OPENERS = OFFICE | {Role.TOWN_STAFF, Role.VILLAGE_STAFF}
# Who reads the households and their courtyard checks (in their area): the head's name is personal data, so not the
# inspectors, whose area is whole townships.
COURTYARD_READERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.GRID}
# Who reads a village's courtyard summary (the grid people have their phone page instead).
COURTYARD_OVERSEERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF}
# Who adds households: the office, a township's and a village's staff in their area, a grid person in their grid.
HOUSEHOLD_KEEPERS = ACCOUNT_OPENERS | {Role.GRID}


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


def households_visible_to(user) -> QuerySet[Household]:
    if effective_role(user) not in COURTYARD_READERS:
        return Household.objects.none()
    q = area_q(user, "grid__")
    return Household.objects.all() if q is None else Household.objects.filter(q)


def courtyard_checks_visible_to(user) -> QuerySet[CourtyardCheck]:
    return CourtyardCheck.objects.filter(household__in=households_visible_to(user))


def can_keep_households(user, grid: Unit) -> bool:
    """May add households to the grid."""
    return effective_role(user) in HOUSEHOLD_KEEPERS and grid.is_grid and in_area(user, grid)


def can_check_courtyard(user, household: Household) -> bool:
    """Marks a courtyard: a grid person in their own grids (the command line for the demo's synthetic checks)."""
    if user is SYSTEM:
        return True
    return effective_role(user) == Role.GRID and in_area(user, household.grid)


def can_oversee_courtyards(user, village: Unit) -> bool:
    """Reads the village's courtyard summary: its staff, its township's, the county's readers."""
    return (effective_role(user) in COURTYARD_OVERSEERS and village.level in ("village", "community")
            and in_area(user, village))
