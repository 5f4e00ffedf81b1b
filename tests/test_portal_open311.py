"""Open311 GeoReport v2 under /open311/v2/ (discovery.json, services.json, requests.json with its standard filters,
requests/{id}.json): only the problems the office marked public, in the specification's fields; and the office's
mark itself (problems.services.problem_set_public, its audit event, the button on the problem page)."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dudao.audit.models import AuditEvent
from dudao.problems import services
from dudao.problems.models import Category, Problem

# GeoReport v2's fields of a service request (http://wiki.open311.org/GeoReport_v2#GET_Service_Requests) and of
# a service (#GET_Service_List), written out here from the specification rather than read from the code.
GEOREPORT_REQUEST = {
    "service_request_id": str, "status": str, "status_notes": (str, type(None)), "service_name": str,
    "service_code": str, "description": (str, type(None)), "agency_responsible": (str, type(None)),
    "service_notice": (str, type(None)), "requested_datetime": str, "updated_datetime": (str, type(None)),
    "expected_datetime": (str, type(None)), "address": (str, type(None)), "address_id": (str, type(None)),
    "zipcode": (str, type(None)), "lat": (float, type(None)), "long": (float, type(None)),
    "media_url": (str, type(None)),
}
GEOREPORT_SERVICE = {"service_code": str, "service_name": str, "description": str, "metadata": bool, "type": str,
                     "keywords": str, "group": str}


def _valid_request(row: dict) -> None:
    assert set(row) == set(GEOREPORT_REQUEST)
    for name, kind in GEOREPORT_REQUEST.items():
        assert isinstance(row[name], kind), (name, row[name])
    assert row["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        if row[name] is not None:
            assert dt.datetime.fromisoformat(row[name]).utcoffset() is not None, name  # w3c: with its offset


def _publicize(office, problems) -> list[Problem]:
    return [services.problem_set_public(actor=office, problem=p, public=True) for p in problems]


@pytest.fixture
def two_public(users):
    """Two of the demo's problems marked public: one still open, one finished (closed or cancelled)."""
    open_one = Problem.objects.exclude(status__in=["closed", "cancelled"]).order_by("pk").first()
    finished = Problem.objects.filter(status__in=["closed", "cancelled"]).order_by("pk").first()
    if finished is None:
        finished = Problem.objects.exclude(pk=open_one.pk).order_by("pk").first()
        Problem.objects.filter(pk=finished.pk).update(status="closed", closed_at=timezone.now())
    return _publicize(users["office"], [open_one, Problem.objects.get(pk=finished.pk)])


def test_discovery(client, db):
    answer = client.get("/open311/v2/discovery.json")
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    assert answer.json() == {
        "changeset": "2026-12-07T00:00:00+08:00", "contact": "整治办", "key_service": "",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://testserver/open311/v2/",
                       "changeset": "2026-12-07T00:00:00+08:00", "type": "production",
                       "formats": ["application/json"]}]}


def test_services_are_the_categories_in_use(client, db):
    Category.objects.filter(code="other").update(active=False)
    rows = client.get("/open311/v2/services.json").json()
    for row in rows:
        assert set(row) == set(GEOREPORT_SERVICE)
        assert all(isinstance(row[k], v) for k, v in GEOREPORT_SERVICE.items())
    assert [(r["service_code"], r["service_name"]) for r in rows] == list(
        Category.objects.filter(active=True).order_by("position", "code").values_list("code", "name"))
    assert "other" not in [r["service_code"] for r in rows]


def test_only_the_problems_marked_public_are_served(client, two_public):
    rows = client.get("/open311/v2/requests.json").json()
    assert sorted(r["service_request_id"] for r in rows) == sorted(p.number for p in two_public)
    assert Problem.objects.count() > 2
    for row in rows:
        _valid_request(row)


def test_a_request_in_the_fields_of_the_specification(client, two_public):
    problem = Problem.objects.select_related("category", "village", "town").get(pk=two_public[0].pk)
    Problem.objects.filter(pk=problem.pk).update(description="村口垃圾堆放，联系电话 139 1234 5678，座机0943-5512345")
    row = client.get(f"/open311/v2/requests/{problem.number}.json").json()
    assert len(row) == 1
    _valid_request(row[0])
    last = problem.events.order_by("-at").first().at
    assert row[0] == {
        "service_request_id": problem.number, "status": "open", "status_notes": problem.get_status_display(),
        "service_name": problem.category.name, "service_code": problem.category.code,
        "description": "村口垃圾堆放，联系电话 ***，座机***", "agency_responsible": problem.town.name,
        "service_notice": None, "requested_datetime": timezone.localtime(problem.reported_at).isoformat("T", "seconds"),
        "updated_datetime": timezone.localtime(last).isoformat("T", "seconds"),
        "expected_datetime": (timezone.localtime(problem.deadline).isoformat("T", "seconds")
                              if problem.deadline else None),
        "address": f"{problem.town.name} {problem.village.name}", "address_id": None, "zipcode": None,
        "lat": problem.lat, "long": problem.lon, "media_url": None}


def test_the_standard_filters(client, two_public):
    open_one, finished = two_public
    get = lambda **params: sorted(r["service_request_id"] for r in client.get("/open311/v2/requests.json",  # noqa: E731
                                                                                  params).json())
    assert get(status="open") == [open_one.number]
    assert get(status="closed") == [finished.number]
    assert get(status="open,closed") == sorted([open_one.number, finished.number])
    assert get(service_code=open_one.category.code) == sorted(
        p.number for p in two_public if p.category_id == open_one.category_id)
    day = timezone.localtime(open_one.reported_at).date()
    assert open_one.number in get(start_date=day.isoformat(), end_date=day.isoformat())
    after = (timezone.localtime(max(p.reported_at for p in two_public)) + dt.timedelta(seconds=1)).isoformat()
    assert get(start_date=after) == []
    before = (timezone.localtime(min(p.reported_at for p in two_public)) - dt.timedelta(seconds=1)).isoformat()
    assert get(end_date=before) == []
    assert get(service_request_id=f"{finished.number}, 2020-999999") == [finished.number]


def test_the_default_window_is_the_last_90_days(client, two_public):
    old = two_public[0]
    Problem.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=91))
    numbers = [r["service_request_id"] for r in client.get("/open311/v2/requests.json").json()]
    assert numbers == [two_public[1].number]


@pytest.mark.parametrize(("params", "message"), [
    ({"status": "pending"}, "参数 status 只能是 open 或 closed，不能是“pending”。"),
    ({"start_date": "yesterday"}, "参数 start_date 不是日期时间（例如 2026-03-01T08:00:00+08:00）：“yesterday”。"),
    ({"end_date": "2026-13-45"}, "参数 end_date 不是日期时间（例如 2026-03-01T08:00:00+08:00）：“2026-13-45”。"),
    ({"start_date": "2026-03-02", "end_date": "2026-03-01"}, "参数 start_date 晚于 end_date。"),
    ({"service_code": "garbage,nope"}, "参数 service_code 中有未知的服务：nope。"),
    ({"service_request_id": "12"}, "参数 service_request_id 中的“12”不是案卷编号（例如 2026-000123）。"),
])
def test_bad_parameters_are_refused_by_name(client, db, params, message):
    answer = client.get("/open311/v2/requests.json", params)
    assert answer.status_code == 400
    assert answer.json() == [{"code": 400, "description": message}]


def test_a_problem_not_public_is_not_found(client, two_public):
    hidden = Problem.objects.filter(public=False).first()
    for number in (hidden.number, "2026-999999", "abc", f"1999-{two_public[0].pk:06d}"):
        answer = client.get(f"/open311/v2/requests/{number}.json")
        assert answer.status_code == 404, number
        assert answer.json() == [{"code": 404, "description": f"没有编号为“{number}”的公开案卷。"}]
    assert client.get("/open311/v2/requests.json", {"service_request_id": hidden.number}).json() == []


def test_other_paths_under_open311_answer_its_error_list(client, db):
    for path in ("/open311/v2/requests.xml", "/open311/v3/discovery.json", "/open311/"):
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (404, [{"code": 404, "description": "未找到"}]), path
        assert answer.cookies == {}


def test_open311_only_reads(client, db):
    assert client.post("/open311/v2/requests.json", {"service_code": "garbage"}).status_code == 405
    assert client.post("/open311/v2/discovery.json").status_code == 405


# The office's mark --------------------------------------------------------------------------------------------


def test_the_office_marks_a_problem_public_and_takes_it_back(users):
    problem = Problem.objects.first()
    before = AuditEvent.objects.count()
    marked = services.problem_set_public(actor=users["office"], problem=problem, public=True)
    assert marked.public is True
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.before, event.after) == (
        "problem.public", str(problem.pk), {"public": False}, {"public": True})
    services.problem_set_public(actor=users["office"], problem=problem, public=True)  # already: nothing recorded
    assert AuditEvent.objects.count() == before + 1
    services.problem_set_public(actor=users["county_admin"], problem=problem, public=False)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.after) == ("problem.unpublic", {"public": False})
    assert Problem.objects.get(pk=problem.pk).public is False


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_marks_a_problem_public(users, role):
    problem = Problem.objects.filter(village__code="620423103200").first() or Problem.objects.first()
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.problem_set_public(actor=users[role], problem=problem, public=True)
    assert (Problem.objects.get(pk=problem.pk).public, AuditEvent.objects.count()) == (False, before)


def test_the_button_on_the_problem_page(users, client_for):
    problem = Problem.objects.first()
    office = client_for(users["office"])
    page = office.get(f"/problems/{problem.pk}/").content.decode()
    assert 'id="problem-set-public"' in page
    assert "公开（Open311）" in page
    answer = office.post(f"/problems/{problem.pk}/public/", {"public": "1"})
    assert (answer.status_code, answer["Location"]) == (303, f"/problems/{problem.pk}/")
    assert Problem.objects.get(pk=problem.pk).public is True
    page = office.get(f"/problems/{problem.pk}/").content.decode()
    assert "撤回公开" in page
    assert f"案卷 {problem.number} 已公开：Open311 接口提供它，不含个人信息。" in page
    bad = office.post(f"/problems/{problem.pk}/public/", {"public": "yes"})
    assert (bad.status_code, bad.content.decode()) == (400, "字段“public”只能是 0 或 1。")
    assert 'id="problem-set-public"' not in client_for(users["leader"]).get(f"/problems/{problem.pk}/").content.decode()
    assert client_for(users["leader"]).post(f"/problems/{problem.pk}/public/", {"public": "0"}).status_code == 403
    assert Problem.objects.get(pk=problem.pk).public is True


def test_the_open311_answer_follows_the_mark(client, users):
    problem = Problem.objects.first()
    services.problem_set_public(actor=users["office"], problem=problem, public=True)
    assert client.get(f"/open311/v2/requests/{problem.number}.json").status_code == 200
    services.problem_set_public(actor=users["office"], problem=problem, public=False)
    assert client.get(f"/open311/v2/requests/{problem.number}.json").status_code == 404
    assert json.loads(client.get("/open311/v2/requests.json").content) == []
