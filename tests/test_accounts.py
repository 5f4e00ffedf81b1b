"""Sign-in, lockout, session timeout and sign-out."""

import datetime as dt
import io
import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dudao.accounts.models import LoginAttempt
from dudao.audit.models import AuditEvent
from dudao.core.middleware import REFRESHED
from dudao.demo.load import DEMO_PASSWORD


def sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_sign_in_redirects_home_and_records_the_attempt(db):
    client = Client()
    response = sign_in(client, "demo_office", DEMO_PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/").status_code == 200
    assert list(LoginAttempt.objects.filter(username="demo_office").values_list("succeeded", flat=True)) == [True]
    assert AuditEvent.objects.latest("seq").action == "user.sign_in"


def test_wrong_password_is_refused_with_a_message(db):
    response = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), "demo_office", "wrong-password")
    assert response.status_code == 401
    assert "The username or password is wrong." in response.content.decode()


def test_lockout_after_repeated_failures_even_with_the_right_password(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        assert sign_in(client, "demo_town", "wrong-password").status_code == 401
    response = sign_in(client, "demo_town", DEMO_PASSWORD)
    assert response.status_code == 401
    assert "Too many failed sign-ins" in response.content.decode()
    assert LoginAttempt.objects.filter(username="demo_town", succeeded=True).count() == 0
    # Another account is not affected.
    assert sign_in(Client(), "demo_village", DEMO_PASSWORD).status_code == 302


def test_lock_expires_after_the_window(db):
    import datetime as dt

    from django.utils import timezone

    client = Client()
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        sign_in(client, "demo_leader", "wrong-password")
    LoginAttempt.objects.filter(username="demo_leader").update(
        at=timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES + 1))
    assert sign_in(client, "demo_leader", DEMO_PASSWORD).status_code == 302


def test_next_parameter_cannot_redirect_off_site(db):
    response = Client().post("/accounts/login/?next=https://evil.example/", {"username": "demo_office",
                                                                             "password": DEMO_PASSWORD})
    assert response["Location"] == "/"


def test_session_is_an_idle_timeout_of_30_minutes_by_default():
    assert (settings.SESSION_COOKIE_AGE, settings.SESSION_SAVE_EVERY_REQUEST) == (30 * 60, False)
    assert settings.SESSION_REFRESH_SECONDS == 3 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def _session_writes(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")]


def test_reading_pages_does_not_write_the_session_but_keeps_it_alive(db):
    client = Client()
    sign_in(client, "demo_leader", DEMO_PASSWORD)
    client.get("/dashboard/")  # the first request after signing in marks the session refreshed
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expiry = Session.objects.get(session_key=key).expire_date
    for path in ("/dashboard/", "/map/", "/ranking/", "/interviews/", "/problems/", "/notifications/",
                 "/bulletins/"):
        assert _session_writes(client, path) == [], path
    assert Session.objects.get(session_key=key).expire_date == expiry
    # Once the last refresh is older than a tenth of the age, one request moves the expiry forward.
    session = SessionStore(session_key=key)
    session[REFRESHED] = int(time.time()) - settings.SESSION_REFRESH_SECONDS
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=expiry - dt.timedelta(minutes=5))
    assert len(_session_writes(client, "/dashboard/")) == 1
    assert Session.objects.get(session_key=key).expire_date > expiry
    assert _session_writes(client, "/dashboard/") == []


def test_an_idle_session_ends_after_its_age(db):
    client = Client()
    sign_in(client, "demo_leader", DEMO_PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_sign_out_needs_post_and_ends_the_session(db):
    client = Client()
    sign_in(client, "demo_office", DEMO_PASSWORD)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_demo_users_have_no_other_password(db):
    assert sign_in(Client(), "demo_admin", "").status_code == 200  # the form itself refuses an empty password
    assert sign_in(Client(), "demo_admin", "admin").status_code == 401


def test_createsuperuser_and_changepassword_are_audit_logged(db, monkeypatch):
    from django.core.management import call_command

    from dudao.audit.models import AuditEvent

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Xy7!kq-long-pass")
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    call_command("createsuperuser", interactive=False, username="root", email="root@example.cn", stdout=io.StringIO())
    from django.contrib.auth.management.commands import changepassword

    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "N3w!pass-word-long")
    call_command("changepassword", "root", stdout=io.StringIO())
    events = list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))
    assert [(e.action, e.object_id, e.actor_label) for e in events] == [
        ("user.create_superuser", "root", "system:cli"), ("user.password", "root", "system:cli")]
    assert events[0].after["superuser"] is True
    assert events[1].after == {"password_changed": True}
    assert "N3w!pass" not in str(events[1].after)


def test_actors_are_shown_by_name_and_role(db):
    from django.utils import translation

    from dudao.accounts.actors import actor_display
    from dudao.accounts.models import User
    from dudao.org.models import Person

    leader = User.objects.get(username="demo_leader")
    with translation.override("en"):
        person = Person.objects.create(name="王建国", phone="10000000999", synthetic=True)
        leader.person = person
        assert actor_display(leader, "demo_leader") == "王建国 (leader)"
        leader.person = None
        leader.first_name, leader.last_name = "", ""
        assert actor_display(leader, "demo_leader") == "demo_leader (leader)"
        assert actor_display(None, "system:cli") == "Dudao, run by the administrator (command line)"
        assert actor_display(None, "field:drone") == "drone photos (fed automatically)"
        assert actor_display(None, "field:inspections") == "field inspections (fed automatically)"
        assert actor_display(None, "someone_removed") == "someone_removed"
    with translation.override("zh-hans"):
        assert actor_display(None, "field:drone") == "无人机照片（自动汇入）"


ACCOUNT_LOCKED = ("Too many failed sign-ins for this account: it is locked for 15 minutes. You can still sign in from "
                  "a device you have signed in with before, or ask the administrator.")
DEVICE_LOCKED = ("Too many failed sign-ins for this account on this device: try again in 15 minutes or ask the "
                 "administrator.")
PAUSED = "Too many failed sign-ins from this address: sign-ins from it are paused for 15 minutes."


def refusal(response) -> str:
    import html
    import re

    return html.unescape(re.search(r'role="alert"[^>]*>\s*(.*?)\s*<', response.content.decode(), re.DOTALL).group(1))


def known_client(username: str, address: str = "10.0.0.1") -> Client:
    """A browser that signed in as ``username`` once (and signed out): it carries the known-device cookie."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    assert sign_in(client, username, DEMO_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    return client


def test_a_stranger_who_locks_an_account_does_not_lock_its_owner_out_of_their_known_device(db):
    owner = known_client("demo_town")
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.66")
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        assert sign_in(stranger, "demo_town", "wrong-password").status_code == 401
    refused = sign_in(stranger, "demo_town", DEMO_PASSWORD)
    assert (refused.status_code, refusal(refused)) == (401, ACCOUNT_LOCKED)
    assert sign_in(owner, "demo_town", DEMO_PASSWORD).status_code == 302
    # Elsewhere the account stays locked, whoever tries.
    elsewhere = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.2"), "demo_town", DEMO_PASSWORD)
    assert (elsewhere.status_code, refusal(elsewhere)) == (401, ACCOUNT_LOCKED)


def test_a_known_device_is_held_to_its_own_failures(db):
    owner = known_client("demo_town")
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        assert sign_in(owner, "demo_town", "wrong-password").status_code == 401
    refused = sign_in(owner, "demo_town", DEMO_PASSWORD)
    assert (refused.status_code, refusal(refused)) == (401, DEVICE_LOCKED)
    attempts = LoginAttempt.objects.filter(username="demo_town").order_by("at", "pk")
    device = attempts.last().device
    assert len(device) == 32
    assert list(attempts.values_list("succeeded", "device")) == [(True, "")] + [(False, device)] * 5


def test_a_device_cookie_forged_or_of_another_user_counts_for_nothing(db):
    other = known_client("demo_office")
    forged = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.3")
    forged.cookies["dudao_device"] = other.cookies["dudao_device"].value[:-2] + "xx"
    for _ in range(settings.LOCKOUT_ATTEMPTS):
        sign_in(Client(REMOTE_ADDR="10.0.0.66"), "demo_town", "wrong-password")
    for client in (other, forged):
        refused = sign_in(client, "demo_town", DEMO_PASSWORD)
        assert (refused.status_code, refusal(refused)) == (401, ACCOUNT_LOCKED)


def test_the_known_device_cookie_is_signed_http_only_and_lasts_180_days(db):
    client = known_client("demo_office")
    cookie = client.cookies["dudao_device"]
    assert (cookie["httponly"], cookie["samesite"], cookie["max-age"]) == (True, "Lax", 180 * 86400)
    assert known_client("demo_town").cookies["dudao_device"].value != cookie.value
    # One browser remembers several users under one device id.
    assert sign_in(client, "demo_town", DEMO_PASSWORD).status_code == 302
    devices = {a.device for a in LoginAttempt.objects.filter(username__in=["demo_office", "demo_town"])}
    assert devices == {""}
    client.post("/accounts/logout/")
    sign_in(client, "demo_town", "wrong-password")
    sign_in(client, "demo_office", "wrong-password")
    failed = LoginAttempt.objects.filter(succeeded=False).values_list("username", "device").order_by("username")
    assert len({device for _, device in failed}) == 1
    assert [name for name, _ in failed] == ["demo_office", "demo_town"]


def test_a_client_address_that_fails_too_often_is_paused_for_every_account(db, settings):
    settings.CLIENT_ATTEMPTS = 3
    prober = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.0.9")
    for name in ("demo_town", "demo_village", "demo_leader"):  # one failure each: no account is locked
        assert sign_in(prober, name, "wrong-password").status_code == 401
    refused = sign_in(prober, "demo_office", DEMO_PASSWORD)
    assert (refused.status_code, refusal(refused)) == (401, PAUSED)
    assert LoginAttempt.objects.filter(username="demo_office").count() == 0  # the password was not even tried
    assert sign_in(Client(REMOTE_ADDR="10.0.0.10"), "demo_office", DEMO_PASSWORD).status_code == 302
    LoginAttempt.objects.filter(ip="10.0.0.9").update(
        at=timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES + 1))
    assert sign_in(prober, "demo_office", DEMO_PASSWORD).status_code == 302


def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(db, settings):
    spoofed = "6.6.6.6, 10.0.0.5"  # the client wrote 6.6.6.6; the proxy appended the address it saw
    sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=spoofed), "demo_town", "wrong-password")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=spoofed), "demo_town", "wrong-password")
    sign_in(Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR=spoofed), "demo_town", "wrong-password")
    sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address"), "demo_town", "wrong-password")
    assert list(LoginAttempt.objects.order_by("pk").values_list("ip", flat=True)) == [
        "127.0.0.1", "10.0.0.5", "10.0.0.7", "127.0.0.1"]
