"""Who sees the audit groups' samples and re-inspections, and the discrepancy report.

A week's sample must not be known to the township groups: only the office (and the administrators) and the members
of the draw's audit group (by their person, GroupMember) see a draw; everyone else gets 404. The discrepancy report
(per township group, no village list) is for the county's readers: the office and the leaders.
"""

from django.db.models import QuerySet

from dudao.accounts.access import INSPECTING_ROLES, can_read_all, effective_role, is_office
from dudao.org.models import GroupKind, GroupMember
from dudao.recheck.models import Draw


def can_draw(user) -> bool:
    return is_office(user)


def draws_visible_to(user) -> QuerySet[Draw]:
    if is_office(user):
        return Draw.objects.all()
    if effective_role(user) in INSPECTING_ROLES and getattr(user, "person_id", None):
        return Draw.objects.filter(group__kind=GroupKind.AUDIT, group__members__person_id=user.person_id).distinct()
    return Draw.objects.none()


def can_recheck(user, draw: Draw) -> bool:
    """The members of the draw's audit group record its re-inspections (with an inspecting role)."""
    person_id = getattr(user, "person_id", None)
    return (effective_role(user) in INSPECTING_ROLES and person_id is not None
            and GroupMember.objects.filter(group_id=draw.group_id, person_id=person_id).exists())


def can_see_recheck(user) -> bool:
    """May open the re-inspection pages at all (the list shows only the draws the user sees)."""
    return can_read_all(user) or draws_visible_to(user).exists()


def can_see_report(user) -> bool:
    return can_read_all(user)
