"""The user's area in the unit tree, and what each user sees and may change of the organisation's own data
(units, people, posts, working groups).

A user's area is a set of subtrees: the whole county for the county's readers (None), the township or village of
township and village staff, the townships of an inspector's inspection groups, the grids of grid staff (their
account's grid and the grids where their person holds a grid post today). Every app's ``*_visible_to``
filters its rows with ``area_q`` on the field that names their unit.
"""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dudao.accounts.access import FIELD_ROLES, INSPECTING_ROLES, OFFICE, READ_ALL, effective_role, is_office
from dudao.accounts.models import Role
from dudao.org.models import (
    GRID_POST_ROLES,
    GroupKind,
    GroupMember,
    Level,
    Person,
    Post,
    PostQuerySet,
    Unit,
    UnitQuerySet,
    WorkingGroup,
)

FULL_PHONE = frozenset({Role.COUNTY_ADMIN, Role.OFFICE, Role.TOWN_STAFF})


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
    if role == Role.GRID:
        return grids_of(user)
    if user.scope_unit_id is None:
        return []
    unit = user.scope_unit
    if role == Role.TOWN_STAFF and unit.level != "town":
        return []
    return [unit]


def grids_of(user) -> list[Unit]:
    """A grid person's grids: the account's grid and those where the person holds a grid post today."""
    q = Q(pk__in=[])
    if user.scope_unit_id is not None:
        q |= Q(pk=user.scope_unit_id)
    if user.person_id is not None:
        today = timezone.localdate()
        q |= Q(pk__in=Post.objects.held_between(today).filter(person_id=user.person_id, role__in=GRID_POST_ROLES)
               .values("unit_id"))
    return list(Unit.objects.filter(q, level=Level.GRID).order_by("path"))


def grid_villages(user) -> list[Unit]:
    """The villages of a grid person's grids: whose weekly extract they receive (and may read, showing only their
    grids' problems). Nobody else's."""
    if effective_role(user) != Role.GRID:
        return []
    return list(Unit.objects.filter(code__in={grid.village_code() for grid in grids_of(user)}).order_by("path"))


def subtree_q(roots: list[Unit], field: str = "") -> Q:
    """Rows whose unit (``field`` is the lookup prefix of the unit, e.g. "village__") lies under one of the
    roots."""
    q = Q(pk__in=[])
    for root in roots:
        q |= Q(**{f"{field}path__startswith": root.path})
    return q


def area_q(user, field: str) -> Q | None:
    """Rows whose unit lies in the user's area; None when the user reads the whole county."""
    roots = area_roots(user)
    return None if roots is None else subtree_q(roots, field)


UNSET: list = []


def in_area(user, unit: Unit, roots: list[Unit] | None = UNSET) -> bool:
    """Whether the unit lies in the user's area; pass ``roots`` (area_roots) when asking about many units."""
    if roots is UNSET:
        roots = area_roots(user)
    if roots is None:
        return effective_role(user) is not None
    return any(unit.path.startswith(root.path) for root in roots)


def user_area_label(user) -> str:
    roots = area_roots(user)
    if roots is None:
        return ""
    return "、".join(root.name for root in roots)


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


# Units, posts, people and groups ------------------------------------------------------------------------------


def units_visible_to(user) -> UnitQuerySet:
    roots = area_roots(user)
    if roots is None:
        return Unit.objects.all()
    return Unit.objects.filter(subtree_q(roots))


def unit_visible_or_404(user, code: str) -> Unit:
    try:
        return units_visible_to(user).get(code=code)
    except Unit.DoesNotExist:
        raise Http404 from None


def posts_visible_to(user) -> PostQuerySet:
    roots = area_roots(user)
    if roots is None:
        return Post.objects.all()
    return Post.objects.filter(subtree_q(roots, "unit__"))


def groups_visible_to(user) -> QuerySet[WorkingGroup]:
    role = effective_role(user)
    if role is None:
        return WorkingGroup.objects.none()
    if role in READ_ALL:
        return WorkingGroup.objects.all()
    if role == Role.INSPECTOR:
        return WorkingGroup.objects.filter(members__person_id=user.person_id).distinct()
    if role == Role.GRID:
        return WorkingGroup.objects.none()
    town = town_of(user.scope_unit) if user.scope_unit_id else None
    if town is None:
        return WorkingGroup.objects.none()
    return WorkingGroup.objects.filter(kind=GroupKind.INSPECTION, towns=town).distinct()


def people_visible_to(user) -> QuerySet[Person]:
    roots = area_roots(user)
    if roots is None:
        return Person.objects.all()
    q = Q(pk__in=Post.objects.filter(subtree_q(roots, "unit__")).values("person_id"))
    # A separate query on GroupMember: joining through groups_visible_to() would reuse its membership filter
    # and find only the user's own person.
    q |= Q(pk__in=GroupMember.objects.filter(group__in=groups_visible_to(user)).values("person_id"))
    return Person.objects.filter(q)


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


def can_manage_people(user) -> bool:
    """May add and edit people and posts at all (each post's unit is checked with can_manage_posts_at)."""
    return effective_role(user) in OFFICE | {Role.TOWN_STAFF}


def can_manage_posts_at(user, unit: Unit) -> bool:
    role = effective_role(user)
    if role in OFFICE:
        return True
    if role != Role.TOWN_STAFF:
        return False
    roots = area_roots(user) or []
    return any(unit.path.startswith(root.path) for root in roots)


def units_managed_for_posts(user) -> UnitQuerySet:
    """The units at which the user may place and end posts."""
    role = effective_role(user)
    if role in OFFICE:
        return Unit.objects.all()
    if role == Role.TOWN_STAFF:
        return units_visible_to(user)
    return Unit.objects.none()


def can_edit_person(user, person: Person) -> bool:
    """Office staff edit anyone; township staff edit people who hold at least one post, all of them inside
    their township, and who sit in no working group (group members are the county's people)."""
    return person.pk not in people_not_editable(user, [person])


def people_not_editable(user, people: list[Person]) -> set[int]:
    """The ids of those of ``people`` the user may not edit (can_edit_person's rule, in three queries for any
    number of people: an import's)."""
    if is_office(user):
        return set()
    ids = {person.pk for person in people}
    if effective_role(user) != Role.TOWN_STAFF:
        return ids
    roots = area_roots(user) or []
    editable: set[int] = set()
    outside: set[int] = set()
    for chunk in id_chunks(sorted(ids)):
        for person_id, path in Post.objects.filter(person_id__in=chunk).values_list("person_id", "unit__path"):
            (editable if any(path.startswith(root.path) for root in roots) else outside).add(person_id)
        outside.update(GroupMember.objects.filter(person_id__in=chunk).values_list("person_id", flat=True))
    return ids - (editable - outside)


def id_chunks(values: list, size: int = 900) -> list[list]:
    """Lists short enough for an IN clause on every database (SQLite allows 999 parameters by default)."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def can_see_phone(user) -> bool:
    return effective_role(user) in FULL_PHONE


def masked_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def phone_for(user, person: Person) -> str:
    return person.phone if can_see_phone(user) else masked_phone(person.phone)


# Field work at a village ----------------------------------------------------------------------------------


def can_report_at(user, village: Unit, grid: Unit | None = None) -> bool:
    """May report a problem or upload a photo for the village (leaders read only), in ``grid`` when given (a grid
    of that village). Grid staff report only in one of their grids, and must name it."""
    if grid is not None and (grid.level != Level.GRID or not grid.path.startswith(village.path)):
        return False
    if effective_role(user) == Role.GRID:
        return grid is not None and village.is_ranked and in_area(user, grid)
    return effective_role(user) in FIELD_ROLES and village.is_ranked and in_area(user, village)


def can_inspect_at(user, village: Unit) -> bool:
    return effective_role(user) in INSPECTING_ROLES and village.is_ranked and in_area(user, village)
