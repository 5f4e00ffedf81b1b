"""Who sees and changes the plan: the county's readers (office, administrators, leaders) see the whole battle map;
an inspector sees the tasks of the townships of their inspection group, a township's staff their own township's
(org.access: the user's area); village staff do not see the plan. Only a township's own staff report on its tasks
and add its own tasks; the office imports, maps, archives and deletes actions."""

from django.db.models import QuerySet

from dudao.accounts.access import can_read_all, effective_role, is_office
from dudao.accounts.models import Role
from dudao.org.access import area_q, area_roots, in_area
from dudao.org.models import GroupKind, WorkingGroup

# The roles a document may be addressed to (the office and the administrators always read every document).
AUDIENCE = (Role.LEADER, Role.INSPECTOR, Role.TOWN_STAFF)
READERS = frozenset({Role.COUNTY_ADMIN, Role.OFFICE, Role.LEADER, Role.INSPECTOR, Role.TOWN_STAFF})


def sees_county(user) -> bool:
    return can_read_all(user)


def is_town_staff(user) -> bool:
    return effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id is not None


def can_see_plan(user) -> bool:
    return effective_role(user) in READERS


def can_manage_plan(user) -> bool:
    return is_office(user)


def tasks_visible_to(user, tasks: QuerySet) -> QuerySet:
    """The tasks of the townships in the user's area (all for the county's readers)."""
    if not can_see_plan(user):
        return tasks.none()
    q = area_q(user, "town__")
    return tasks if q is None else tasks.filter(q)


def towns_visible_to(user, towns: list) -> list:
    if not can_see_plan(user):
        return []
    roots = area_roots(user)
    return [town for town in towns if in_area(user, town, roots)]


def can_report(user, task) -> bool:
    """Only the staff of the task's own township report its progress."""
    return is_town_staff(user) and user.scope_unit_id == task.town_id


def can_add_own(user, town) -> bool:
    return is_town_staff(user) and user.scope_unit_id == town.pk


def audience_choices() -> list[tuple[str, str]]:
    return [(role, str(Role(role).label)) for role in AUDIENCE]


def documents_visible_to(user, documents) -> list:
    """The documents addressed to the user's role (all for the office)."""
    if is_office(user):
        return list(documents)
    role = effective_role(user)
    return [d for d in documents if role in d.audience] if can_see_plan(user) else []


# Inspection coverage (issue 15, item 6; decision 0025) ------------------------------------------------------------


def inspection_groups(campaign) -> QuerySet:
    return WorkingGroup.objects.filter(campaign=campaign, kind=GroupKind.INSPECTION, active=True)


def plan_groups_of(user, campaign) -> QuerySet:
    """The inspection groups whose weekly visit plan the user sees and edits: every one for the office, an
    inspector's own groups (they are a member); nobody else's (their pages answer 404)."""
    groups = inspection_groups(campaign)
    if is_office(user):
        return groups
    if effective_role(user) == Role.INSPECTOR and user.person_id is not None:
        return groups.filter(members__person_id=user.person_id).distinct()
    return groups.none()


def can_plan_visits(user) -> bool:
    """The office, and an inspector who is a member of an active inspection group (not of an audit group only)."""
    if is_office(user):
        return True
    return (effective_role(user) == Role.INSPECTOR and user.person_id is not None
            and WorkingGroup.objects.filter(kind=GroupKind.INSPECTION, active=True,
                                            members__person_id=user.person_id).exists())


def can_see_coverage(user) -> bool:
    return can_see_plan(user)


def coverage_groups_of(user, campaign) -> QuerySet:
    """The groups of the coverage view: all for the county's readers, an inspector's own, the groups assigned to a
    township's staff's township."""
    groups = inspection_groups(campaign)
    if sees_county(user):
        return groups
    if effective_role(user) == Role.INSPECTOR:
        return plan_groups_of(user, campaign)
    if is_town_staff(user):
        return groups.filter(towns=user.scope_unit_id).distinct()
    return groups.none()
