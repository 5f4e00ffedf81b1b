"""The idle timeout of a signed-in session without writing the session row on every request."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

REFRESHED = "_refreshed"  # the epoch second at which the session's expiry was last moved forward


def refreshed_at_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in writes the session anyway: it starts counting from then, so the next request writes nothing."""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED] = int(time.time())


class IdleSessionMiddleware:
    """Moves a signed-in session's expiry forward (by saving it) only when its last move is older than
    SESSION_REFRESH_SECONDS. A user who reads pages keeps the session; one idle for SESSION_COOKIE_AGE is signed
    out (up to SESSION_REFRESH_SECONDS sooner); a request in between writes nothing. Goes after SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed:  # a page that did not read the session (the health check)
            return response
        if settings.SESSION_COOKIE_NAME not in request.COOKIES and not session.modified:
            return response
        if SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(REFRESHED, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED] = now
        return response


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY (dudao.core.csp) on every answer: pages, the API, the public portal
    and the static files it wraps (WhiteNoise answers inside it). An answer that set its own policy keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
