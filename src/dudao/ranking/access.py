"""Who hands in what for the weekly round, and who reads which rounds and results (the office runs the round
itself: accounts.access.is_office)."""

from django.db.models import QuerySet

from dudao.accounts.access import can_read_all, effective_role, is_office
from dudao.accounts.models import Role
from dudao.org.access import area_roots, units_visible_to
from dudao.ranking import lifecycle
from dudao.ranking.models import Result


def can_submit_for_town(user, town) -> bool:
    """May hand in the township's own ranking of its villages: its staff, or the office on its behalf."""
    if is_office(user):
        return True
    return effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def can_submit_inspection(user) -> bool:
    """Inspectors hand in the inspection ranking of the townships of their inspection groups."""
    return effective_role(user) == Role.INSPECTOR


def statuses_visible_to(user) -> frozenset[str]:
    """The rounds a user may read: drafts are for the office and the leaders; everyone else sees what was
    published."""
    return lifecycle.WITH_RESULTS if can_read_all(user) else lifecycle.PUBLISHED_ONCE


def statuses_published_to(user) -> frozenset[str] | None:
    """The rounds a user may read by the contracts (CONTRACTS §4, the HTTP API: drafts only for the office): every
    round whatever its status (None) for the office; the rounds published once for everyone else, leaders
    included. The round's pages still show the leaders its computed drafts (statuses_visible_to), so that a leader
    told of a round awaiting approval can read it."""
    return None if is_office(user) else lifecycle.PUBLISHED_ONCE


def results_visible_to(user, results: QuerySet[Result]) -> QuerySet[Result]:
    """The results of villages in the user's area."""
    if area_roots(user) is None:
        return results
    return results.filter(unit__in=units_visible_to(user))
