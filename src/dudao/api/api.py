"""HTTP API, version 1 (CONTRACTS §4). Every endpoint reads through dudao.accounts.access."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from dudao import __version__
from dudao.accounts import access
from dudao.accounts import services as account_services
from dudao.accounts.services import token_user
from dudao.api.errors import answers
from dudao.api.paging import offset_query
from dudao.core.errors import Refused
from dudao.core.http import client_address
from dudao.org.access import (
    area_roots,
    groups_visible_to,
    phone_for,
    posts_visible_to,
    unit_visible_or_404,
    units_visible_to,
)
from dudao.org.selectors import search_units


class BearerToken(HttpBearer):
    """`Authorization: Bearer TOKEN`. A token sent and refused (unknown, revoked, an inactive user) answers 401
    even when the browser also holds a session: a revoked device is cut off at once (decision 0020)."""

    def authenticate(self, request, token):
        user = token_user(token)
        if user is None:
            raise AuthenticationError
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The web pages' session; unsafe methods also need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request):
        # Nobody signed in (a session that lapsed): 401, which the field app answers by asking to sign in again,
        # not the CSRF check's 403, which it would take for a refusal of the item it sent.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="Dudao API", version="1", description="督导 — county campaign API", urls_namespace="api-v1",
    auth=[BearerToken(), SessionAuth()], docs_url="/docs",
)


def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in JSON like the API itself."""
    return JsonResponse({"detail": _("Not found, or outside your area.")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": _("Sign in or send a valid bearer token.")}, status=401)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": _("You may not see or change this.")}, status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found, or outside your area.")}, status=404)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    return api.create_response(request, {"detail": _("The request is not valid."), "errors": exc.errors},
                               status=422)


@api.exception_handler(Refused)
def _refused(request, exc):
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400:  # ninja's only 400: a body that is not JSON; a request not valid, like the rest
        return api.create_response(request, {"detail": _("The request is not valid.")}, status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


class Me(Schema):
    username: str
    name: str
    role: str | None
    area: list[str] | None
    version: str


class UnitOut(Schema):
    code: str
    name: str
    official_name: str
    level: str
    parent_code: str
    active: bool
    lon: float | None
    lat: float | None
    datum: str
    point_synthetic: bool
    boundary: dict | None
    boundary_datum: str


class PostOut(Schema):
    id: int
    person_id: int
    person_name: str
    phone: str
    unit_code: str
    role: str
    title: str
    start_date: dt.date
    end_date: dt.date | None


class GroupOut(Schema):
    id: int
    kind: str
    name: str
    towns: list[str]
    active: bool


def _unit_out(unit) -> UnitOut:
    return UnitOut(
        code=unit.code, name=unit.name, official_name=unit.official_name, level=unit.level,
        parent_code=unit.parent.code if unit.parent_id else unit.external_parent_code, active=unit.active,
        lon=unit.lon, lat=unit.lat, datum=unit.point_datum, point_synthetic=unit.point_synthetic,
        boundary=unit.boundary, boundary_datum=unit.boundary_datum,
    )


@api.get("/me", response=answers(Me), summary="The signed-in user, their role and area")
def me(request):
    roots = area_roots(request.user)
    return Me(username=request.user.username, name=request.user.get_full_name(),
              role=access.effective_role(request.user), area=None if roots is None else [u.code for u in roots],
              version=__version__)


class DeviceIn(Schema):
    name: str = ""


class DeviceOut(Schema):
    id: int
    name: str
    token: str


@api.post("/devices", auth=SessionAuth(), response=answers({201: DeviceOut}, 403, 422),
          summary="Register this device (the field app): a long-lived bearer token, shown once; session only")
def device_register(request, payload: DeviceIn):
    record, token = account_services.device_register(
        user=request.user, name=payload.name, user_agent=request.headers.get("User-Agent", ""),
        address=client_address(request, settings.TRUSTED_PROXIES))
    # Signing out of this browser revokes the devices it registered (a shared phone: the next user must not send
    # as this one); a session that merely lapses leaves them working.
    request.session[account_services.SESSION_DEVICES] = [*request.session.get(account_services.SESSION_DEVICES, []),
                                                         record.pk]
    return Status(201, DeviceOut(id=record.pk, name=record.device_name, token=token))


@api.get("/units", response=answers(list[UnitOut], 422), summary="Units in the caller's area")
def units(request, q: str = "", level: str = "", limit: int = Query(500, ge=1, le=5000),
          offset: int = offset_query()):
    queryset = search_units(request.user, q) if q else \
        units_visible_to(request.user).select_related("parent").order_by("path")
    if level:
        queryset = queryset.filter(level=level)
    # Plain rows, not model instances with their parents and then schema objects validated again: the same answer.
    rows = queryset.values("code", "name", "official_name", "level", "parent__code", "external_parent_code",
                           "active", "lon", "lat", "point_datum", "point_synthetic", "boundary", "boundary_datum")
    return [{**row, "parent_code": row["parent__code"] or row["external_parent_code"], "datum": row["point_datum"]}
            for row in rows[offset: offset + limit]]


@api.get("/units/{code}", response=answers(UnitOut, 404), summary="One unit")
def unit(request, code: str):
    return _unit_out(unit_visible_or_404(request.user, code))


@api.get("/units/{code}/posts", response=answers(list[PostOut], 404, 422),
         summary="Posts at a unit, optionally on a date")
def unit_posts(request, code: str, on: dt.date | None = None):
    target = unit_visible_or_404(request.user, code)
    posts = posts_visible_to(request.user).filter(unit=target).select_related("person", "unit")
    if on is not None:
        posts = posts.held_between(on)
    return [
        PostOut(id=p.pk, person_id=p.person_id, person_name=p.person.name,
                phone=phone_for(request.user, p.person), unit_code=p.unit.code, role=p.role, title=p.title,
                start_date=p.start_date, end_date=p.end_date)
        for p in posts
    ]


@api.get("/groups", response=answers(list[GroupOut]), summary="Working groups the caller may see")
def groups(request):
    return [
        GroupOut(id=g.pk, kind=g.kind, name=g.name, towns=[t.code for t in g.towns.all()], active=g.active)
        for g in groups_visible_to(request.user).prefetch_related("towns")
    ]


from dudao.api.drone import router as drone_router  # noqa: E402
from dudao.api.field import router as field_router  # noqa: E402  (the router needs the api's error handlers)
from dudao.api.interviews import router as interviews_router  # noqa: E402
from dudao.api.rounds import router as rounds_router  # noqa: E402

api.add_router("", field_router)
api.add_router("", drone_router)
api.add_router("", rounds_router)
api.add_router("", interviews_router)
