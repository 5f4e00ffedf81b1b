"""Kept pages (dudao.core.kept): the leaders' most read pages are rendered once per generation of the data and per
session, and never served after a write they do not show, to another session, or after signing out."""

import gzip

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dudao.core import kept
from dudao.core.sessions import SessionStore
from dudao.org.models import Unit

VILLAGES = "/api/v1/units?level=village"
SHUIYUAN = "620423100200"  # 水源村


def _name(client: Client, code: str = SHUIYUAN) -> str:
    response = client.get(VILLAGES)
    assert response.status_code == 200
    return next(row["name"] for row in response.json() if row["code"] == code)


def _queries(client: Client, path: str = VILLAGES) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


# What a statement writes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sql", "table"), [
    ('INSERT INTO "org_unit" ("code") VALUES (%s)', "org_unit"),
    ("INSERT OR IGNORE INTO org_unit (code) VALUES (?)", "org_unit"),
    ('  UPDATE "ranking_round" SET "status" = %s', "ranking_round"),
    ('DELETE FROM "django_session" WHERE 1', "django_session"),
    ("REPLACE INTO problems_problem VALUES (1)", "problems_problem"),
    ('TRUNCATE "audit_auditevent"', "audit_auditevent"),
    ('SELECT "org_unit"."id" FROM "org_unit"', None),
    ("SAVEPOINT s1", None),
    ('WITH x AS (SELECT 1) SELECT * FROM x', None),
])
def test_the_table_a_statement_writes_to(sql, table):
    assert kept.written_table(sql) == table


# Served from the cache ------------------------------------------------------------------------------------------

def test_a_kept_page_is_rendered_once_then_read_with_the_session_and_the_generation(users, client_for):
    client = client_for(users["leader"])
    first = client.get(VILLAGES)
    rendered = _queries(client)  # the first answer was kept: this one reads two rows and renders nothing
    assert len(rendered) == 2
    assert "django_session" in rendered[0]
    assert rendered[1] == "SELECT value FROM core_generation WHERE id = 1"
    assert client.get(VILLAGES).content == first.content


def test_a_write_of_any_kind_renders_the_page_anew(users, client_for):
    client = client_for(users["leader"])
    assert _name(client) == "水源村"
    Unit.objects.filter(code=SHUIYUAN).update(name="水源新村")  # a bulk update: no model signal
    assert _name(client) == "水源新村"


def test_a_write_committed_by_another_process_renders_the_page_anew(users, client_for):
    client = client_for(users["leader"])
    _name(client)
    before = kept.generation()
    with connection.cursor() as cursor:  # what another web process or the worker leaves behind
        cursor.execute("UPDATE core_generation SET value = value + 1 WHERE id = 1")
    assert kept.generation() != before
    assert len(_queries(client)) > 2


def test_the_generation_moves_on_after_the_commit_of_a_write_and_not_for_a_rolled_back_one(transactional_db):
    def shared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM core_generation WHERE id = 1")
            return cursor.fetchone()[0]

    from django.db import transaction

    start = shared()
    with transaction.atomic():
        Unit.objects.filter(code=SHUIYUAN).update(name="水源新村")
        Unit.objects.filter(code=SHUIYUAN).update(name="水源村")
        assert shared() == start  # not before the commit
    assert shared() == start + 1  # once per transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        Unit.objects.filter(code=SHUIYUAN).update(name="水源新村")
        raise RuntimeError
    assert shared() == start + 1
    Unit.objects.filter(code=SHUIYUAN).update(name="水源村")  # autocommit
    assert shared() == start + 2


def test_writes_no_page_shows_keep_the_pages(users, client_for):
    client = client_for(users["leader"])
    _name(client)
    before = kept.generation()
    session = Session.objects.get(session_key=client.session.session_key)
    session.save()  # the idle clock moving the session's expiry on
    assert kept.generation() == before
    assert len(_queries(client)) == 2


# Never another's page, never after signing out ---------------------------------------------------------------------

def test_each_session_has_its_own_pages(users, client_for):
    leader, town = client_for(users["leader"]), client_for(users["town_staff"])
    leaders = leader.get("/interviews/").content
    towns = town.get("/interviews/").content
    assert leaders != towns
    assert leader.get("/interviews/").content == leaders
    assert town.get("/interviews/").content == towns
    again = client_for(users["leader"])  # the same user signed in on another device: rendered for it
    assert len(_queries(again, "/interviews/")) > 2


def test_a_signed_out_session_is_not_served_its_kept_page(users, client_for):
    client = client_for(users["leader"])
    assert client.get("/interviews/").status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    stale = Client()
    stale.cookies["sessionid"] = cookie  # the old cookie, kept by a browser or a thief
    response = stale.get("/interviews/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/interviews/"


def test_a_new_password_set_elsewhere_signs_the_session_out_of_its_kept_pages(users, client_for):
    client = client_for(users["leader"])
    assert client.get("/interviews/").status_code == 200
    leader = users["leader"]
    leader.set_password("another-long-password-2026")
    leader.save()
    response = client.get("/interviews/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/interviews/"


def test_an_expired_session_reads_as_none(users, client_for):
    client = client_for(users["leader"])
    key = client.session.session_key
    assert SessionStore(key).load() != {}
    Session.objects.filter(session_key=key).update(expire_date="2000-01-01 00:00:00+00:00")
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None
    assert SessionStore("not a key!").load() == {}


# What is not kept ---------------------------------------------------------------------------------------------------

def test_pages_not_named_are_rendered_every_time(users, client_for):
    client = client_for(users["leader"])
    client.get("/notifications/")
    assert len(_queries(client, "/notifications/")) > 2


def test_anonymous_answers_are_not_kept(db):
    client = Client()
    assert client.get(VILLAGES).status_code == 401
    with CaptureQueriesContext(connection) as captured:
        assert client.get(VILLAGES).status_code == 401
    assert [q["sql"] for q in captured.captured_queries if "core_generation" in q["sql"]] == []


def _leave_message(client: Client, text: str) -> None:
    """A message for the client's next page, as a form that redirects leaves one."""
    storage = CookieStorage(type("Request", (), {"COOKIES": {}})())
    storage.add(message_levels.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value


def test_a_page_with_a_message_waiting_is_rendered_and_not_kept(users, client_for):
    client = client_for(users["leader"])
    client.get("/interviews/")  # kept
    _leave_message(client, "已发出提醒")
    assert "已发出提醒" in client.get("/interviews/").content.decode()  # rendered: the message shown once
    assert "已发出提醒" not in client.get("/interviews/").content.decode()
    assert len(_queries(client, "/interviews/")) == 2  # the page kept before the message


def test_other_headers_have_their_own_pages(users, client_for):
    client = client_for(users["leader"])
    full = client.get("/interviews/").content
    part = client.get("/interviews/", headers={"HX-Request": "true"}).content
    assert client.get("/interviews/").content == full
    assert client.get("/interviews/", headers={"HX-Request": "true"}).content == part


def test_no_page_is_kept_when_the_time_is_zero(users, client_for, settings):
    settings.KEPT_PAGES_SECONDS = 0
    client = client_for(users["leader"])
    client.get(VILLAGES)
    assert len(_queries(client)) > 2


def test_a_changed_setting_forgets_every_kept_page(users, client_for, settings):
    client = client_for(users["leader"])
    client.get(VILLAGES)
    settings.MAP_BASE = "none"  # any setting changed, even to the value it had
    assert len(_queries(client)) > 2


def test_a_long_json_answer_is_kept_gzipped_for_a_client_that_accepts_it(users, client_for):
    client = client_for(users["leader"])
    plain = client.get(VILLAGES)
    assert plain.has_header("Content-Encoding") is False
    for _ in range(2):  # rendered and kept, then read from what was kept
        packed = client.get(VILLAGES, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed["Vary"]
        assert gzip.decompress(packed.content) == plain.content
    assert client.get(VILLAGES).content == plain.content  # and plain again for one that does not


def test_a_page_is_not_gzipped(users, client_for):
    client = client_for(users["leader"])
    for _ in range(2):
        page = client.get("/interviews/", headers={"Accept-Encoding": "gzip"})
        assert page.has_header("Content-Encoding") is False
        assert "<html" in page.content.decode()


def test_the_workers_sign_of_life_keeps_the_pages(users, client_for):
    from dudao.worker.models import WorkerBeat

    assert WorkerBeat._meta.db_table in kept.UNSHOWN
    client = client_for(users["leader"])
    _name(client)
    WorkerBeat.objects.update_or_create(worker_id="w1", defaults={"seen_at": "2026-12-07T03:00:00Z"})
    assert len(_queries(client)) == 2
