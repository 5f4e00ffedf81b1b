"""Field app devices (issue 17, decision 0020): a signed-in user's field app registers its device and gets a
long-lived bearer token (stored only as a digest), so that it syncs after its session has lapsed; the user sees
and revokes their own devices, the office anyone's; a revoked device is refused at once; the token is the user,
so the access rules of the user's area apply to it; issuing and revoking are audit-logged."""

import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from dudao.accounts.models import ApiToken
from dudao.accounts.services import device_name_from
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.inspections import services as inspection_services
from dudao.inspections.models import Inspection
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84

SHUIYUAN = "620423100200"  # 水源村, 一条山镇: demo_inspector's area
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇: not the inspector's
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Mobile Safari/537.36")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
UNAUTHENTICATED = {"detail": "Sign in or send a valid bearer token."}


def register(client: Client, name: str = "", **headers):
    return client.post("/api/v1/devices", json.dumps({"name": name}), content_type="application/json",
                       HTTP_USER_AGENT=ANDROID_CHROME, **EN, **headers)


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def photo(client: Client, village: str = SHUIYUAN):
    lon, lat = unit_point_wgs84(Unit.objects.get(code=village))
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(out, "JPEG")
    return client.post("/api/v1/photos", {"file": SimpleUploadedFile("p.jpg", out.getvalue(), "image/jpeg"),
                                          "village": village, "lat": lat, "lon": lon, "client_key": "dev-p1"}, **EN)


def inspection(client: Client, photos: list[int], village: str = SHUIYUAN):
    checklist = inspection_services.checklist_default(campaign_get())
    lon, lat = unit_point_wgs84(Unit.objects.get(code=village))
    body = {"client_key": "dev-1", "village": village, "checklist": checklist.pk, "lat": lat, "lon": lon,
            "accuracy_m": 9.0, "photos": photos,
            "marks": [{"item": i.pk, "points": i.max_points} for i in checklist.items.all()]}
    return client.post("/api/v1/inspections", json.dumps(body), content_type="application/json", **EN)


def test_a_signed_in_user_registers_a_device_and_only_the_digest_is_kept(users, client_for):
    client = client_for(users["inspector"])
    response = register(client)
    assert response.status_code == 201
    answer = response.json()
    token = answer["token"]
    record = ApiToken.objects.get(pk=answer["id"])
    assert answer == {"id": record.pk, "name": "Android · Chrome", "token": token}
    assert (record.user, record.kind, record.device_name, record.created_from, record.revoked_at) == (
        users["inspector"], "device", "Android · Chrome", "127.0.0.1", None)
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(getattr(record, f.attname)) for f in ApiToken._meta.concrete_fields}
    event = AuditEvent.objects.filter(action="device.register").latest("pk")
    assert (event.actor_label, event.object_id) == ("user:demo_inspector", "demo_inspector")
    assert token not in json.dumps(event.after)
    assert event.after == {"device": record.pk, "name": "Android · Chrome", "token": token[:8] + "…",
                           "from": "127.0.0.1"}


def test_a_typed_device_name_is_kept_and_a_too_long_one_refused(users, client_for):
    client = client_for(users["inspector"])
    assert register(client, "  巡查手机 1 ").json()["name"] == "巡查手机 1"
    before = ApiToken.objects.count()
    response = register(client, "x" * 101)
    assert response.status_code == 422
    assert response.json() == {"detail": "101 characters; at most 100 are accepted.", "code": "device_name_too_long"}
    assert ApiToken.objects.count() == before


def test_a_device_is_registered_only_with_a_session(users, client_for):
    token = register(client_for(users["inspector"])).json()["token"]
    before = ApiToken.objects.count()
    response = register(bearer(token))  # a token cannot breed more tokens
    assert response.status_code == 401
    assert register(Client()).status_code == 401
    assert ApiToken.objects.count() == before


def test_the_field_app_syncs_with_its_device_token_after_the_session_is_gone(users, client_for, media):
    client = client_for(users["inspector"])
    token = register(client).json()["token"]
    client.logout()  # the session lapsed while the phone was offline
    assert client.get("/api/v1/field/bootstrap").status_code == 401
    device = bearer(token)
    boot = device.get("/api/v1/field/bootstrap")
    assert boot.status_code == 200
    assert boot.json()["username"] == "demo_inspector"
    sent = photo(device)
    assert sent.status_code == 201
    stored = inspection(device, [sent.json()["id"]])
    assert stored.status_code == 201
    assert Inspection.objects.get(pk=stored.json()["id"]).inspector == users["inspector"]
    assert ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest()).last_used_at is not None


def test_a_revoked_device_is_refused_at_once_even_beside_a_live_session(users, client_for):
    client = client_for(users["inspector"])
    answer = register(client).json()
    device = bearer(answer["token"])
    assert device.get("/api/v1/field/bootstrap").status_code == 200
    revoked = client.post(f"/devices/{answer['id']}/revoke/")
    assert revoked.status_code == 302
    assert revoked["Location"] == "/account/"
    response = device.get("/api/v1/field/bootstrap", **EN)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    # The browser that holds the user's session and sends the revoked token too is refused as well.
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {answer['token']}"
    assert client.get("/api/v1/field/bootstrap").status_code == 401
    event = AuditEvent.objects.filter(action="device.revoke").latest("pk")
    assert (event.actor_label, event.object_id, event.after) == (
        "user:demo_inspector", "demo_inspector", {"device": answer["id"], "revoked": True})


def test_a_device_token_reads_and_writes_only_its_users_area(users, client_for, media):
    token = register(client_for(users["inspector"])).json()["token"]
    device = bearer(token)
    assert device.get(f"/api/v1/units/{SHUIYUAN}").status_code == 200
    assert device.get(f"/api/v1/units/{DASHUI}").status_code == 404
    response = photo(device, DASHUI)
    assert response.status_code == 404
    assert inspection(device, [], DASHUI).status_code == 404
    assert not Inspection.objects.filter(client_key="dev-1").exists()


def test_the_account_page_lists_only_the_users_own_live_devices(users, client_for):
    mine = register(client_for(users["inspector"]), "我的手机").json()
    theirs = register(client_for(users["town_staff"]), "他们的手机").json()
    gone = register(client_for(users["inspector"]), "旧手机").json()
    client_for(users["inspector"]).post(f"/devices/{gone['id']}/revoke/")
    page = client_for(users["inspector"]).get("/account/")
    assert page.status_code == 200
    listed = [int(pk) for pk in page.content.decode().split('data-device="')[1:] for pk in [pk.split('"')[0]]]
    assert listed == [mine["id"]]
    assert theirs["id"] not in listed


def test_another_users_device_is_not_found_for_revoking(users, client_for):
    theirs = register(client_for(users["town_staff"])).json()
    before = AuditEvent.objects.filter(action="device.revoke").count()
    response = client_for(users["inspector"]).post(f"/devices/{theirs['id']}/revoke/")
    assert response.status_code == 404
    assert client_for(users["inspector"]).get("/users/demo_town/devices/").status_code == 403
    assert ApiToken.objects.get(pk=theirs["id"]).revoked_at is None
    assert AuditEvent.objects.filter(action="device.revoke").count() == before
    assert bearer(theirs["token"]).get("/api/v1/field/bootstrap").status_code == 200


@pytest.mark.parametrize("role", ["office", "county_admin"])
def test_the_office_and_the_administrator_revoke_a_users_devices(role, users, client_for):
    theirs = register(client_for(users["inspector"]), "丢失的手机").json()
    office = client_for(users[role])
    page = office.get("/users/demo_inspector/devices/")
    assert page.status_code == 200
    assert f'data-device="{theirs["id"]}"' in page.content.decode()
    response = office.post(f"/devices/{theirs['id']}/revoke/", {"next": "/users/demo_inspector/devices/"})
    assert response.status_code == 302
    assert response["Location"] == "/users/demo_inspector/devices/"
    assert bearer(theirs["token"]).get("/api/v1/field/bootstrap").status_code == 401
    event = AuditEvent.objects.filter(action="device.revoke").latest("pk")
    assert (event.actor_label, event.object_id) == (f"user:{users[role].username}", "demo_inspector")


def test_signing_out_revokes_the_devices_this_browser_registered_only(users, client_for):
    other_browser = register(client_for(users["inspector"])).json()
    client = client_for(users["inspector"])
    this_browser = register(client).json()
    assert client.post("/accounts/logout/").status_code == 302
    assert bearer(this_browser["token"]).get("/api/v1/field/bootstrap").status_code == 401
    assert bearer(other_browser["token"]).get("/api/v1/field/bootstrap").status_code == 200


@pytest.mark.parametrize(("agent", "name"), [
    (ANDROID_CHROME, "Android · Chrome"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1", "iPhone · Safari"),
    ("Mozilla/5.0 (Linux; Android 12; V2118A) AppleWebKit/537.36 Chrome/86.0 Mobile Safari/537.36 "
     "MicroMessenger/8.0.40", "Android · WeChat"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
     "Windows · Edge"),
    ("curl/8.0", "Unknown device"),
])
def test_a_device_is_named_after_its_system_and_browser(agent, name):
    with translation.override("en"):
        assert device_name_from(agent) == name


def test_a_post_without_session_or_token_is_401_not_a_csrf_refusal(users, client_for, media):
    """A lapsed session on a phone without a device token: the field app must hear "sign in again" (401), not the
    CSRF check's 403, which it would take for a refusal of what it sent."""
    client = Client(enforce_csrf_checks=True)
    response = inspection(client, [])
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    signed_in = client_for(users["inspector"])
    signed_in.handler.enforce_csrf_checks = True
    assert inspection(signed_in, []).status_code == 403  # signed in: the CSRF check still applies
