"""The door for views that API clients read as well as browsers: the photos' and drone images' files."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from dudao.accounts.services import token_user


def signed_in_or_token(view):
    """login_required that also takes `Authorization: Bearer TOKEN` (an API client or an app that holds a token
    and no session). A token that is unknown, revoked or of an inactive user answers 401, never the sign-in page."""
    browser_view = login_required(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return browser_view(request, *args, **kwargs)
        user = token_user(token.strip())
        if user is None:
            return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="dudao"'})
        request.user = user
        return view(request, *args, **kwargs)

    return wrapped
