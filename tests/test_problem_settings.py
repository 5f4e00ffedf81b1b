"""The office's problem settings (dudao.problems.services, the /problems/settings/ pages and
`dudao problems calendar import`): categories with their days to rectify and duplicate radius and window, the
working calendar's exceptions, the refusals (with nothing written), who may change and who may read, and that a
change applies to problems dispatched afterwards only."""

import datetime as dt
import html
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.problems import services
from dudao.problems.models import CalendarDay, Category, Problem
from dudao.problems.services import (
    calendar_clear,
    calendar_import,
    calendar_parse,
    calendar_set,
    category_save,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
VILLAGE = "620423103200"  # 大水䃎村 (demo_village), in 喜泉镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FORBIDDEN = "You may not see or change this."
SAVED_RULE = ("Problems already dispatched keep their deadlines; the change applies to problems dispatched from "
              "now on.")
# 2027: Wednesday 6 January, Saturday 9 January, Monday 11 January.
WEDNESDAY, THURSDAY = dt.date(2027, 1, 6), dt.date(2027, 1, 7)
SATURDAY, MONDAY = dt.date(2027, 1, 9), dt.date(2027, 1, 11)


@pytest.fixture(autouse=True)
def english():
    # Messages are checked exactly in English (the source language).
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(db):
    return campaign_get()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)


def save(actor, campaign, code: str = "t-heap", **changes) -> Category:
    values = {"name": "测试堆放", "working_days": 0, "duplicate_radius_m": 50, "duplicate_hours": 72} | changes
    return category_save(actor=actor, campaign=campaign, code=code, **values)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def text(response) -> str:
    return html.unescape(response.content.decode())


def flashes(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash (?:\w+ )?\w*" role="status">([^<]*)</p>',
                                                 response.content.decode())]


def report(users, campaign, category: Category, north_m: float = 0.0, positioned: bool = True) -> Problem:
    """The office reports a problem in 大水䃎村 (registered and dispatched at once unless it looks like a duplicate)."""
    village = Unit.objects.get(code=VILLAGE)
    lon, lat = unit_point_wgs84(village)
    return services.problem_report(actor=users["office"], campaign=campaign, village=village, category=category,
                                   description="垃圾堆放", lat=lat + north_m / 111_195.0 if positioned else None,
                                   lon=lon if positioned else None)


# Categories: the service ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "code", "message"), [
    ({"code": "Heap"}, "bad_code",
     "The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, “-” or “_”."),
    ({"code": ""}, "bad_code",
     "The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, “-” or “_”."),
    ({"code": "a" * 31}, "bad_code",
     "The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, “-” or “_”."),
    ({"code": "垃圾"}, "bad_code",
     "The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, “-” or “_”."),
    ({"name": "  "}, "name_required", "Give the category a name."),
    ({"name": "名" * 51}, "name_too_long", "The name is longer than 50 characters."),
    ({"working_days": -1}, "bad_working_days", "The days to rectify must be a whole number from 0 to 30."),
    ({"working_days": 31}, "bad_working_days", "The days to rectify must be a whole number from 0 to 30."),
    ({"working_days": 1.5}, "bad_working_days", "The days to rectify must be a whole number from 0 to 30."),
    ({"working_days": True}, "bad_working_days", "The days to rectify must be a whole number from 0 to 30."),
    ({"duplicate_radius_m": -1}, "bad_radius",
     "The duplicate radius must be a whole number of metres from 0 to 5000."),
    ({"duplicate_radius_m": 5001}, "bad_radius",
     "The duplicate radius must be a whole number of metres from 0 to 5000."),
    ({"duplicate_hours": -1}, "bad_hours", "The duplicate window must be a whole number of hours from 0 to 720."),
    ({"duplicate_hours": 721}, "bad_hours", "The duplicate window must be a whole number of hours from 0 to 720."),
    ({"position": 1000}, "bad_position", "The position must be a whole number from 0 to 999."),
])
def test_category_refusals_write_nothing(users, campaign, changes, code, message):
    before = (Category.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Refused) as refused:
        save(users["office"], campaign, **({"code": "t-heap"} | changes))
    assert (refused.value.code, refused.value.message) == (code, message)
    assert refused.value.params["errors"] == {
        {"bad_code": "code", "name_required": "name", "name_too_long": "name", "bad_working_days": "working_days",
         "bad_radius": "duplicate_radius_m", "bad_hours": "duplicate_hours", "bad_position": "position"}[code]: message}
    assert (Category.objects.count(), AuditEvent.objects.count()) == before


def test_every_wrong_field_is_named(users, campaign):
    with pytest.raises(Refused) as refused:
        save(users["office"], campaign, code="X", name="", working_days=99, duplicate_radius_m=9999,
             duplicate_hours=9999)
    assert refused.value.code == "bad_code"
    assert sorted(refused.value.params["errors"]) == ["code", "duplicate_hours", "duplicate_radius_m", "name",
                                                      "working_days"]


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_changes_settings(users, campaign, role):
    actor = users[role]
    before = (Category.objects.count(), CalendarDay.objects.count(), AuditEvent.objects.count())
    with pytest.raises(PermissionDenied):
        save(actor, campaign)
    with pytest.raises(PermissionDenied):
        calendar_set(actor=actor, date=WEDNESDAY, working=False, note="假")
    with pytest.raises(PermissionDenied):
        calendar_clear(actor=actor, date=WEDNESDAY)
    with pytest.raises(PermissionDenied):
        calendar_import(actor=actor, rows=[(WEDNESDAY, False, "假")])
    assert (Category.objects.count(), CalendarDay.objects.count(), AuditEvent.objects.count()) == before


def test_category_create_update_and_audit(users, campaign):
    last = max(Category.objects.filter(campaign=campaign).values_list("position", flat=True))
    created = save(users["office"], campaign, code="t-heap", name=" 测试堆放 ", working_days=2)
    assert (created.name, created.working_days, created.position, created.active) == ("测试堆放", 2, last + 1, True)
    [event] = events("problem.category")
    snapshot = {"code": "t-heap", "name": "测试堆放", "working_days": 2, "duplicate_radius_m": 50,
                "duplicate_hours": 72, "active": True, "position": last + 1}
    assert (event.actor_label, event.object_type, event.object_id, event.before, event.after) == (
        "user:demo_office", "problem_category", "default/t-heap", None, snapshot)

    updated = save(users["county_admin"], campaign, code="t-heap", name="测试堆放", working_days=3,
                   duplicate_radius_m=0, active=False)
    assert updated.pk == created.pk
    assert Category.objects.filter(pk=created.pk).values_list("working_days", "duplicate_radius_m", "active",
                                                              "position").get() == (3, 0, False, last + 1)
    event = events("problem.category")[-1]
    assert (event.actor_label, event.before, event.after) == (
        "user:demo_admin", snapshot,
        snapshot | {"working_days": 3, "duplicate_radius_m": 0, "active": False})

    count = AuditEvent.objects.count()
    save(users["office"], campaign, code="t-heap", name="测试堆放", working_days=3, duplicate_radius_m=0,
         active=False)
    assert AuditEvent.objects.count() == count  # nothing changed, nothing logged


def test_a_working_days_change_applies_to_the_next_dispatch_only(users, campaign):
    category = save(users["office"], campaign, working_days=0, duplicate_radius_m=0)
    first = report(users, campaign, category)
    assert first.status == "dispatched"
    assert first.deadline == services.deadline_for(category, first.dispatched_at)

    category = save(users["office"], campaign, working_days=5, duplicate_radius_m=0)
    first.refresh_from_db()
    assert first.deadline == services.deadline_for(Category(working_days=0), first.dispatched_at)

    second = report(users, campaign, category)
    assert second.status == "dispatched"
    assert second.deadline == services.deadline_for(category, second.dispatched_at)
    assert second.deadline > first.deadline + dt.timedelta(days=5)


def test_a_calendar_change_leaves_dispatched_deadlines_alone(users, campaign):
    category = save(users["office"], campaign, duplicate_radius_m=0)
    problem = report(users, campaign, category)
    deadline = problem.deadline
    calendar_set(actor=users["office"], date=timezone.localdate(problem.dispatched_at), working=False, note="假")
    problem.refresh_from_db()
    assert problem.deadline == deadline


# Duplicates: radius or window 0 turns detection off ------------------------------------------------------------


def test_radius_zero_means_no_duplicate_detection(users, campaign):
    category = save(users["office"], campaign, duplicate_radius_m=0, duplicate_hours=72)
    first = report(users, campaign, category)
    same_spot = report(users, campaign, category)
    unpositioned = report(users, campaign, category, positioned=False)
    assert (same_spot.possible_duplicate_of_id, same_spot.status) == (None, "dispatched")
    assert (unpositioned.possible_duplicate_of_id, unpositioned.status) == (None, "dispatched")

    category = save(users["office"], campaign, duplicate_radius_m=50, duplicate_hours=72)
    again = report(users, campaign, category, north_m=10)
    assert (again.possible_duplicate_of_id, again.status) == (first.pk, "reported")


def test_window_zero_means_no_duplicate_detection(users, campaign):
    category = save(users["office"], campaign, duplicate_radius_m=100, duplicate_hours=0)
    report(users, campaign, category)
    assert report(users, campaign, category).possible_duplicate_of_id is None
    assert report(users, campaign, category, positioned=False).possible_duplicate_of_id is None


# The working calendar: the service -----------------------------------------------------------------------------


def test_a_holiday_moves_a_same_day_deadline_to_the_next_working_day(users, campaign):
    same_day = Category(working_days=0)
    assert services.deadline_for(same_day, at(WEDNESDAY)) == end_of(WEDNESDAY)
    day = calendar_set(actor=users["office"], date=WEDNESDAY, working=False, note=" 假日 ")
    assert (day.date, day.working, day.note) == (WEDNESDAY, False, "假日")
    assert services.deadline_for(same_day, at(WEDNESDAY)) == end_of(THURSDAY)
    assert services.deadline_for(Category(working_days=1), at(dt.date(2027, 1, 5))) == end_of(THURSDAY)

    calendar_clear(actor=users["office"], date=WEDNESDAY)
    assert not CalendarDay.objects.filter(date=WEDNESDAY).exists()
    assert services.deadline_for(same_day, at(WEDNESDAY)) == end_of(WEDNESDAY)


def test_a_worked_saturday_is_a_working_day(users, campaign):
    same_day = Category(working_days=0)
    assert services.deadline_for(same_day, at(SATURDAY)) == end_of(MONDAY)
    calendar_set(actor=users["office"], date=SATURDAY, working=True, note="调休上班")
    assert services.deadline_for(same_day, at(SATURDAY)) == end_of(SATURDAY)
    assert services.deadline_for(Category(working_days=1), at(dt.date(2027, 1, 8))) == end_of(SATURDAY)
    calendar_clear(actor=users["office"], date=SATURDAY)
    assert services.deadline_for(same_day, at(SATURDAY)) == end_of(MONDAY)


def test_calendar_audit_events_hold_before_and_after(users, campaign):
    office = users["office"]
    calendar_set(actor=office, date=WEDNESDAY, working=False, note="假日")
    calendar_set(actor=office, date=WEDNESDAY, working=False, note="假日")  # unchanged: no event
    calendar_set(actor=office, date=WEDNESDAY, working=True, note="调休")
    calendar_clear(actor=office, date=WEDNESDAY)
    calendar_clear(actor=office, date=WEDNESDAY)  # nothing to clear: no event
    assert [(e.actor_label, e.object_type, e.object_id, e.before, e.after) for e in events("problem.calendar")] == [
        ("user:demo_office", "calendar_day", "2027-01-06", None, {"working": False, "note": "假日"}),
        ("user:demo_office", "calendar_day", "2027-01-06", {"working": False, "note": "假日"},
         {"working": True, "note": "调休"}),
        ("user:demo_office", "calendar_day", "2027-01-06", {"working": True, "note": "调休"}, None),
    ]


def test_calendar_set_refuses_a_long_note(users, campaign):
    with pytest.raises(Refused) as refused:
        calendar_set(actor=users["office"], date=WEDNESDAY, working=False, note="假" * 51)
    assert (refused.value.code, refused.value.message) == ("note_too_long", "The note is longer than 50 characters.")
    assert not CalendarDay.objects.filter(date=WEDNESDAY).exists()
    assert not events("problem.calendar")


def test_calendar_import_is_all_or_nothing(users, campaign):
    office = users["office"]
    with pytest.raises(Refused) as refused:
        calendar_import(actor=office, rows=[(dt.date(2027, 1, 1), False, "元旦"), (WEDNESDAY, False, "假" * 51),
                                            (dt.date(2027, 1, 1), False, "again")])
    assert refused.value.message == "Refused: 2 problem(s) found, nothing was written."
    assert refused.value.params["errors"] == ["Row 2: The note is longer than 50 characters.",
                                              "Row 3: 2027-01-01 is already given in row 1."]
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not events("problem.calendar")
    with pytest.raises(Refused) as refused:
        calendar_import(actor=office, rows=[])
    assert refused.value.message == "The list is empty: give one date per line."

    calendar_set(actor=office, date=SATURDAY, working=False, note="old")
    result = calendar_import(actor=office, rows=[(dt.date(2027, 1, 1), False, "元旦"), (SATURDAY, True, "调休"),
                                                 (WEDNESDAY, False, "")])
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "working", "note")) == [
        (dt.date(2027, 1, 1), False, "元旦"), (WEDNESDAY, False, ""), (SATURDAY, True, "调休")]
    assert [(e.object_id, e.before, e.after) for e in events("problem.calendar")[1:]] == [
        ("2027-01-01", None, {"working": False, "note": "元旦"}),
        ("2027-01-09", {"working": False, "note": "old"}, {"working": True, "note": "调休"}),
        ("2027-01-06", None, {"working": False, "note": ""}),
    ]
    again = calendar_import(actor=office, rows=[(dt.date(2027, 1, 1), False, "元旦")])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert len(events("problem.calendar")) == 4


def test_calendar_parse_reads_chinese_and_english_lines():
    assert calendar_parse("# 2027\n\n2027-01-01 休 元旦\n2027-02-07\t班\t春节 调休\n2027/2/8 holiday\n"
                          "2027-02-09 Working\n  2027-02-10　假　 \n") == [
        (dt.date(2027, 1, 1), False, "元旦"), (dt.date(2027, 2, 7), True, "春节 调休"),
        (dt.date(2027, 2, 8), False, ""), (dt.date(2027, 2, 9), True, ""), (dt.date(2027, 2, 10), False, "")]


def test_calendar_parse_names_each_wrong_line():
    with pytest.raises(Refused) as refused:
        calendar_parse("2027-01-01 休 元旦\n2027-02-30 休\n\n2027-01-02\n2027-01-03 maybe\n元旦 休\n"
                       f"2027-01-04 班 {'注' * 51}\n2027-01-01 班 again\n")
    assert (refused.value.code, refused.value.message) == (
        "calendar_refused", "Refused: 6 problem(s) found, nothing was written.")
    assert refused.value.params["errors"] == [
        "Line 2: “2027-02-30” is not a date (YYYY-MM-DD).",
        "Line 4: After the date, give 休 or 班 (holiday or working).",
        "Line 5: “maybe” must be 休 or 班 (holiday or working).",
        "Line 6: “元旦” is not a date (YYYY-MM-DD).",
        "Line 7: The note is longer than 50 characters.",
        "Line 8: 2027-01-01 is already given on line 1.",
    ]
    assert refused.value.params["lines"] == [2, 4, 5, 6, 7, 8]
    with pytest.raises(Refused) as refused:
        calendar_parse("\n# nothing\n")
    assert refused.value.message == "The list is empty: give one date per line."


# The pages -----------------------------------------------------------------------------------------------------


def test_office_sees_categories_calendar_and_forms(users, campaign, client_for):
    save(users["office"], campaign, code="t-heap", working_days=0, duplicate_radius_m=0)
    save(users["office"], campaign, code="t-build", name="测试搭建", working_days=3, duplicate_radius_m=80,
         duplicate_hours=48, active=False)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    calendar_set(actor=users["office"], date=tomorrow, working=False, note="假日")
    calendar_set(actor=users["office"], date=tomorrow + dt.timedelta(days=400), working=False, note="far")
    response = client_for(users["office"]).get("/problems/settings/", **EN)
    assert response.status_code == 200
    page = text(response)
    heap = page.split('data-code="t-heap"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="(\w+)">(?:<code>)?([^<]*)', heap) == [
        ("name", "测试堆放"), ("code", "t-heap"), ("days", "same day"), ("duplicate", "off"), ("active", "yes")]
    build = page.split('data-code="t-build"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="(\w+)">(?:<code>)?([^<]*)', build) == [
        ("name", "测试搭建"), ("code", "t-build"), ("days", "3 working days"),
        ("duplicate", "within 80 m and 48 h"), ("active", "no")]
    assert f'data-date="{tomorrow:%Y-%m-%d}" data-working="0"' in page
    assert "far" not in page.split('id="calendar-days"')[1].split("</table>")[0]
    assert "1 more exception is set after that." in page
    assert "problems already dispatched keep their deadlines" in page
    for marker in ('id="calendar-add"', 'id="calendar-import"', 'id="category-add"', 'value="remove"',
                   "/problems/settings/category/?code=t-heap"):
        assert marker in page


def test_leader_reads_without_forms(users, campaign, client_for):
    calendar_set(actor=users["office"], date=timezone.localdate() + dt.timedelta(days=1), working=False, note="假日")
    client = client_for(users["leader"])
    response = client.get("/problems/settings/", **EN)
    assert response.status_code == 200
    page = text(response)
    assert 'id="categories-table"' in page and "假日" in page and 'id="read-only"' in page
    for marker in ('id="calendar-add"', 'id="calendar-import"', 'id="category-add"', 'value="remove"',
                   "/problems/settings/category/?code=", 'method="post" action="/problems/settings/calendar/"'):
        assert marker not in page
    assert client.get("/problems/settings/category/?code=garbage", **EN).status_code == 403
    count = (CalendarDay.objects.count(), AuditEvent.objects.count())
    response = client.post("/problems/settings/calendar/", {"action": "import", "text": "2027-01-01 休 元旦"}, **EN)
    assert response.status_code == 403
    assert (CalendarDay.objects.count(), AuditEvent.objects.count()) == count


@pytest.mark.parametrize("role", ["town_staff", "village_staff", "inspector"])
def test_others_are_forbidden(users, campaign, client_for, role):
    client = client_for(users[role])
    count = (Category.objects.count(), CalendarDay.objects.count(), AuditEvent.objects.count())
    for response in (
        client.get("/problems/settings/", **EN),
        client.get("/problems/settings/category/?code=garbage", **EN),
        client.post("/problems/settings/category/?code=garbage", {"name": "x", "working_days": 5,
                                                                   "duplicate_radius_m": 1, "duplicate_hours": 1},
                    **EN),
        client.post("/problems/settings/calendar/", {"action": "add", "date": "2027-01-06", "working": "0"}, **EN),
    ):
        assert response.status_code == 403
        assert FORBIDDEN in text(response)
    assert (Category.objects.count(), CalendarDay.objects.count(), AuditEvent.objects.count()) == count


def test_anonymous_is_sent_to_sign_in(db, client):
    response = client.get("/problems/settings/")
    assert response.status_code == 302 and "next=/problems/settings/" in response["Location"]


def test_office_edits_a_category(users, campaign, client_for):
    client = client_for(users["office"])
    garbage = Category.objects.get(campaign=campaign, code="garbage")
    form = client.get("/problems/settings/category/?code=garbage", **EN)
    assert form.status_code == 200
    assert 'name="code"' not in text(form) and f'value="{garbage.name}"' in text(form)
    response = client.post("/problems/settings/category/?code=garbage", {
        "name": "垃圾治理", "working_days": "2", "duplicate_radius_m": "0", "duplicate_hours": "24",
        "position": str(garbage.position), "active": "on"}, follow=True, **EN)
    assert response.redirect_chain == [("/problems/settings/#categories", 303)]
    assert flashes(response) == [f"Category “垃圾治理” saved. {SAVED_RULE}"]
    garbage.refresh_from_db()
    assert (garbage.working_days, garbage.duplicate_radius_m, garbage.duplicate_hours, garbage.active) == (
        2, 0, 24, True)
    assert events("problem.category")[-1].after["working_days"] == 2


def test_office_adds_a_category_and_sees_the_refusals(users, campaign, client_for):
    client = client_for(users["office"])
    bad = client.post("/problems/settings/category/", {"code": "Bad Code", "name": "", "working_days": "31",
                                                       "duplicate_radius_m": "50", "duplicate_hours": "800"}, **EN)
    assert bad.status_code == 400
    page = text(bad)
    for field, message in [
        ("code", "The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, “-” or “_”."),
        ("name", "Give the category a name."),
        ("working_days", "The days to rectify must be a whole number from 0 to 30."),
        ("duplicate_hours", "The duplicate window must be a whole number of hours from 0 to 720."),
    ]:
        assert re.search(rf'id="error-{field}" role="alert">{re.escape(message)}</small>', page), field
    taken = client.post("/problems/settings/category/", {"code": "garbage", "name": "x", "working_days": "0",
                                                         "duplicate_radius_m": "50", "duplicate_hours": "72"}, **EN)
    assert taken.status_code == 400
    assert "A category with the code garbage exists already: edit it in the list." in text(taken)
    assert not events("problem.category")

    response = client.post("/problems/settings/category/", {"code": "t-fly", "name": "飞线", "working_days": "1",
                                                            "duplicate_radius_m": "30", "duplicate_hours": "12",
                                                            "active": "on"}, **EN)
    assert response.status_code == 303
    fly = Category.objects.get(campaign=campaign, code="t-fly")
    assert (fly.name, fly.working_days, fly.duplicate_radius_m, fly.duplicate_hours, fly.active) == (
        "飞线", 1, 30, 12, True)
    assert client.get("/problems/settings/category/?code=nope", **EN).status_code == 404


def test_office_adds_and_removes_a_day(users, campaign, client_for):
    client = client_for(users["office"])
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post("/problems/settings/calendar/", {"action": "add", "date": day.isoformat(),
                                                            "working": "1", "note": "调休"}, follow=True, **EN)
    assert response.redirect_chain == [("/problems/settings/#calendar", 303)]
    assert flashes(response) == [f"{day.isoformat()} is a working day."]
    assert CalendarDay.objects.filter(date=day).values_list("working", "note").get() == (True, "调休")
    assert f'data-date="{day:%Y-%m-%d}" data-working="1"' in text(response)

    long_note = client.post("/problems/settings/calendar/", {"action": "add", "date": day.isoformat(),
                                                             "working": "0", "note": "注" * 51}, **EN)
    assert long_note.status_code == 400
    assert "The note is longer than 50 characters." in text(long_note)
    assert CalendarDay.objects.filter(date=day).values_list("working", "note").get() == (True, "调休")

    response = client.post("/problems/settings/calendar/", {"action": "remove", "date": day.isoformat()},
                           follow=True, **EN)
    assert flashes(response) == [f"{day.isoformat()} follows the Monday–Friday week again."]
    assert not CalendarDay.objects.filter(date=day).exists()
    assert client.post("/problems/settings/calendar/", {"action": "remove", "date": "soon"}).status_code == 400
    assert client.post("/problems/settings/calendar/", {"action": "other"}).status_code == 400
    assert client.get("/problems/settings/calendar/").status_code == 405


def test_pasted_list_with_a_bad_line_is_refused_whole(users, campaign, client_for):
    client = client_for(users["office"])
    count = (CalendarDay.objects.count(), AuditEvent.objects.count())
    pasted = "2027-01-01 休 元旦\n2027-02-07 班 春节调休\n2027-02-31 休 春节\n"
    response = client.post("/problems/settings/calendar/", {"action": "import", "text": pasted}, **EN)
    assert response.status_code == 400
    errors = text(response).split('id="import-errors"')[1].split("</ul>")[0]
    assert re.findall(r"<li>([^<]*)</li>", errors) == [
        "Refused: 1 problem(s) found, nothing was written.", "Line 3: “2027-02-31” is not a date (YYYY-MM-DD)."]
    assert "2027-02-07 班 春节调休" in text(response)  # the list is kept for correcting
    assert (CalendarDay.objects.count(), AuditEvent.objects.count()) == count

    response = client.post("/problems/settings/calendar/", {"action": "import",
                                                            "text": pasted.replace("02-31", "02-10")},
                           follow=True, **EN)
    assert flashes(response) == ["Calendar imported: 3 added, 0 changed, 0 unchanged."]
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "working", "note")) == [
        (dt.date(2027, 1, 1), False, "元旦"), (dt.date(2027, 2, 7), True, "春节调休"),
        (dt.date(2027, 2, 10), False, "春节")]
    assert len(events("problem.calendar")) == 3


def test_the_deadline_check(users, campaign, client_for):
    heap = save(users["office"], campaign, code="t-heap", working_days=0)
    calendar_set(actor=users["office"], date=WEDNESDAY, working=False, note="假日")
    client = client_for(users["leader"])

    def check(day: dt.date, code: str) -> str:
        response = client.get(f"/problems/settings/?date={day.isoformat()}&category={code}", **EN)
        assert response.status_code == 200
        return re.search(r'id="check-result" data-deadline="([^"]+)"', text(response)).group(1)

    assert check(WEDNESDAY, heap.code) == "2027-01-07 23:59"
    assert check(dt.date(2027, 1, 5), heap.code) == "2027-01-05 23:59"
    assert check(SATURDAY, heap.code) == "2027-01-11 23:59"
    save(users["office"], campaign, code="t-heap", working_days=2)
    assert check(dt.date(2027, 1, 5), heap.code) == "2027-01-08 23:59"  # Wednesday is off
    page = text(client.get(f"/problems/settings/?date=2027-01-06&category={heap.code}", **EN))
    # Dispatched on the holiday: Thursday counts as the day of dispatch, then Friday and Monday.
    assert ("A problem of “测试堆放” (2 working days) dispatched on 2027-01-06 (Wednesday) is due by "
            "2027-01-11 23:59 (Monday).") in page
    assert "That day is a day off. 假日" in page
    bad = text(client.get("/problems/settings/?date=someday&category=t-heap", **EN))
    assert 'id="check-result"' not in bad and 'id="error-date"' in bad


# The command ---------------------------------------------------------------------------------------------------


@pytest.fixture
def english_cli(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def test_calendar_import_command(db, tmp_path, english_cli):
    path = tmp_path / "2027.txt"
    path.write_text("# 2027\n2027-01-01\t休\t元旦\n2027-02-07 班 春节调休\n", encoding="utf-8")
    err = io.StringIO()
    call_command("problems", "calendar", "import", str(path), stderr=err)
    assert err.getvalue().splitlines() == ["Calendar imported: 2 added, 0 changed, 0 unchanged."]
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", "working", "note")) == [
        (dt.date(2027, 1, 1), False, "元旦"), (dt.date(2027, 2, 7), True, "春节调休")]
    assert {e.actor_label for e in events("problem.calendar")} == {"system:cli"}

    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("2027-01-01 休 元旦节\n".encode("gb18030"))
    err = io.StringIO()
    call_command("problems", "calendar", "import", str(gbk), stderr=err)
    assert err.getvalue().splitlines() == ["Calendar imported: 0 added, 1 changed, 0 unchanged."]
    assert CalendarDay.objects.get(date=dt.date(2027, 1, 1)).note == "元旦节"


def test_calendar_import_command_refuses_a_bad_file_whole(db, tmp_path, english_cli):
    path = tmp_path / "bad.txt"
    path.write_text("2027-01-01 休 元旦\n2027-01-02 maybe\n2027-01-01 班\n", encoding="utf-8")
    count = (CalendarDay.objects.count(), AuditEvent.objects.count())
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("problems", "calendar", "import", str(path), stderr=err)
    assert str(error.value) == "Refused: 2 problem(s) found, nothing was written."
    assert err.getvalue().splitlines() == ["Line 2: “maybe” must be 休 or 班 (holiday or working).",
                                           "Line 3: 2027-01-01 is already given on line 1."]
    assert (CalendarDay.objects.count(), AuditEvent.objects.count()) == count
    with pytest.raises(CommandError) as error:
        call_command("problems", "calendar", "import", str(tmp_path / "missing.txt"), stderr=io.StringIO())
    assert str(error.value).startswith(f"Cannot read {tmp_path / 'missing.txt'}: ")


def test_the_other_actions_still_work(db, english_cli):
    err, out = io.StringIO(), io.StringIO()
    call_command("problems", "overdue", stderr=err)
    assert re.fullmatch(r"\d+ newly overdue problem\(s\); their villages and townships were told\.\n",
                        err.getvalue())
    call_command("problems", "list", stdout=out)
    assert all(len(line.split("\t")) == 6 for line in out.getvalue().splitlines())
