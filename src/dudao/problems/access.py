"""Who sees problems and who moves each one along its loop (the loop's order is dudao.problems.lifecycle's):
- register, dispatch, cancel, close: the office or the problem's township (cancelling what the county's own
  inspectors, office or drones found: the office only);
- rectify: the problem's village (or, on its behalf, the township or the office);
- verify, return: an inspector of the township, the township or the office - never the rectifier;
- grid staff see the problems of their grids only and rectify them (nothing else)."""

from django.db.models import QuerySet

from dudao.accounts.access import effective_role, is_office
from dudao.accounts.models import Role
from dudao.org.access import UNSET, area_q, area_roots, in_area, subtree_q
from dudao.problems.models import Problem


def problems_visible_to(user) -> QuerySet[Problem]:
    role = effective_role(user)
    if role is None:
        return Problem.objects.none()
    if role == Role.GRID:
        return Problem.objects.filter(subtree_q(area_roots(user) or [], "grid__"))
    q = area_q(user, "village__")
    return Problem.objects.all() if q is None else Problem.objects.filter(q)


def problems_public() -> QuerySet[Problem]:
    """What anyone may read, signed in or not: the problems the office marked public (services.problem_set_public),
    for the public Open311 interface, which shows none of their personal data."""
    return Problem.objects.filter(public=True)


def problem_sources_for(user) -> tuple[str, ...]:
    """The sources a reporter may name (the first is the default). Drone photos raise problems through the drone
    review, inspection items through the inspection."""
    role = effective_role(user)
    if is_office(user):
        return ("office", "grid", "cleaner", "inspection", "drone", "public")
    if role == Role.INSPECTOR:
        return ("inspection",)
    if role in (Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.GRID):
        return ("grid", "cleaner")
    return ()


def can_transition(user, problem, transition: str, roots=UNSET) -> bool:
    role = effective_role(user)
    if role == Role.GRID:
        return transition == "rectify" and problem.grid_id is not None and in_area(user, problem.grid, roots)
    if role is None or not in_area(user, problem.village, roots):
        return False
    if is_office(user):
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
