"""How the public pages are kept and answered (docs/decisions/0011-public-portal.md).

A published round never changes (a correction is a new round, revision + 1), so what is derived from it is rendered
once and kept in Django's cache under the round's id and revision, the published stamp (ranking.selectors.
published_stamp: it moves when any week is published, which changes the links between weeks and the movers) and
the language. Answers read neither the session nor the user (no cookie set, no Vary: Cookie) and never the CSRF
token: the same URL and Accept-Language always get the same bytes, so browsers and proxies may keep them too.
"""

import hashlib
from collections.abc import Callable
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Kept this long at most: a unit's name is read live, so a renamed village shows its new name within a day.
TIMEOUT = 24 * 3600
# Browsers and proxies may reuse an answer this long before they ask again (with its ETag).
MAX_AGE = 300
VERSION = "1"  # bump when the pages' markup changes, so that no page rendered by older code is served


def public_language(request) -> str:
    """The language of a public answer: from Accept-Language only (not the language cookie of a signed-in user),
    so that the answer depends on nothing but what Vary names."""
    headers_only = SimpleNamespace(COOKIES={}, META=request.META, path_info=request.path_info)
    return translation.get_language_from_request(headers_only)  # type: ignore[arg-type]


def _finish(response: HttpResponse, language: str, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


def answer(request, parts: tuple, build: Callable[[], bytes | None], content_type: str,
           filename: str = "", missing: Callable[[], HttpResponse] | None = None) -> HttpResponse:
    """The answer kept under ``parts`` (what the content depends on besides the language), built in the public
    language by ``build`` when it is not kept yet; 304 when the client already holds it. ``build`` may find there
    is nothing to show (None): the answer is then ``missing()``, kept by nobody."""
    language = public_language(request)
    key = ":".join(["portal", VERSION, language, *map(str, parts)])
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return _finish(HttpResponseNotModified(), language, etag)
    body = cache.get(key)
    if body is None:
        with translation.override(language):
            body = build()
        if body is None:
            assert missing is not None, "build() found nothing and there is no answer for it"
            return missing()
        cache.set(key, body, TIMEOUT)
    response = HttpResponse(body, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _finish(response, language, etag)


def uncached(request, build: Callable[[], bytes], content_type: str, status: int = 200) -> HttpResponse:
    """An answer built each time (a page not found, the Open311 answers), in the public language and with the same
    headers, kept by nobody."""
    language = public_language(request)
    with translation.override(language):
        body = build()
    response = HttpResponse(body, content_type=content_type, status=status)
    response["Cache-Control"] = "no-cache" if status == 200 else "no-store"
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


def site_url(request) -> str:
    """The address people open Dudao at (DUDAO_SITE_URL), else the request's own."""
    return settings.SITE_URL or f"{request.scheme}://{request.get_host()}"
