"""Who sees and records the people mobilised and the publicity on the ground.

Everyone signed in reads what lies in their area (org.access): the county's readers everything, township staff
their township, village staff their village, inspectors their groups' townships; a grid person the mobilised
people of their grids and their activities only. Writes: the village's staff register its people, record their
activities and its loudspeaker schedules; a grid person records the activities of their grids' people; the office
does all of it anywhere. A publicity van's tour is recorded by the office, by a township's staff for their
township or one of its villages, or by a village's staff for their village."""

from django.db.models import QuerySet

from dudao.accounts.access import OFFICE, effective_role
from dudao.accounts.models import Role
from dudao.mobilise.models import Activity, Broadcast, VanTour, Volunteer
from dudao.org.access import area_q, in_area
from dudao.org.models import Level, Unit


def can_see_mobilise(user) -> bool:
    return effective_role(user) is not None


def volunteers_visible_to(user) -> QuerySet[Volunteer]:
    role = effective_role(user)
    if role is None:
        return Volunteer.objects.none()
    q = area_q(user, "grid__" if role == Role.GRID else "village__")
    return Volunteer.objects.all() if q is None else Volunteer.objects.filter(q)


def activities_visible_to(user) -> QuerySet[Activity]:
    role = effective_role(user)
    if role is None:
        return Activity.objects.none()
    q = area_q(user, "volunteer__grid__" if role == Role.GRID else "volunteer__village__")
    return Activity.objects.all() if q is None else Activity.objects.filter(q)


def broadcasts_visible_to(user) -> QuerySet[Broadcast]:
    if effective_role(user) is None:
        return Broadcast.objects.none()
    q = area_q(user, "village__")
    return Broadcast.objects.all() if q is None else Broadcast.objects.filter(q)


def van_tours_visible_to(user) -> QuerySet[VanTour]:
    if effective_role(user) is None:
        return VanTour.objects.none()
    q = area_q(user, "unit__")
    return VanTour.objects.all() if q is None else VanTour.objects.filter(q)


def can_register_at(user, village: Unit) -> bool:
    """Register the village's mobilised people and its loudspeaker schedules."""
    role = effective_role(user)
    if not village.is_ranked:
        return False
    return role in OFFICE or (role == Role.VILLAGE_STAFF and user.scope_unit_id == village.pk)


def can_record_for(user, volunteer: Volunteer) -> bool:
    """Record what this mobilised person did: their village, their grid's people, the office."""
    if effective_role(user) == Role.GRID:
        return volunteer.grid is not None and in_area(user, volunteer.grid)
    return can_register_at(user, volunteer.village)


def can_record_van(user, unit: Unit) -> bool:
    role = effective_role(user)
    if unit.level not in (Level.TOWN, Level.VILLAGE, Level.COMMUNITY):
        return False
    if role in OFFICE:
        return True
    if role == Role.TOWN_STAFF:
        return in_area(user, unit)
    return role == Role.VILLAGE_STAFF and user.scope_unit_id == unit.pk
