"""Bulletins (通报) are circulated down to every village: all signed-in roles read the published ones; the office
remakes them and edits the Word template (accounts.access.is_office)."""

from dudao.accounts.access import READ_ALL, effective_role
from dudao.accounts.models import Role

BULLETIN_READERS = READ_ALL | {Role.TOWN_STAFF, Role.VILLAGE_STAFF, Role.INSPECTOR}


def can_read_bulletins(user) -> bool:
    return effective_role(user) in BULLETIN_READERS
