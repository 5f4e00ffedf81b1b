"""How the public pages are kept and answered (docs/decisions/0011-public-portal.md).

A published round never changes (a correction is a new round, revision + 1), so what is derived from it is rendered
once and kept in Django's cache under the round's id and revision, the published stamp (ranking.selectors.
published_stamp: it moves when any week is published, which changes the links between weeks and the movers) and
the language. Answers read neither the session nor the user (no cookie set, no Vary: Cookie) and never the CSRF
token: the same URL and Accept-Language always get the same bytes, so browsers and proxies may keep them too.

In front of that, each process keeps its latest answers by URL and language (``kept``) while the published stamp
it read stays the same; it reads the stamp again at most every STAMP_SECONDS. A kept answer then costs no query at
all, and a week published shows on every process within STAMP_SECONDS. It cannot show what was not published: a
stamp moves only when something is published, and nothing published is ever taken back.
"""

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_vary_headers

from dudao.campaigns.services import campaign_get
from dudao.ranking.selectors import published_stamp

# Kept this long at most: a unit's name is read live, so a renamed village shows its new name within a day.
TIMEOUT = 24 * 3600
# Browsers and proxies may reuse an answer this long before they ask again (with its ETag).
MAX_AGE = 300
VERSION = "3"  # bump when the pages' markup changes, so that no page rendered by older code is served
# A process trusts the published stamp it read this long (tests set 0: read it every time).
STAMP_SECONDS = 2.0
# The answers a process keeps by URL (least recently used out first); bigger ones (posters) only in the cache.
KEPT_ENTRIES = 512
KEPT_MAX_BYTES = 256 * 1024


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


@dataclass(frozen=True)
class _Kept:
    stamp: str
    at: float
    body: bytes
    headers: tuple[tuple[str, str], ...]


class _Process:
    """This process's published stamp (with when it was read) and its latest answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp = ""
        self.read_at = float("-inf")
        self.answers: OrderedDict[tuple[str, str], _Kept] = OrderedDict()


_process = _Process()


def forget() -> None:
    """Drop what this process keeps (tests; a database restored under a running process)."""
    global _process
    _process = _Process()


def _stamp() -> str:
    now = time.monotonic()
    if now - _process.read_at >= STAMP_SECONDS:
        campaign = campaign_get()
        stamp = f"{campaign.pk}:{published_stamp(campaign)}"
        with _process.lock:
            _process.stamp, _process.read_at = stamp, now
    return _process.stamp


def kept(view):
    """A public view whose successful answers this process keeps by URL and language while the published stamp
    stays the same (see the module's docstring); a 404, a 405 and a 304 are never kept."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        # The path as asked (build_absolute_uri would resolve "/public/weeks/../" into another page's key).
        key = (f"{request.scheme}://{request.get_host()}{request.get_full_path()}", public_language(request))
        stamp = _stamp()
        with _process.lock:
            hit = _process.answers.get(key)
            if hit is not None and hit.stamp == stamp and time.monotonic() - hit.at < TIMEOUT:
                _process.answers.move_to_end(key)
            else:
                hit = None
        if hit is not None:
            headers = dict(hit.headers)
            if headers["ETag"] in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
                response = HttpResponseNotModified()
                for name in ("ETag", "Cache-Control", "Content-Language", "Vary"):
                    response[name] = headers[name]
                return response
            response = HttpResponse(hit.body)
            for name, value in hit.headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and "ETag" in response and len(response.content) <= KEPT_MAX_BYTES:
            names = ("Content-Type", "ETag", "Cache-Control", "Content-Language", "Vary", "Content-Disposition")
            entry = _Kept(stamp, time.monotonic(), response.content,
                          tuple((name, response[name]) for name in names if name in response))
            with _process.lock:
                _process.answers[key] = entry
                _process.answers.move_to_end(key)
                while len(_process.answers) > KEPT_ENTRIES:
                    _process.answers.popitem(last=False)
        return response

    return wrapper
