"""Who hands in what for the weekly round (the office runs the round itself: accounts.access.is_office)."""

from dudao.accounts.access import effective_role, is_office
from dudao.accounts.models import Role


def can_submit_for_town(user, town) -> bool:
    """May hand in the township's own ranking of its villages: its staff, or the office on its behalf."""
    if is_office(user):
        return True
    return effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def can_submit_inspection(user) -> bool:
    """Inspectors hand in the inspection ranking of the townships of their inspection groups."""
    return effective_role(user) == Role.INSPECTOR
