"""Who may do what with exposure items: the office composes, reviews and withdraws them (a second office user, never
the author, publishes or returns one); a village's staff read the published items about their own village and
reply to them. Anyone else: nothing (the public reads the portal)."""

from dudao.accounts.access import effective_role, is_office
from dudao.accounts.models import Role


def is_village_staff(user) -> bool:
    return effective_role(user) == Role.VILLAGE_STAFF and user.scope_unit_id is not None


def may_open(user) -> bool:
    """The staff pages' door: the office, and a village's staff."""
    return is_office(user) or is_village_staff(user)


def may_reply(user, item) -> bool:
    """The village's staff reply to a published item about their village."""
    return is_village_staff(user) and user.scope_unit_id == item.village_id
