"""The HTTP API skeleton (CONTRACTS §4): OpenAPI document and local docs, bearer tokens and sessions, errors
as JSON in the caller's language, and audit events for issuing and revoking tokens."""

import hashlib
import json
import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

import dudao
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import ApiToken
from dudao.accounts.services import token_create, token_revoke
from dudao.audit.models import AuditEvent
from dudao.org.models import Unit

UNAUTHENTICATED = "Sign in or send a valid bearer token."
NOT_FOUND = "Not found, or outside your area."
INVALID = "The request is not valid."
CJK = re.compile(r"[\u4e00-\u9fff]")
ASSET = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.I)


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def bearer(token: str, **extra) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def events_after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


# OpenAPI and docs -----------------------------------------------------------------------------------------


def test_openapi_document_lists_the_endpoints(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Dudao API"
    assert document["info"]["version"] == "1"
    expected = {"/api/v1/me", "/api/v1/units", "/api/v1/units/{code}", "/api/v1/units/{code}/posts",
                "/api/v1/groups"}
    assert expected <= set(document["paths"])
    assert all("get" in document["paths"][path] for path in expected)
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerToken"].items()
    params = {p["name"] for p in document["paths"]["/api/v1/units"]["get"]["parameters"]}
    assert {"q", "level", "limit", "offset"} <= params


def test_docs_page_uses_only_local_static_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "/api/v1/openapi.json" in page
    assets = ASSET.findall(page)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    assert "cdn" not in page.lower()
    for asset in assets:
        assert not asset.lower().startswith(("http://", "https://", "//")), asset
        assert asset.startswith("/static/"), asset
        served = Client().get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body, asset
        if asset.endswith("-init.js"):
            assert b"cdn" not in body.lower()


# Bearer tokens ---------------------------------------------------------------------------------------------


def test_token_authenticates_and_is_stored_as_a_digest_only(users):
    user = users["town_staff"]
    token = token_create(actor=SYSTEM, user=user)
    assert token.startswith("dd_") and len(token) > 40
    record = ApiToken.objects.get(user=user)
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert record.prefix == token[:8]
    assert record.last_used_at is None
    response = bearer(token).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"username": "demo_town", "name": "演示乡镇", "role": "town_staff",
                               "area": ["620423103000"], "version": dudao.__version__}
    record.refresh_from_db()
    assert record.last_used_at is not None


@pytest.mark.parametrize("header", [
    "Bearer dd_not-a-token", "Bearer ", "Token {token}", "Bearer {token}x", "bearer{token}",
])
def test_a_wrong_token_is_401_json(header, users):
    token = token_create(actor=SYSTEM, user=users["county_admin"])
    assert bearer(token).get("/api/v1/me").status_code == 200
    response = Client(HTTP_AUTHORIZATION=header.format(token=token)).get("/api/v1/units")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": zh(UNAUTHENTICATED)}


def test_a_revoked_token_is_401(users):
    user = users["office"]
    token = token_create(actor=SYSTEM, user=user)
    client = bearer(token)
    assert client.get("/api/v1/units/620423103200").status_code == 200
    assert token_revoke(actor=SYSTEM, user=user) == 1
    response = client.get("/api/v1/units/620423103200")
    assert response.status_code == 401
    assert response.json() == {"detail": zh(UNAUTHENTICATED)}


def test_a_token_of_a_deactivated_user_is_401(users):
    user = users["leader"]
    token = token_create(actor=SYSTEM, user=user)
    assert bearer(token).get("/api/v1/me").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_revoking_one_user_leaves_other_users_tokens_alone(users):
    town = token_create(actor=SYSTEM, user=users["town_staff"])
    village = token_create(actor=SYSTEM, user=users["village_staff"])
    assert token_revoke(actor=SYSTEM, user=users["town_staff"]) == 1
    assert bearer(town).get("/api/v1/me").status_code == 401
    assert bearer(village).get("/api/v1/me").json()["username"] == "demo_village"


@pytest.mark.parametrize(("role", "username", "area"), [
    ("county_admin", "demo_admin", None),
    ("office", "demo_office", None),
    ("leader", "demo_leader", None),
    ("inspector", "demo_inspector", ["620423100000"]),
    ("town_staff", "demo_town", ["620423103000"]),
    ("village_staff", "demo_village", ["620423103200"]),
])
def test_me_returns_role_and_area(role, username, area, users):
    response = bearer(token_create(actor=SYSTEM, user=users[role])).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["role"], body["area"], body["version"]) == (username, role, area,
                                                                                dudao.__version__)


# Language of the errors ----------------------------------------------------------------------------------


def test_unauthenticated_detail_is_chinese_by_default_and_english_on_request(db):
    chinese = zh(UNAUTHENTICATED)
    assert chinese != UNAUTHENTICATED and CJK.search(chinese), "the zh_Hans catalogue lacks this message"
    default = Client().get("/api/v1/me")
    assert default.status_code == 401
    assert default.json() == {"detail": chinese}
    assert default["Content-Language"] == "zh-hans"
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me")
    assert english.status_code == 401
    assert english.json() == {"detail": UNAUTHENTICATED}
    assert english["Content-Language"] == "en"
    assert Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").get("/api/v1/me").json() == {"detail": chinese}


def test_not_found_and_invalid_request_details_follow_the_language(users):
    token = token_create(actor=SYSTEM, user=users["village_staff"])
    for extra, translate in (({}, zh), ({"HTTP_ACCEPT_LANGUAGE": "en"}, str)):
        client = bearer(token, **extra)
        outside = client.get("/api/v1/units/620423100200")
        assert outside.status_code == 404
        assert outside.json() == {"detail": translate(NOT_FOUND)}
        invalid = client.get("/api/v1/units", {"limit": "many"})
        assert invalid.status_code == 422
        assert invalid.json()["detail"] == translate(INVALID)
        assert [e["loc"] for e in invalid.json()["errors"]] == [["query", "limit"]]
    assert zh(NOT_FOUND) != NOT_FOUND and zh(INVALID) != INVALID


# Session authentication ------------------------------------------------------------------------------------


def test_session_authenticates_get_requests(users, client_for):
    client = client_for(users["village_staff"])
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["role"]) == ("demo_village", "village_staff")
    assert client.get("/api/v1/units/620423103200").json()["name"] == "大水䃎村"
    assert client.get("/api/v1/units/620423103000").status_code == 404
    village = Unit.objects.get(code="620423103200")  # with its villager groups and grids
    assert [u["code"] for u in client.get("/api/v1/units").json()] == \
        list(Unit.objects.under(village).order_by("path").values_list("code", flat=True))
    client.post("/accounts/logout/")
    assert client.get("/api/v1/me").status_code == 401


# Audit events ----------------------------------------------------------------------------------------------


def test_token_create_and_revoke_are_audited(users):
    town = users["town_staff"]
    start = last_seq()
    first = token_create(actor=users["county_admin"], user=town)
    second = token_create(actor=SYSTEM, user=town)
    assert token_revoke(actor=SYSTEM, user=town) == 2
    events = events_after(start)
    assert [(e.action, e.object_type, e.object_id, e.actor_label, e.actor_id) for e in events] == [
        ("token.create", "user", "demo_town", "user:demo_admin", users["county_admin"].pk),
        ("token.create", "user", "demo_town", "system:cli", None),
        ("token.revoke", "user", "demo_town", "system:cli", None),
    ]
    shown = [first[:8] + "…", second[:8] + "…"]
    assert [(e.before, e.after) for e in events[:2]] == [(None, {"token": shown[0]}), (None, {"token": shown[1]})]
    assert sorted(events[2].before["tokens"]) == sorted(shown)
    assert events[2].after == {"tokens": []}
    assert all(first not in json.dumps([e.before, e.after]) and second not in json.dumps([e.before, e.after])
               for e in events_after(start))
    mark = last_seq()
    assert token_revoke(actor=SYSTEM, user=town) == 0
    assert last_seq() == mark


def test_unknown_api_paths_and_bad_offsets_answer_in_json(users, client_for):
    client = client_for(users["county_admin"])
    missing = client.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="en")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found, or outside your area."})
    bad = client.get("/api/v1/units", {"offset": -5}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422
    assert bad.json()["detail"] == "The request is not valid."


def test_api_search_is_the_pages_search(users, client_for):
    client = client_for(users["county_admin"])
    codes = [u["code"] for u in client.get("/api/v1/units", {"q": "sz"}).json()]
    assert "620423103200" in codes


# What bench/api_schema.py (schemathesis) found -------------------------------------------------------------

LISTS = ["/api/v1/units", "/api/v1/drone/photos", "/api/v1/inspections", "/api/v1/problems", "/api/v1/interviews",
         "/api/v1/rounds"]


@pytest.mark.parametrize("path", LISTS)
def test_an_offset_beyond_any_list_is_422_not_a_server_error(path, users, client_for):
    client = client_for(users["county_admin"])
    assert client.get(path, {"offset": 1_000_000_000}, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    answer = client.get(path, {"offset": 2**64}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert answer.json()["detail"] == INVALID
    assert answer.json()["errors"][0]["loc"] == ["query", "offset"]


def test_a_body_that_is_not_json_is_422_in_the_caller_s_language(users):
    token = token_create(actor=SYSTEM, user=users["office"])
    for language, detail in (("en", INVALID), ("zh-hans", zh(INVALID))):
        answer = bearer(token).post("/api/v1/notifications/read", data=b"\xff{not json",
                                    content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
        assert (answer.status_code, answer.json()) == (422, {"detail": detail})


def test_a_session_change_without_its_csrf_token_is_403(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["office"])
    answer = client.post("/api/v1/notifications/read", data={}, content_type="application/json")
    assert answer.status_code == 403


@pytest.mark.parametrize(("path", "body", "loc"), [
    ("/api/v1/problems", {"village": "620423105205", "category": "garbage", "description": "x",
                          "photos": [-125755310415510994944, 5336489]}, ["body", "payload", "photos", 0]),
    ("/api/v1/problems", {"village": "620423105205", "category": "garbage", "description": "x", "photos": [2**63]},
     ["body", "payload", "photos", 0]),
    ("/api/v1/inspections", {"client_key": "k", "village": "620423105205", "checklist": 2**64, "marks": []},
     ["body", "payload", "checklist"]),
    ("/api/v1/inspections", {"client_key": "k", "village": "620423105205", "checklist": 1,
                             "marks": [{"item": -2**70, "points": 1}]}, ["body", "payload", "marks", 0, "item"]),
    ("/api/v1/inspections", {"client_key": "k", "village": "620423105205", "checklist": 1, "marks": [],
                             "problems": [{"item": 2**64}]}, ["body", "payload", "problems", 0, "item"]),
    ("/api/v1/inspections", {"client_key": "k", "village": "620423105205", "checklist": 1, "marks": [],
                             "photos": [0]}, ["body", "payload", "photos", 0]),
    ("/api/v1/problems/1/accept", {"photos": [2**64]}, ["body", "payload", "photos", 0]),
    ("/api/v1/notifications/read", {"ids": [2**64]}, ["body", "payload", "ids", 0]),
], ids=["report-photo-negative", "report-photo-past-bigint", "inspection-checklist", "inspection-mark-item",
        "inspection-problem-item", "inspection-photo-zero", "transition-photo", "notifications-read"])
def test_an_id_outside_a_bigint_in_a_body_is_422_not_a_server_error(path, body, loc, users):
    """bench/api_schema.py: a photo id of −1.3 × 10^20 in a report reached the database, which cannot hold it (a
    500 on SQLite and PostgreSQL). Every id a body carries is 1 to 2^63 − 1, checked with the body."""
    answer = bearer(token_create(actor=SYSTEM, user=users["office"])).post(
        path, data=json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    assert answer.json()["detail"] == INVALID
    assert [error["loc"] for error in answer.json()["errors"]] == [loc]
