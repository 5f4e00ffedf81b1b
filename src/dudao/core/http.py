"""Small answers shared by the pages: refuse what the role may not do, and 404 what cannot name a thing."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from dudao.core import weeks


def require(allowed: bool) -> None:
    """403 unless the access module said yes."""
    if not allowed:
        raise PermissionDenied


def week_or_404(week: str) -> str:
    """The ISO week from a URL (2026-W10), or 404 when it names no week."""
    try:
        weeks.parse_week(week)
    except ValueError:
        raise Http404 from None
    return week
