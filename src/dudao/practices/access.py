"""Who may do what with good practices: the township's staff write their own township's, the office any and
decides on all."""

from dudao.accounts.access import effective_role, is_office
from dudao.accounts.models import Role


def may_write(user, town) -> bool:
    """Write, edit and submit a practice of this township."""
    if is_office(user):
        return True
    return effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id == town.pk


def may_write_any(user) -> bool:
    """Has a township (or all of them) to write for: the staff pages' door."""
    return is_office(user) or (effective_role(user) == Role.TOWN_STAFF and user.scope_unit_id is not None)
