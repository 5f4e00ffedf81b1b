"""Interviews (约谈): the office schedules, records and verifies (accounts.access.is_office); the leaders read
everything; the interviewed unit's staff (its township's staff, or the village's own staff for a post at the
village) read their area's interviews and report commitments done. Inspectors take no part. The table of who
does what in which state is dudao.interviews.lifecycle's; this says which parties ("office", "unit") a user is for
one interview."""

from django.db.models import Q, QuerySet

from dudao.accounts.access import READ_ALL, effective_role, is_office
from dudao.accounts.models import Role
from dudao.interviews.models import Interview
from dudao.org.access import area_q, area_roots, in_area, subtree_q
from dudao.org.models import Person, Post, PostRole

INTERVIEW_READERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF}


def can_see_interviews(user) -> bool:
    return effective_role(user) in INTERVIEW_READERS


# An official of these posts answers for each red village the interview covers; a township's head and deputy
# answer for their township (its villages' staff do not see their interviews).
VILLAGE_POSTS = (PostRole.VILLAGE_LIAISON, PostRole.VILLAGE_HEAD)


def interviews_visible_to(user) -> QuerySet[Interview]:
    """Interviews whose interviewed unit (the village, or the township for an escalated interview) lies in the
    user's area - or, for a village post, any of the red villages the interview covers."""
    if not can_see_interviews(user):
        return Interview.objects.none()
    q = area_q(user, "unit__")
    if q is None:
        return Interview.objects.all()
    covered = Interview.villages.through.objects.filter(area_q(user, "unit__")).values("interview_id")
    return Interview.objects.filter(q | Q(role__in=VILLAGE_POSTS, pk__in=covered))


def interview_parties(user, interview) -> set[str]:
    """The parties of dudao.interviews.lifecycle the user is for this interview."""
    if is_office(user):
        return {"office", "unit"}
    if effective_role(user) in (Role.TOWN_STAFF, Role.VILLAGE_STAFF):
        roots = area_roots(user)
        if in_area(user, interview.unit, roots) or (interview.role in VILLAGE_POSTS and any(
                in_area(user, village, roots) for village in interview.villages.all())):
            return {"unit"}
    return set()


def interview_people_visible_to(user) -> QuerySet[Person]:
    """Whose interview history the user may open: everyone for the county's readers, the officials holding a post
    in their area for township and village staff."""
    if not can_see_interviews(user):
        return Person.objects.none()
    roots = area_roots(user)
    if roots is None:
        return Person.objects.all()
    return Person.objects.filter(pk__in=Post.objects.filter(subtree_q(roots, "unit__")).values("person_id"))


def can_record_outcome(user) -> bool:
    """Only the office (and the county administrators) records an interview's outcome (问责追究) and revises it;
    everyone who sees the interview reads it."""
    return is_office(user)
