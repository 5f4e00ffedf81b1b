"""A township's pending interviews scheduled at once (interviews.services.interviews_schedule_many and its page),
the week's interview list as an Excel sheet, and the list's phone layout. Messages are compared in English."""

import datetime as dt
import html
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from openpyxl import load_workbook

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.interviews import services
from dudao.interviews.access import interviews_visible_to
from dudao.interviews.models import Interview
from dudao.org.models import Unit
from dudao.ranking.models import Round

DASHUI = "620423103200"  # 大水䃎村 (demo_village), in 喜泉镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CSS = Path(__file__).resolve().parents[1] / "src/dudao/static/dudao/interviews/interviews.css"


def tomorrow_at(hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(hour, 30)))


def body(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def township(db):
    """The latest published week and the township with the most interviews of it waiting to be scheduled."""
    round_ = Round.objects.filter(status="published").order_by("-week_start").first()
    pending = Counter(Interview.objects.filter(round=round_, status="pending", vacant=False)
                      .values_list("village__parent__code", flat=True))
    code, count = pending.most_common(1)[0]
    assert count >= 2
    return round_.week, Unit.objects.get(code=code)


@pytest.fixture
def client_of(users, client_for):
    return lambda role: client_for(users[role])


def test_schedule_many_schedules_every_pending_interview_of_the_township(users, township):
    week, town = township
    campaign = campaign_get()
    pending = services.interviews_pending_of_town(campaign, week, town)
    others = dict(Interview.objects.exclude(pk__in=[i.pk for i in pending]).values_list("pk", "status"))
    before = AuditEvent.objects.count()
    when = tomorrow_at(14)
    done = services.interviews_schedule_many(actor=users["office"], campaign=campaign, week=week, town=town,
                                             scheduled_for=when, place=" 县委三楼会议室 ", interviewer="县委副书记")
    assert [i.pk for i in done] == [i.pk for i in pending]
    rows = Interview.objects.filter(pk__in=[i.pk for i in pending])
    assert set(rows.values_list("status", "scheduled_for", "place", "interviewer")) == {
        ("scheduled", when, "县委三楼会议室", "县委副书记")}
    assert dict(Interview.objects.exclude(pk__in=[i.pk for i in pending]).values_list("pk", "status")) == others
    events = AuditEvent.objects.filter(action="interview.schedule").order_by("seq")
    assert AuditEvent.objects.count() - before == len(pending)
    assert [e.object_id for e in events.reverse()[: len(pending)]][::-1] == [str(i.pk) for i in pending]
    assert services.interviews_pending_of_town(campaign, week, town) == []


def test_schedule_many_refusals_write_nothing(users, township):
    week, town = township
    campaign = campaign_get()
    pending = services.interviews_pending_of_town(campaign, week, town)
    before = AuditEvent.objects.count()
    yesterday = tomorrow_at() - dt.timedelta(days=2)
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.interviews_schedule_many(actor=users["office"], campaign=campaign, week=week, town=town,
                                          scheduled_for=yesterday, place="会议室", interviewer="书记")
    assert (refused.value.code, refused.value.message) == (
        "schedule_in_past", "The interview cannot be scheduled on a day that has passed.")
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.interviews_schedule_many(actor=users["office"], campaign=campaign, week=week, town=town,
                                          scheduled_for=tomorrow_at(), place=" ", interviewer="书记")
    assert (refused.value.code, refused.value.message) == ("place_required", "Say where the interview takes place.")
    for role in ("leader", "town_staff", "inspector"):
        with pytest.raises(PermissionDenied):
            services.interviews_schedule_many(actor=users[role], campaign=campaign, week=week, town=town,
                                              scheduled_for=tomorrow_at(), place="会议室", interviewer="书记")
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.interviews_schedule_many(actor=users["office"], campaign=campaign, week="2020-W01", town=town,
                                          scheduled_for=tomorrow_at(), place="会议室", interviewer="书记")
    assert (refused.value.code, refused.value.message) == (
        "nothing_to_schedule", f"No interview of {town.name} in week 2020-W01 is waiting to be scheduled.")
    assert AuditEvent.objects.count() == before
    assert set(Interview.objects.filter(pk__in=[i.pk for i in pending]).values_list("status", flat=True)) == {
        "pending"}


def test_schedule_many_is_all_or_nothing(users, township, monkeypatch):
    week, town = township
    campaign = campaign_get()
    pending = services.interviews_pending_of_town(campaign, week, town)
    told: list[int] = []

    def notice(interview):
        told.append(interview.pk)
        if len(told) == 2:
            raise Refused("boom", "the second one fails")

    monkeypatch.setattr(services, "interview_scheduled", notice)
    before = AuditEvent.objects.count()
    with pytest.raises(Refused):
        services.interviews_schedule_many(actor=users["office"], campaign=campaign, week=week, town=town,
                                          scheduled_for=tomorrow_at(), place="会议室", interviewer="书记")
    assert told == [i.pk for i in pending[:2]]
    assert set(Interview.objects.filter(pk__in=[i.pk for i in pending]).values_list("status", flat=True)) == {
        "pending"}
    assert AuditEvent.objects.count() == before


def test_the_list_s_form_schedules_a_township_and_is_the_office_s(client_of, township):
    week, town = township
    count = len(services.interviews_pending_of_town(campaign_get(), week, town))
    office = client_of("office")
    page = body(office.get(f"/interviews/?week={week}", **EN))
    assert 'id="schedule-many"' in page and f'<option value="{town.code}">{town.name}</option>' in page
    for role in ("leader", "town_staff", "village_staff"):
        assert 'id="schedule-many"' not in body(client_of(role).get("/interviews/", **EN)), role
        assert client_of(role).post("/interviews/schedule/", {}).status_code == 403, role
    when = (timezone.localdate() + dt.timedelta(days=1)).isoformat() + "T10:00"
    bad = office.post("/interviews/schedule/", {"many-week": week, "many-town": town.code, "many-scheduled_for": when,
                                                "many-place": "", "many-interviewer": "书记"}, **EN)
    assert bad.status_code == 400 and "This field is required." in body(bad)
    response = office.post("/interviews/schedule/", {
        "many-week": week, "many-town": town.code, "many-scheduled_for": when, "many-place": "县政府二楼",
        "many-interviewer": "书记"}, follow=True, **EN)
    assert response.redirect_chain == [(f"/interviews/?week={week}&town={town.code}", 303)]
    day = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert (f"Scheduled {count} interviews of {town.name} for week {week}: {day} 10:00, 县政府二楼."
            in body(response))
    again = office.post("/interviews/schedule/", {
        "many-week": week, "many-town": town.code, "many-scheduled_for": when, "many-place": "县政府二楼",
        "many-interviewer": "书记"}, **EN)
    assert again.status_code == 400
    assert f"No interview of {town.name} in week {week} is waiting to be scheduled." in body(again)


def test_export_is_the_list_as_a_sheet(client_of, users, township):
    week, _town = township
    page = body(client_of("office").get(f"/ranking/{week}/interviews/", **EN))
    assert f'<a href="/interviews/export.xlsx?week={week}" id="week-interviews-export" download>Excel</a>' in page
    response = client_of("office").get(f"/interviews/export.xlsx?week={week}", **EN)
    assert response["Content-Disposition"] == f'attachment; filename="interviews-{week}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("week", "township", "village", "unit", "post", "person", "reason", "status", "to be held by",
                       "scheduled for", "place", "interviewer", "held on")
    expected = Interview.objects.filter(round__week=week)
    assert len(rows) - 1 == expected.count()
    assert {r[0] for r in rows[1:]} == {week}
    # The village's staff export only their village's interviews, and 大水䃎村 survives.
    village_rows = interviews_visible_to(users["village_staff"])
    response = client_of("village_staff").get("/interviews/export.xlsx", **EN)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
    assert len(rows) == village_rows.count() >= 1
    assert {r[2] for r in rows} == {"大水䃎村"}


def test_the_list_stacks_into_cards_on_a_phone(client_of):
    page = body(client_of("office").get("/interviews/", **EN))
    assert '<table id="interviews" class="stack">' in page
    for label in ("week", "person", "village", "status", "to be held by"):
        assert f'data-label="{label}"' in page
    css = CSS.read_text()
    assert "@media (max-width: 600px)" in css and "table.stack td::before { content: attr(data-label);" in css
