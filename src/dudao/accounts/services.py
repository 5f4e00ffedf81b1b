"""Accounts: sign-in with lockout, API tokens and user management, each audit-logged."""

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.accounts.models import ApiToken, LoginAttempt, Role, User
from dudao.audit.services import audit_record
from dudao.core.errors import Refused, cleaned_text
from dudao.core.http import client_address

TOKEN_PREFIX = "dd_"  # noqa: S105 - a marker that makes leaked tokens easy to grep for, not a secret


class LockedOut(Refused):
    """Sign-in refused before the password is checked: too many failures for the account, for the account on this
    known device, or from this client address, in the window (decision 0014)."""


# A browser that signed in as a user gets a signed cookie naming a device id and the users it signed in as: from
# it, those users are held only to that device's own failures, so a stranger who locks an account does not lock
# its owner out of their usual browser (decision 0014).
KNOWN_DEVICE_COOKIE = "dudao_device"
KNOWN_DEVICE_SALT = "dudao.accounts.known-device"
KNOWN_DEVICE_DAYS = 180
KNOWN_DEVICE_USERS = 10  # users remembered by one browser (a shared office computer), the latest kept


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES)


def _failures_since_success(attempts) -> int:
    last_success = attempts.filter(succeeded=True).order_by("-at").values_list("at", flat=True).first()
    failures = attempts.filter(succeeded=False)
    if last_success is not None:
        failures = failures.filter(at__gt=last_success)
    return failures.count()


def is_locked_out(username: str) -> bool:
    """Too many failed sign-ins for the account in the window, since its last success, from browsers that are not
    its known devices (those answer for their own attempts only)."""
    recent = LoginAttempt.objects.filter(username__iexact=username, device="", at__gte=_window_start())
    return _failures_since_success(recent) >= settings.LOCKOUT_ATTEMPTS


def _device_cookie(request) -> dict:
    raw = request.COOKIES.get(KNOWN_DEVICE_COOKIE) if request is not None else None
    if not raw:
        return {}
    try:
        value = signing.loads(raw, salt=KNOWN_DEVICE_SALT, max_age=dt.timedelta(days=KNOWN_DEVICE_DAYS))
    except signing.BadSignature:
        return {}
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) or not isinstance(value.get("u"), list):
        return {}
    return value


def known_device(request, username: str) -> str:
    """The id of this browser's known device when it signed in as ``username`` before, else ""."""
    value = _device_cookie(request)
    if not value:
        return ""
    user_id = User.objects.filter(username__iexact=username).values_list("pk", flat=True).first()
    return value["d"] if user_id is not None and user_id in value["u"] else ""


def known_device_cookie(request, user: User) -> str:
    """The signed cookie value that makes this browser a known device of ``user`` (keeping its id and the other
    users it knows)."""
    value = _device_cookie(request) or {"d": secrets.token_hex(16), "u": []}
    users = [pk for pk in value["u"] if pk != user.pk][-(KNOWN_DEVICE_USERS - 1):] + [user.pk]
    return signing.dumps({"d": value["d"], "u": users}, salt=KNOWN_DEVICE_SALT)


def _refusal(username: str, address: str | None, device: str) -> LockedOut | None:
    minutes = {"minutes": settings.LOCKOUT_MINUTES}
    since = _window_start()
    if device:
        # A known device answers only for its own failures: nobody elsewhere can lock the owner out of it.
        mine = LoginAttempt.objects.filter(username__iexact=username, device=device, at__gte=since)
        if _failures_since_success(mine) >= settings.LOCKOUT_ATTEMPTS:
            return LockedOut("sign_in_locked_device", _(
                "Too many failed sign-ins for this account on this device: try again in %(minutes)s minutes or "
                "ask the administrator.") % minutes)
        return None
    if address is not None and LoginAttempt.objects.filter(
            ip=address, succeeded=False, at__gte=since).count() >= settings.CLIENT_ATTEMPTS:
        return LockedOut("sign_in_throttled", _(
            "Too many failed sign-ins from this address: sign-ins from it are paused for %(minutes)s minutes.")
            % minutes)
    if is_locked_out(username):
        return LockedOut("sign_in_locked", _(
            "Too many failed sign-ins for this account: it is locked for %(minutes)s minutes. You can still sign "
            "in from a device you have signed in with before, or ask the administrator.") % minutes)
    return None


def sign_in(*, request, username: str, password: str) -> User | None:
    """Check a password unless the client is throttled or the account locked (decision 0014); every attempt is
    recorded with the client's address and known device. LockedOut says which."""
    username = username.strip()
    address = client_address(request, settings.TRUSTED_PROXIES) if request is not None else None
    device = known_device(request, username)
    refusal = _refusal(username, address, device)
    if refusal is not None:
        raise refusal
    user = authenticate(request, username=username, password=password)
    with transaction.atomic():
        LoginAttempt.objects.create(username=username, at=timezone.now(), succeeded=user is not None,
                                    ip=address, device=device)
        if user is not None:
            audit_record(actor=user, action="user.sign_in", object_type="user", object_id=user.username)
    return user


HANDED_OUT_ITERATIONS_SHARE = 40  # a handed-out password's PBKDF2 iterations: this fraction of the product's


def handed_out_password_hash(raw: str) -> str:
    """The stored hash of a random password Dudao makes and hands out once (grid accounts opened in bulk, decision
    0023): PBKDF2-SHA256 at a fortieth of the iterations (25,000 of Django's 1,000,000), so that a township's few
    hundred accounts open in one request (0.23 CPU-s each at the full count: minutes). Django hashes the password
    again at the full count when it is first used to sign in (the hasher's must_update). The password is random,
    10 of 31 characters (about 2^49): a stolen hash of it still takes decades of a GPU to reverse."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(raw, hasher.salt(), iterations=max(1, hasher.iterations // HANDED_OUT_ITERATIONS_SHARE))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_create(*, actor, user: User) -> str:
    """Issue a bearer token for the user; the token is returned once and only its digest is kept."""
    if not access.can_manage_users(actor):
        raise PermissionDenied
    token = _new_token()
    with transaction.atomic():
        record = ApiToken.objects.create(user=user, digest=token_digest(token), prefix=token[:8],
                                         created_at=timezone.now())
        audit_record(actor=actor, action="token.create", object_type="user", object_id=user.username,
                     after={"token": record.prefix + "…"})
    return token


def token_revoke(*, actor, user: User) -> int:
    """Revoke every live token of the user; the number revoked."""
    if not access.can_manage_users(actor):
        raise PermissionDenied
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        now = timezone.now()
        for record in live:
            record.revoked_at = now
            record.save(update_fields=["revoked_at"])
        if live:
            audit_record(actor=actor, action="token.revoke", object_type="user", object_id=user.username,
                         before={"tokens": [r.prefix + "…" for r in live]}, after={"tokens": []})
    return len(live)


def token_user(token: str) -> User | None:
    record = (ApiToken.objects.select_related("user")
              .filter(digest=token_digest(token), revoked_at__isnull=True).first())
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


# A device's name when the field app gives none: its system and browser, read from the User-Agent. The first match
# of each list wins (an Android phone's agent also says "Linux", WeChat's also "Chrome", Edge's also "Chrome").
_SYSTEMS = (("HarmonyOS", "HarmonyOS"), ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_BROWSERS = (("MicroMessenger", "WeChat"), ("EdgA/", "Edge"), ("Edg/", "Edge"), ("HuaweiBrowser", "Huawei Browser"),
             ("MiuiBrowser", "MIUI Browser"), ("UCBrowser", "UC Browser"), ("Firefox/", "Firefox"),
             ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
DEVICE_NAME_MAX = 100
SESSION_DEVICES = "dudao_devices"  # the ids of the devices a session registered, revoked when it signs out


def device_name_from(user_agent: str) -> str:
    """"Android · Chrome" from a browser's User-Agent; the parts not recognised are left out."""
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    return " · ".join(part for part in (system, browser) if part) or _("Unknown device")


def devices_visible_to(user):
    """The field app devices a user may see and revoke: their own; the office's and administrators', everyone's."""
    devices = ApiToken.objects.filter(kind=ApiToken.Kind.DEVICE).select_related("user")
    return devices if access.is_office(user) else devices.filter(user=user)


def device_register(*, user: User, name: str, user_agent: str, address: str | None) -> tuple[ApiToken, str]:
    """A long-lived bearer token for one device of a signed-in user (the field app keeps it to send after its
    session has lapsed; decision 0020). The token is returned once; only its digest is kept."""
    if access.effective_role(user) is None:
        raise PermissionDenied
    name = cleaned_text(name, code="device_name", maximum=DEVICE_NAME_MAX) or device_name_from(user_agent)
    token = _new_token()
    with transaction.atomic():
        record = ApiToken.objects.create(user=user, kind=ApiToken.Kind.DEVICE, device_name=name,
                                         digest=token_digest(token), prefix=token[:8], created_at=timezone.now(),
                                         created_from=address)
        audit_record(actor=user, action="device.register", object_type="user", object_id=user.username,
                     after={"device": record.pk, "name": name, "token": record.prefix + "…", "from": address})
    return record, token


def device_revoke(*, actor, device_id: int) -> ApiToken:
    """Revoke one device's token at once (its next request answers 401). A device the actor may not see is not
    found; one already revoked stays as it was."""
    with transaction.atomic():
        record = devices_visible_to(actor).select_for_update(of=("self",)).filter(pk=device_id).first()
        if record is None:
            raise Http404
        if record.revoked_at is None:
            record.revoked_at = timezone.now()
            record.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="device.revoke", object_type="user", object_id=record.user.username,
                         before={"device": record.pk, "name": record.device_name, "token": record.prefix + "…"},
                         after={"device": record.pk, "revoked": True})
    return record


def devices_signed_out(*, actor, device_ids) -> int:
    """The user signed out of the browser that registered these devices: revoke those still live (the number)."""
    live = devices_visible_to(actor).filter(user=actor, pk__in=[int(pk) for pk in device_ids], revoked_at__isnull=True)
    revoked = [device_revoke(actor=actor, device_id=pk) for pk in live.values_list("pk", flat=True)]
    return len(revoked)


def user_snapshot(user: User) -> dict:
    return {
        "username": user.username, "display_name": user.first_name, "role": user.role, "is_active": user.is_active,
        "scope_unit": user.scope_unit.code if user.scope_unit is not None else None, "person": user.person_id,
    }


def user_save(*, actor, username: str, role: str, scope_unit: Any = None, person: Any = None,
              password: str | None = None, display_name: str = "", is_active: bool = True) -> User:
    """Create or update an account; township and village staff need a unit (an org.Unit) of their level, an
    inspector the person (an org.Person) in their inspection group."""
    if not access.can_manage_users(actor):
        raise PermissionDenied
    if not username.strip():
        raise Refused("username_required", _("The username is empty."))
    if role not in Role.values:
        raise Refused("bad_role", _("Unknown role %(role)s.") % {"role": role})
    if role == Role.TOWN_STAFF and (scope_unit is None or not scope_unit.is_town):
        raise Refused("town_area_required", _("Township staff need a township as their area."))
    if role == Role.VILLAGE_STAFF and (scope_unit is None or not scope_unit.is_ranked):
        raise Refused("village_area_required", _("Village staff need a village or community as their area."))
    if role == Role.GRID and (scope_unit is None or scope_unit.level != "grid"):
        raise Refused("grid_area_required", _("Grid staff need a grid as their area."))
    if role == Role.INSPECTOR and person is None:
        raise Refused("person_required", _("An inspector must be linked to a person in an inspection group."))
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if person is not None and User.objects.filter(person=person).exclude(username=username).exists():
            raise Refused("phone_taken", _("The person with phone %(phone)s already has another account.")
                          % {"phone": person.phone})
        old = user_snapshot(user) if user else None
        if user is None:
            user = User(username=username)
        user.role, user.scope_unit, user.person, user.is_active = role, scope_unit, person, is_active
        if display_name:
            user.first_name = display_name
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as weak:
                raise Refused("weak_password", " ".join(weak.messages), errors=list(weak.messages)) from None
            user.set_password(password)
        elif not user.pk:
            user.set_unusable_password()
        user.save()
        new = user_snapshot(user)
        if old != new or password is not None:
            audit_record(actor=actor, action="user.create" if old is None else "user.update", object_type="user",
                         object_id=user.username, before=old, after=new | {"password_changed": password is not None})
    return user
