"""Small answers shared by the pages: refuse what the role may not do, 404 what cannot name a thing, redirect
after a POST, hand over a file."""

import ipaddress
from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect

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


def see_other(url: str) -> HttpResponseRedirect:
    """303 See Other: after a form's POST, the browser GETs the page again."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """A file to save, under its name."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


def client_address(request, trusted_proxies: Collection[str]) -> str | None:
    """The address of the client that sent the request: the connection's, or, when that is one of the reverse
    proxies we trust, the last address in X-Forwarded-For that is not one of them (a client can write any
    addresses before those the proxies add, never after them)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote not in trusted_proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return remote
