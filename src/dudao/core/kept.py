"""Kept pages: what the leaders open most is rendered once per generation of the data and served from a cache.

Every write statement to a table a page may show moves the data's *generation* on: a process-local count at once
(so a process reads its own writes) and the shared row `core_generation` once the transaction commits (so every
web process and host sees it; the worker's writes count too). A kept page's key holds the generation it was
rendered under, read before the page's data, so a page is never served after a write it does not show: at worst
one request renders a newer page under the older key, which the next generation never reads. Pages are kept per
session (or API token), path, language and the headers that change the answer, so nobody is served what another
user sees; and for KEPT_PAGES_SECONDS at most, for what changes with the clock alone (a deadline passing).
Decision record: docs/decisions/0012-kept-pages.md.
"""

import gzip
import hashlib
import itertools
import logging
import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.transaction import TransactionManagementError
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO|TRUNCATE(?:\s+TABLE)?)'
                   r'\s+["`]?(\w+)', re.IGNORECASE)
# Tables whose writes no kept page shows: sessions (the idle clock), the generation itself, failed sign-ins, the
# worker's claims of its periodic checks and its sign of life (every few seconds: it would end every kept page).
UNSHOWN = frozenset({"django_session", "core_generation", "accounts_loginattempt", "notifications_periodiccheck",
                     "worker_workerbeat"})

_counter = itertools.count(1)
_local_writes = 0  # this process's write statements so far (next() on a count is atomic: threads lose none)


def written_table(sql: str) -> str | None:
    """The table a write statement writes to (lower case), None for a read or anything else."""
    match = WRITE.match(sql)
    return match.group(1).lower() if match else None


def bump() -> None:
    """Move the shared generation on (after a commit; in autocommit, so a failure leaves no broken transaction)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_generation SET value = value + 1 WHERE id = 1")
            if cursor.rowcount == 0:  # the row is gone (a test database flushed): start again
                cursor.execute("INSERT INTO core_generation (id, value) VALUES (1, 1)")
    except DatabaseError:  # before the core's migration (migrating an empty database)
        logger.debug("no generation table yet", exc_info=True)


def watch_writes(execute, sql, params, many, context):
    """A database execute wrapper (installed on every connection): counts the writes a kept page may show."""
    result = execute(sql, params, many, context)
    table = written_table(sql) if isinstance(sql, str) else None
    if table is not None and table not in UNSHOWN:
        global _local_writes
        _local_writes = next(_counter)
        db = context["connection"]
        if not any(func is bump for _sids, func, _robust in db.run_on_commit):
            try:
                db.on_commit(bump)
            except TransactionManagementError:  # a transaction managed by hand: moved with it, at its commit
                bump()
    return result


def install(sender, connection, **kwargs) -> None:
    """connection_created receiver."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def generation() -> str:
    """The data's generation now: the shared value and this process's own writes."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM core_generation WHERE id = 1")
            row = cursor.fetchone()
    except DatabaseError:
        row = None
    return f"{row[0] if row else 0}.{_local_writes}"


def forget_all(**kwargs) -> None:
    """setting_changed receiver: a kept page may depend on any setting."""
    caches[settings.KEPT_PAGES_CACHE].clear()


VARYING_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_ENCODING", "HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_TRIGGER")
GZIP_FROM_BYTES = 8 * 1024


def _identity(request) -> str | None:
    """Whose page this is: the session's key for a signed-in session, the token for an API client; None for
    anybody else (not kept). The user is not loaded: a change to the user (signed out elsewhere, deactivated, new
    password, new role) is a write, so no page kept before it is served after it; the page rendered on a miss
    loads the user and checks the session as always."""
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY) is not None and session.session_key:
        return "session:" + session.session_key
    return None


def _messages_waiting(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def _compressed(request, response) -> None:
    """A long JSON answer is kept gzipped for a client that accepts it: compressed once, served many times. (JSON
    only: it holds no secret a compression side channel could reveal, unlike a page with a form's token.)"""
    if (response.has_header("Content-Encoding") or len(response.content) < GZIP_FROM_BYTES
            or not response.get("Content-Type", "").startswith(("application/json", "application/geo+json"))
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return
    response.content = gzip.compress(response.content, compresslevel=6, mtime=0)
    response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))


class KeptPagesMiddleware:
    """Serves the views named in settings.KEPT_PAGES from the cache when their key is there; keeps what they
    answer otherwise. Goes after the authentication and messages middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "_kept_key", None)
        if (key is not None and response.status_code == 200 and not response.streaming and not response.cookies
                and len(response.content) <= settings.KEPT_PAGES_MAX_BYTES and not _messages_waiting(request)):
            _compressed(request, response)
            caches[settings.KEPT_PAGES_CACHE].set(key, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "GET" or settings.KEPT_PAGES_SECONDS <= 0:
            return None
        match = request.resolver_match
        if match is None or match.view_name not in settings.KEPT_PAGES:
            return None
        identity = _identity(request)
        if identity is None or _messages_waiting(request):
            return None
        parts = [generation(), identity, request.get_full_path(), getattr(request, "LANGUAGE_CODE", ""),
                 *(request.META.get(name, "") for name in VARYING_HEADERS)]
        key = "kept:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        kept = caches[settings.KEPT_PAGES_CACHE].get(key)
        if kept is not None:
            return kept
        request._kept_key = key
        return None
