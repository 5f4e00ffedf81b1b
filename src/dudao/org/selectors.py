"""Scoped reads of organisation data shared by the pages and the API."""

from django.db.models import Q, QuerySet

from dudao.accounts import access
from dudao.org.models import Unit


def search_units(user, query: str) -> QuerySet[Unit]:
    """Units in the user's area matching a name, code, full pinyin or pinyin initials (``dsz`` finds 大水䃎村)."""
    query = query.strip()
    units = access.units_visible_to(user).select_related("parent")
    if not query:
        return units.none()
    lowered = query.lower()
    q = Q(name__contains=query) | Q(official_name__contains=query) | Q(code__startswith=query)
    if lowered.isascii() and lowered.isalpha():
        q |= Q(initials__startswith=lowered) | Q(pinyin__startswith=lowered) | Q(initials__contains=lowered)
    return units.filter(q).order_by("path")
