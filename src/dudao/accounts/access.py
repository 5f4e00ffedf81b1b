"""The base of every access rule: who a signed-in user is for Dudao - their role - and the role sets the apps'
rules are written with.

What a user sees and may change of each app is that app's own ``access`` module (``dudao.org.access`` for the
user's area in the unit tree, ``dudao.problems.access`` for problems, …), built on this one. Outside one's area
the answer is "not found", never "forbidden", so that the existence of another township's records does not leak
either.
"""

from django.core.exceptions import PermissionDenied

from dudao.accounts.models import Role

READ_ALL = frozenset({Role.COUNTY_ADMIN, Role.OFFICE, Role.LEADER})
OFFICE = frozenset({Role.COUNTY_ADMIN, Role.OFFICE})
# Who reports problems and takes photos in the field (leaders read only); grid staff only in their grids.
FIELD_ROLES = frozenset({Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR, Role.TOWN_STAFF, Role.VILLAGE_STAFF,
                         Role.GRID})
# Who inspects villages.
INSPECTING_ROLES = frozenset({Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR, Role.TOWN_STAFF})


class SystemActor:
    """The acting user of a command run from the command line: full rights, recorded as system:cli."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    role = Role.COUNTY_ADMIN
    username = "system:cli"
    pk = None
    person_id = None
    scope_unit_id = None


SYSTEM = SystemActor()


def effective_role(user) -> str | None:
    """The user's role, or None for someone not signed in or deactivated; superusers count as administrators."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.COUNTY_ADMIN
    return user.role


def is_office(user) -> bool:
    """The campaign office (and the county administrators): they run the campaign - the organisation, the
    rounds, the drone flights, the interviews, the bulletins, the notifications."""
    return effective_role(user) in OFFICE


def require_office(user) -> None:
    """PermissionDenied unless the user is the office: the check every office-only service starts with."""
    if not is_office(user):
        raise PermissionDenied


def can_read_all(user) -> bool:
    """The county's readers: the office, the administrators and the leaders see the whole county."""
    return effective_role(user) in READ_ALL


def can_manage_users(user) -> bool:
    return effective_role(user) == Role.COUNTY_ADMIN
