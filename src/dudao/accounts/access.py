"""The one module that decides what each user may see and change.

Every page, endpoint and command that reads scoped data goes through the ``*_visible_to`` selectors, and
every write is checked with a ``can_*`` predicate first. Outside one's area the answer is "not found",
never "forbidden", so that the existence of another township's records does not leak either.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from dudao.accounts.models import Role
from dudao.org.models import GroupKind, GroupMember, Person, Post, Unit, WorkingGroup

READ_ALL = {Role.COUNTY_ADMIN, Role.OFFICE, Role.LEADER}
MANAGE_ALL = {Role.COUNTY_ADMIN, Role.OFFICE}
FULL_PHONE = {Role.COUNTY_ADMIN, Role.OFFICE, Role.TOWN_STAFF}


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
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.COUNTY_ADMIN
    return user.role


def area_roots(user) -> list[Unit] | None:
    """The units whose subtrees make up the user's area; None means the whole county, [] means nothing."""
    role = effective_role(user)
    if role is None:
        return []
    if role in READ_ALL:
        return None
    if role == Role.INSPECTOR:
        if user.person_id is None:
            return []
        return list(
            Unit.objects.filter(
                inspection_groups__kind=GroupKind.INSPECTION,
                inspection_groups__active=True,
                inspection_groups__members__person_id=user.person_id,
            ).distinct()
        )
    if user.scope_unit_id is None:
        return []
    unit = user.scope_unit
    if role == Role.TOWN_STAFF and unit.level != "town":
        return []
    return [unit]


def _subtree_filter(roots: list[Unit], field: str = "") -> Q:
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(**{f"{field}path__startswith": root.path})
    return q


def units_visible_to(user) -> QuerySet[Unit]:
    roots = area_roots(user)
    if roots is None:
        return Unit.objects.all()
    return Unit.objects.filter(_subtree_filter(roots))


def unit_visible_or_404(user, code: str) -> Unit:
    try:
        return units_visible_to(user).get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None


def posts_visible_to(user) -> QuerySet[Post]:
    roots = area_roots(user)
    if roots is None:
        return Post.objects.all()
    return Post.objects.filter(_subtree_filter(roots, "unit__"))


def groups_visible_to(user) -> QuerySet[WorkingGroup]:
    role = effective_role(user)
    if role is None:
        return WorkingGroup.objects.none()
    if role in READ_ALL:
        return WorkingGroup.objects.all()
    if role == Role.INSPECTOR:
        return WorkingGroup.objects.filter(members__person_id=user.person_id).distinct()
    town = town_of(user.scope_unit) if user.scope_unit_id else None
    if town is None:
        return WorkingGroup.objects.none()
    return WorkingGroup.objects.filter(kind=GroupKind.INSPECTION, towns=town).distinct()


def people_visible_to(user) -> QuerySet[Person]:
    roots = area_roots(user)
    if roots is None:
        return Person.objects.all()
    q = Q(pk__in=Post.objects.filter(_subtree_filter(roots, "unit__")).values("person_id"))
    # A separate query on GroupMember: joining through groups_visible_to() would reuse its membership filter
    # and find only the user's own person.
    q |= Q(pk__in=GroupMember.objects.filter(group__in=groups_visible_to(user)).values("person_id"))
    return Person.objects.filter(q)


def town_of(unit: Unit | None) -> Unit | None:
    """The township a unit lies in (itself for a township), or None for the county."""
    if unit is None:
        return None
    parts = unit.path.strip("/").split("/")
    if len(parts) < 2:
        return None
    if unit.level == "town":
        return unit
    return Unit.objects.filter(code=parts[1]).first()


def can_read_all(user) -> bool:
    return effective_role(user) in READ_ALL


def can_manage_units(user) -> bool:
    return effective_role(user) in MANAGE_ALL


def can_manage_users(user) -> bool:
    return effective_role(user) == Role.COUNTY_ADMIN


def can_manage_groups(user) -> bool:
    return effective_role(user) in MANAGE_ALL


def can_manage_people(user) -> bool:
    """May add and edit people and posts at all (each post's unit is checked with can_manage_posts_at)."""
    return effective_role(user) in MANAGE_ALL | {Role.TOWN_STAFF}


def can_manage_posts_at(user, unit: Unit) -> bool:
    role = effective_role(user)
    if role in MANAGE_ALL:
        return True
    if role != Role.TOWN_STAFF:
        return False
    roots = area_roots(user) or []
    return any(unit.path.startswith(root.path) for root in roots)


def units_managed_for_posts(user) -> QuerySet[Unit]:
    """The units at which the user may place and end posts."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return Unit.objects.all()
    if role == Role.TOWN_STAFF:
        return units_visible_to(user)
    return Unit.objects.none()


def can_edit_person(user, person: Person) -> bool:
    """Office staff edit anyone; township staff edit people who hold at least one post, all of them inside
    their township, and who sit in no working group (group members are the county's people)."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return True
    if role != Role.TOWN_STAFF:
        return False
    units = list(Unit.objects.filter(posts__person=person).distinct())
    if not units or GroupMember.objects.filter(person=person).exists():
        return False
    return all(can_manage_posts_at(user, unit) for unit in units)


def people_search(user, query: str) -> QuerySet[Person]:
    """Visible people matching a name, a unit name of one of their visible posts, or - for roles that see
    full phone numbers - a phone number (masked digits must not be searchable)."""
    people = people_visible_to(user)
    query = query.strip()
    if not query:
        return people
    q = Q(name__contains=query)
    q |= Q(pk__in=posts_visible_to(user).filter(unit__name__contains=query).values("person_id"))
    if can_see_phone(user):
        q |= Q(phone__contains=query)
    return people.filter(q)


def can_submit_for_town(user, town: Unit) -> bool:
    """May hand in the township's own ranking of its villages: its staff, or the office on its behalf."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return True
    return role == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def can_submit_inspection(user) -> bool:
    """Inspectors hand in the inspection ranking of the townships of their inspection groups."""
    return effective_role(user) == Role.INSPECTOR


def can_see_phone(user) -> bool:
    return effective_role(user) in FULL_PHONE


def masked_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def phone_for(user, person: Person) -> str:
    return person.phone if can_see_phone(user) else masked_phone(person.phone)


def user_area_label(user) -> str:
    roots = area_roots(user)
    if roots is None:
        return ""
    return "、".join(root.name for root in roots)


# Field work: photos, inspections, problems -------------------------------------------------------------

FIELD_ROLES = {Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR, Role.TOWN_STAFF, Role.VILLAGE_STAFF}
INSPECTING_ROLES = {Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR, Role.TOWN_STAFF}


_UNSET: list = []


def in_area(user, unit: Unit, roots: list[Unit] | None = _UNSET) -> bool:
    """Whether the unit lies in the user's area; pass ``roots`` (area_roots) when asking about many units."""
    if roots is _UNSET:
        roots = area_roots(user)
    if roots is None:
        return effective_role(user) is not None
    return any(unit.path.startswith(root.path) for root in roots)


def can_report_at(user, village: Unit) -> bool:
    """May report a problem or upload a photo for the village (leaders read only)."""
    return effective_role(user) in FIELD_ROLES and village.is_ranked and in_area(user, village)


def can_inspect_at(user, village: Unit) -> bool:
    return effective_role(user) in INSPECTING_ROLES and village.is_ranked and in_area(user, village)


def inspection_counts_in_ranking(user) -> bool:
    """Whose inspections make the week's inspection ranking: the inspection groups' and the office's, not the
    townships' and villages' own (they would score themselves)."""
    return effective_role(user) in (Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR)


def can_manage_checklist(user, town: Unit | None) -> bool:
    """The office edits the county's checklists; a township's staff edit their township's own."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return True
    return town is not None and role == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def can_see_checklists(user) -> bool:
    return effective_role(user) in READ_ALL | INSPECTING_ROLES


def checklists_visible_to(user):
    """The county's checklists for everyone who inspects or reads everything; a township's own checklist for
    those whose area holds the township (its staff, its inspection groups) and for the county."""
    from dudao.inspections.models import Checklist

    if not can_see_checklists(user):
        return Checklist.objects.none()
    if area_roots(user) is None:
        return Checklist.objects.all()
    return Checklist.objects.filter(Q(town__isnull=True) | Q(town__in=units_visible_to(user)))


def _area_q(user, field: str) -> Q | None:
    roots = area_roots(user)
    return None if roots is None else _subtree_filter(roots, field)


def photos_visible_to(user):
    from dudao.photos.models import Photo

    if effective_role(user) is None:
        return Photo.objects.none()
    q = _area_q(user, "village__")
    return Photo.objects.all() if q is None else Photo.objects.filter(q | Q(uploaded_by_id=user.pk))


def inspections_visible_to(user):
    from dudao.inspections.models import Inspection

    if effective_role(user) is None:
        return Inspection.objects.none()
    q = _area_q(user, "village__")
    return Inspection.objects.all() if q is None else Inspection.objects.filter(q)


def problems_visible_to(user):
    from dudao.problems.models import Problem

    if effective_role(user) is None:
        return Problem.objects.none()
    q = _area_q(user, "village__")
    return Problem.objects.all() if q is None else Problem.objects.filter(q)


# Who moves a problem along its loop (the loop's order is dudao.problems.lifecycle's):
#   register, dispatch, cancel, close: the office or the problem's township (cancelling what the county's own
#   inspectors, office or drones found: the office only);
#   rectify: the problem's village (or, on its behalf, the township or the office);
#   verify, return: an inspector of the township, the township or the office - never the rectifier.
def problem_sources_for(user) -> tuple[str, ...]:
    """The sources a reporter may name (the first is the default). Drone photos raise problems through the drone
    review, inspection items through the inspection."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return ("office", "grid", "cleaner", "inspection", "drone")
    if role == Role.INSPECTOR:
        return ("inspection",)
    if role in (Role.TOWN_STAFF, Role.VILLAGE_STAFF):
        return ("grid", "cleaner")
    return ()


def can_transition(user, problem, transition: str, roots: list[Unit] | None = _UNSET) -> bool:
    role = effective_role(user)
    if role is None or not in_area(user, problem.village, roots):
        return False
    if role in MANAGE_ALL:
        allowed = True
    elif transition == "cancel" and problem.source in ("inspection", "office", "drone"):
        allowed = False  # the county found it: only the county may call it off
    elif transition in ("register", "dispatch", "cancel", "close"):
        allowed = role == Role.TOWN_STAFF
    elif transition == "rectify":
        allowed = role in (Role.TOWN_STAFF, Role.VILLAGE_STAFF)
    elif transition in ("verify", "return"):
        allowed = role in (Role.TOWN_STAFF, Role.INSPECTOR)
    else:
        allowed = False
    if allowed and transition in ("verify", "return") and problem.rectified_by_id is not None:
        allowed = problem.rectified_by_id != user.pk
    return allowed


# Drone imagery: the office flies, uploads and scores; everyone reads the photos placed in their area.


def can_manage_drone(user) -> bool:
    return effective_role(user) in MANAGE_ALL


def drone_photos_visible_to(user):
    from dudao.drone.models import DronePhoto

    role = effective_role(user)
    if role is None:
        return DronePhoto.objects.none()
    q = _area_q(user, "village__")
    return DronePhoto.objects.all() if q is None else DronePhoto.objects.filter(q)


# Interviews (约谈): the office schedules, records and verifies; the leaders read everything; the interviewed
# unit's staff (its township's staff, or the village's own staff for a post at the village) read their area's
# interviews and report commitments done. Inspectors take no part. The table of who does what in which state is
# dudao.interviews.lifecycle's; this says which parties ("office", "unit") a user is for one interview.

INTERVIEW_READERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF}


def can_see_interviews(user) -> bool:
    return effective_role(user) in INTERVIEW_READERS


def can_manage_interviews(user) -> bool:
    return effective_role(user) in MANAGE_ALL


def interviews_visible_to(user):
    """Interviews whose interviewed unit (the village, or the township for an escalated interview) lies in the
    user's area."""
    from dudao.ranking.models import Interview

    if not can_see_interviews(user):
        return Interview.objects.none()
    q = _area_q(user, "unit__")
    return Interview.objects.all() if q is None else Interview.objects.filter(q)


def interview_parties(user, interview) -> set[str]:
    """The parties of dudao.interviews.lifecycle the user is for this interview."""
    role = effective_role(user)
    if role in MANAGE_ALL:
        return {"office", "unit"}
    if role in (Role.TOWN_STAFF, Role.VILLAGE_STAFF) and in_area(user, interview.unit):
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
    return Person.objects.filter(pk__in=Post.objects.filter(_subtree_filter(roots, "unit__")).values("person_id"))


# Bulletins (通报) are circulated down to every village: all signed-in roles read the published ones; the office
# remakes them and edits the Word template.
BULLETIN_READERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.INSPECTOR}


def can_read_bulletins(user) -> bool:
    return effective_role(user) in BULLETIN_READERS


def can_manage_bulletins(user) -> bool:
    return effective_role(user) in MANAGE_ALL
