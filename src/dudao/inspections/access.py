"""Who sees and edits checklists and inspections, and whose inspections make the week's inspection ranking."""

from django.db.models import Q, QuerySet

from dudao.accounts.access import INSPECTING_ROLES, READ_ALL, effective_role, is_office
from dudao.accounts.models import Role
from dudao.inspections.models import Checklist, Inspection
from dudao.org.access import area_q, area_roots, units_visible_to


def inspection_counts_in_ranking(user) -> bool:
    """Whose inspections make the week's inspection ranking: the inspection groups' and the office's, not the
    townships' and villages' own (they would score themselves)."""
    return effective_role(user) in (Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR)


def can_manage_checklist(user, town) -> bool:
    """The office edits the county's checklists; a township's staff edit their township's own."""
    if is_office(user):
        return True
    return town is not None and effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def can_see_checklists(user) -> bool:
    return effective_role(user) in READ_ALL | INSPECTING_ROLES


def checklists_visible_to(user) -> QuerySet[Checklist]:
    """The county's checklists for everyone who inspects or reads everything; a township's own checklist for
    those whose area holds the township (its staff, its inspection groups) and for the county."""
    if not can_see_checklists(user):
        return Checklist.objects.none()
    if area_roots(user) is None:
        return Checklist.objects.all()
    return Checklist.objects.filter(Q(town__isnull=True) | Q(town__in=units_visible_to(user)))


def inspections_visible_to(user) -> QuerySet[Inspection]:
    if effective_role(user) is None:
        return Inspection.objects.none()
    q = area_q(user, "village__")
    return Inspection.objects.all() if q is None else Inspection.objects.filter(q)
