"""Checklists and on-site inspections through dudao.inspections.services: versions, township checklists,
the week's inspection source fed from the field, warnings, idempotency, problems raised and who may inspect."""

import datetime as dt
import math
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent, AuditHead
from dudao.audit.services import audit_verify
from dudao.campaigns.models import Campaign
from dudao.campaigns.services import campaign_get
from dudao.core import geo, weeks
from dudao.core.errors import Refused
from dudao.core.tables import Problem as TableProblem
from dudao.core.tables import write_csv
from dudao.inspections import selectors as services_selectors
from dudao.inspections import services
from dudao.inspections.models import Checklist, ChecklistItem, Inspection, ItemScore
from dudao.org.models import Unit
from dudao.org.selectors import campaign_area, unit_point_wgs84
from dudao.problems.models import Problem
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking import services as ranking_services
from dudao.ranking.models import Entry, Result, Round

YITIAOSHAN = "620423100000"  # 一条山镇: demo_inspector's area
XIQUAN = "620423103000"  # 喜泉镇: demo_town's area
SHUIYUAN = "620423100200"  # 水源村, 一条山镇
SHIMEN = "620423100201"  # 石门村, 一条山镇
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇 (demo_village's village)


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def marks(checklist: Checklist, fraction: float) -> list[services.MarkInput]:
    """Every item scored at the same fraction of its points: the inspection's score is 100 × fraction."""
    return [services.MarkInput(item.pk, item.max_points * fraction) for item in checklist.items.all()]


def at_point(code: str) -> dict:
    lon, lat = unit_point_wgs84(unit(code))
    return {"lat": lat, "lon": lon, "accuracy_m": 8.0}


def in_week(week: str, weekday: int = 2, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(weeks.week_start(week) + dt.timedelta(days=weekday),
                                                   dt.time(hour)))


def current_week() -> str:
    return weeks.week_of(timezone.localdate())


def inspection_entries(week: str) -> dict[str, float]:
    round_ = ranking_selectors.round_live(campaign_get(), week)
    if round_ is None:
        return {}
    return dict(Entry.objects.filter(round=round_, source="inspection").values_list("unit__code", "score"))


def trace() -> tuple[int, int, int, int]:
    return (Inspection.objects.count(), ItemScore.objects.count(), Problem.objects.count(),
            AuditEvent.objects.filter(action="inspection.submit").count())


@pytest.fixture
def county(db) -> Checklist:
    return services.checklist_default(campaign_get())


def submit(actor, checklist, code=SHUIYUAN, fraction=1.0, **kwargs) -> services.Submitted:
    kwargs.setdefault("lat", at_point(code)["lat"])
    kwargs.setdefault("lon", at_point(code)["lon"])
    kwargs.setdefault("accuracy_m", 8.0)
    return services.inspection_submit(actor=actor, campaign=campaign_get(), village=unit(code), checklist=checklist,
                                      marks=marks(checklist, fraction), **kwargs)


# Checklists -----------------------------------------------------------------------------------------------


def test_the_default_checklist_is_created_once_with_its_13_items(db):
    # A second campaign starts with no checklist and no problem categories.
    campaign = Campaign.objects.create(name="城市环境综合整治", slug="urban", county=campaign_get().county)
    assert not Checklist.objects.filter(campaign=campaign).exists()
    first = services.checklist_default(campaign)
    second = services.checklist_default(campaign)
    assert second.pk == first.pk
    assert list(Checklist.objects.filter(campaign=campaign).values_list("key", "version")) == [
        (services.DEFAULT_KEY, 1)]
    assert (first.name, first.town, first.critical_cap, first.active, first.created_by, first.created_by_label) == (
        "农村人居环境整治评分细则", None, 60.0, True, None, "system:cli")
    items = list(first.items.select_related("category").order_by("position"))
    assert [(i.position, i.section, i.text, i.max_points, i.weight, i.critical, i.allow_na, i.category.code)
            for i in items] == [(n, s, t, p, 1.0, c, na, cat)
                                for n, (s, t, p, c, na, cat) in enumerate(services.DEFAULT_ITEMS, start=1)]
    assert len(items) == 13 and sum(i.max_points for i in items) == 100
    assert [i.position for i in items if i.critical] == [3, 4]
    assert [i.position for i in items if i.allow_na] == [5, 7, 11]
    assert {i.category.campaign_id for i in items} == {campaign.pk}
    assert AuditEvent.objects.filter(action="checklist.save", object_id="urban/rural-living").count() == 1
    # The default campaign's checklist is another one.
    assert services.checklist_default(campaign_get()).pk != first.pk


def test_an_edit_is_a_new_version_and_inspections_keep_theirs(users, county):
    campaign = campaign_get()
    inspector, office = users["inspector"], users["office"]
    before = submit(inspector, county, fraction=0.8).inspection
    v2 = services.checklist_save(
        actor=office, campaign=campaign, key=services.DEFAULT_KEY, name="评分细则（修订）", town=None,
        critical_cap=50.0, items=[services.ItemInput("垃圾治理", "无垃圾积存", 20, 2.0, True, False, "garbage"),
                                  services.ItemInput("长效管护", "保洁员在岗", 10)])
    assert (v2.version, v2.critical_cap, v2.created_by.username, v2.created_by_label, v2.items.count()) == (
        2, 50.0, "demo_office", "demo_office", 2)
    assert services.checklist_current(campaign, services.DEFAULT_KEY) == v2
    county.refresh_from_db()
    assert (county.version, county.items.count()) == (1, 13)
    before.refresh_from_db()
    assert before.checklist_id == county.pk
    assert set(ItemScore.objects.filter(inspection=before).values_list("item__checklist_id", flat=True)) == {county.pk}
    event = AuditEvent.objects.filter(action="checklist.save").latest("seq")
    assert (event.actor_label, event.before, event.after["version"], event.after["critical_cap"]) == (
        "user:demo_office", {"version": 1}, 2, 50.0)
    # A phone that was offline still holds version 1: its inspection is scored against version 1.
    late = submit(inspector, county, code=SHIMEN, fraction=0.9)
    assert (late.created, late.inspection.checklist_id, late.inspection.score) == (True, county.pk, 90.0)
    newer = services.inspection_submit(
        actor=inspector, campaign=campaign, village=unit(SHIMEN), checklist=v2, **at_point(SHIMEN),
        marks=[services.MarkInput(i.pk, p) for i, p in zip(v2.items.order_by("position"), (15, 10), strict=True)])
    # (2 × 15 + 10) / (2 × 20 + 10) = 80
    assert (newer.inspection.checklist_id, newer.inspection.score) == (v2.pk, 80.0)


def test_a_checklist_needs_a_name_items_and_sane_points(users, county):
    campaign = campaign_get()
    office = users["office"]
    good = [services.ItemInput("垃圾治理", "无垃圾", 10)]
    cases = [
        ({"name": "  ", "items": good, "critical_cap": 60.0}, "name_required"),
        ({"name": "细则", "items": [], "critical_cap": 60.0}, "items_required"),
        ({"name": "细则", "items": good, "critical_cap": 101.0}, "bad_cap"),
        ({"name": "细则", "items": [services.ItemInput("垃圾治理", " ", 10)], "critical_cap": 60.0},
         "item_text_required"),
        ({"name": "细则", "items": [services.ItemInput("垃圾治理", "无垃圾", 0)], "critical_cap": 60.0}, "item_points"),
        ({"name": "细则", "items": [services.ItemInput("垃圾治理", "无垃圾", 10, weight=-1)], "critical_cap": 60.0},
         "item_points"),
        ({"name": "细则", "items": [services.ItemInput("垃圾治理", "无垃圾", 10, category="nope")],
          "critical_cap": 60.0}, "item_category"),
    ]
    for kwargs, code in cases:
        with pytest.raises(Refused) as refused:
            services.checklist_save(actor=office, campaign=campaign, key="other", town=None, **kwargs)
        assert refused.value.code == code
    assert not Checklist.objects.filter(key="other").exists()


def test_a_township_may_add_its_own_checklist_the_office_too_others_not(users, county):
    campaign = campaign_get()
    town_staff, office = users["town_staff"], users["office"]
    items = [services.ItemInput("工作法", "网格员每日巡查并留痕", 10, category="upkeep")]
    own = services.checklist_save(actor=town_staff, campaign=campaign, key="xiquan-method", name="喜泉镇工作法",
                                  town=unit(XIQUAN), critical_cap=60.0, items=items)
    assert (own.version, own.town.code, own.created_by.username, own.created_by_label) == (
        1, XIQUAN, "demo_town", "demo_town")
    with pytest.raises(PermissionDenied):
        services.checklist_save(actor=town_staff, campaign=campaign, key="yitiaoshan-method", name="一条山镇工作法",
                                town=unit(YITIAOSHAN), critical_cap=60.0, items=items)
    with pytest.raises(PermissionDenied):  # nor the county's
        services.checklist_save(actor=town_staff, campaign=campaign, key=services.DEFAULT_KEY, name="改",
                                town=None, critical_cap=60.0, items=items)
    with pytest.raises(PermissionDenied):
        services.checklist_save(actor=users["inspector"], campaign=campaign, key="xiquan-method", name="改",
                                town=unit(XIQUAN), critical_cap=60.0, items=items)
    # A key belongs to one township: it cannot be turned into the county's (or another township's) checklist.
    with pytest.raises(PermissionDenied):
        services.checklist_save(actor=office, campaign=campaign, key="xiquan-method", name="改", town=None,
                                critical_cap=60.0, items=items)
    by_office = services.checklist_save(actor=office, campaign=campaign, key="xiquan-method", name="喜泉镇工作法",
                                        town=unit(XIQUAN), critical_cap=60.0, items=items)
    assert (by_office.version, by_office.town.code) == (2, XIQUAN)
    assert list(Checklist.objects.filter(key="xiquan-method").values_list("version", flat=True)) == [2, 1]
    # Each village sees the county's checklist and its own township's only.
    assert services.checklists_for_village(campaign, unit(DASHUI)) == [county, by_office]
    assert services.checklists_for_village(campaign, unit(SHUIYUAN)) == [county]


def test_a_township_checklist_inspection_does_not_count_in_the_ranking(users, county):
    campaign = campaign_get()
    town_staff = users["town_staff"]
    own = services.checklist_save(actor=town_staff, campaign=campaign, key="xiquan-method", name="喜泉镇工作法",
                                  town=unit(XIQUAN), critical_cap=60.0,
                                  items=[services.ItemInput("工作法", "网格员每日巡查并留痕", 10)])
    week = weeks.add_weeks(current_week(), -12)
    assert ranking_selectors.round_live(campaign, week) is None
    result = submit(town_staff, own, code=DASHUI, fraction=0.5, inspected_at=in_week(week))
    assert (result.created, result.inspection.score, result.inspection.counts, result.inspection.week) == (
        True, 50.0, False, week)
    assert ranking_selectors.round_live(campaign, week) is None
    # The current week's round (collecting in the demo) is not touched either.
    round_ = ranking_selectors.round_live(campaign, current_week())
    entries, events = inspection_entries(current_week()), AuditEvent.objects.filter(action__startswith="ranking.")
    before = (round_.status, round_.inspection_from_field, entries, events.count())
    now = submit(town_staff, own, code=DASHUI, fraction=0.3)
    assert now.inspection.counts is False
    round_.refresh_from_db()
    assert (round_.status, round_.inspection_from_field, inspection_entries(current_week()), events.count()) == before
    # Its checklist is not in use outside 喜泉镇.
    with pytest.raises(Refused) as refused:
        submit(users["office"], own, code=SHUIYUAN)
    assert refused.value.code == "checklist_not_for_village"


# The week's inspection source ---------------------------------------------------------------------------


def test_the_weeks_inspection_source_is_the_mean_of_each_villages_inspections(users, county):
    campaign = campaign_get()
    inspector = users["inspector"]
    week = weeks.add_weeks(current_week(), -12)
    assert ranking_selectors.round_live(campaign, week) is None
    submit(inspector, county, code=SHUIYUAN, fraction=0.8, inspected_at=in_week(week, 0))
    assert inspection_entries(week) == {SHUIYUAN: 80.0}
    submit(inspector, county, code=SHUIYUAN, fraction=0.9, inspected_at=in_week(week, 6, 20))
    submit(inspector, county, code=SHIMEN, fraction=0.7, inspected_at=in_week(week, 3))
    # An inspection of the week before and one of the week after do not count in this week.
    submit(inspector, county, code=SHIMEN, fraction=0.1, inspected_at=in_week(weeks.add_weeks(week, -1), 6))
    submit(inspector, county, code=SHIMEN, fraction=0.1, inspected_at=in_week(weeks.add_weeks(week, 1), 0))
    assert inspection_entries(week) == {SHUIYUAN: 85.0, SHIMEN: 70.0}
    assert services.week_scores(campaign, week) == {unit(SHUIYUAN).pk: 85.0, unit(SHIMEN).pk: 70.0}
    round_ = ranking_selectors.round_live(campaign, week)
    assert (round_.status, round_.inspection_from_field) == ("collecting", True)
    submission = round_.submissions.get(source="inspection")
    assert (submission.submitted_by, submission.submitted_by_label, submission.town, submission.entries) == (
        None, "field:inspections", None, 2)
    # The inspection source of this week now comes from the field: it is not uploaded by hand any more.
    report = ranking_services.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source="inspection",
                                             data=write_csv(["code", "score"], [[SHUIYUAN, "10"], [SHIMEN, "20"]]))
    assert report.problems == [TableProblem("field_inspections", 0, {"week": week})]
    assert inspection_entries(week) == {SHUIYUAN: 85.0, SHIMEN: 70.0}


def test_a_new_inspection_makes_a_computed_round_collect_again(users, county):
    campaign = campaign_get()
    week = weeks.add_weeks(current_week(), -12)
    rows = []
    for town in Unit.objects.filter(level="town"):
        codes = Unit.objects.filter(parent=town).order_by("code").values_list("code", flat=True)
        rows += [[c, str(n)] for n, c in enumerate(codes, start=1)]
    assert ranking_services.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source="town",
                                           data=write_csv(["code", "rank"], rows)).ok
    computed = ranking_services.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
    assert computed.status == "computed" and Result.objects.filter(round=computed).count() == 151
    submit(users["inspector"], county, code=SHUIYUAN, fraction=0.6, inspected_at=in_week(week))
    round_ = Round.objects.get(pk=computed.pk)
    assert (round_.status, round_.computed_at, round_.result_digest, round_.inspection_from_field) == (
        "collecting", None, "", True)
    assert Result.objects.filter(round=round_).count() == 0
    assert inspection_entries(week) == {SHUIYUAN: 60.0}
    assert Entry.objects.filter(round=round_, source="town").count() == 151


def test_an_inspection_in_a_published_week_is_kept_but_does_not_count(users, county):
    campaign = campaign_get()
    week = weeks.add_weeks(current_week(), -1)  # published by the demo
    round_ = ranking_selectors.round_live(campaign, week)
    assert round_.status == "published"
    entries, scores = inspection_entries(week), services.week_scores(campaign, week)
    assert entries  # the demo's inspections of that week
    before = trace()
    result = submit(users["inspector"], county, code=SHUIYUAN, fraction=0.8, inspected_at=in_week(week))
    inspection = Inspection.objects.get(pk=result.inspection.pk)
    assert (result.created, inspection.counts, inspection.warnings, result.warnings, inspection.score) == (
        True, False, ["week_closed"], ["week_closed"], 80.0)
    assert inspection_entries(week) == entries
    assert Round.objects.get(pk=round_.pk).status == "published"
    assert trace() == (before[0] + 1, before[1] + 13, before[2], before[3] + 1)
    event = AuditEvent.objects.filter(action="inspection.submit").latest("seq")
    assert (event.after["counts"], event.after["warnings"]) == (False, ["week_closed"])
    # A closed week's inspection is not part of the week's mean either.
    assert services.week_scores(campaign, week) == scores
    with translation.override("en"):
        assert services.warning_text("week_closed") == (
            "The week's ranking is published or awaits approval: this score does not count in it.")


def test_the_office_is_shown_the_inspections_a_closed_week_did_not_count(users, county, client_for):
    campaign = campaign_get()
    week = weeks.add_weeks(current_week(), -1)  # published by the demo
    page = client_for(users["office"]).get(f"/ranking/?week={week}", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="readiness-late-inspections"' not in page.content.decode()
    late = submit(users["inspector"], county, code=SHUIYUAN, fraction=0.8, inspected_at=in_week(week)).inspection
    assert [i.pk for i in services_selectors.arrived_after_close(campaign, week)] == [late.pk]
    assert services_selectors.arrived_after_close(campaign, weeks.add_weeks(week, -1)) == []
    html = client_for(users["office"]).get(f"/ranking/?week={week}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    line = html.split('id="readiness-late-inspections"', 1)[1].split("</li>", 1)[0]
    assert "1 inspection arrived after the week was closed and is not counted in this round:" in line
    assert f'<a href="/inspections/{late.pk}/" data-inspection="{late.pk}">水源村 80.0 (' in line


# Positions and time --------------------------------------------------------------------------------------


def test_a_position_near_the_village_gives_no_warning(users, county):
    inspection = submit(users["inspector"], county, accuracy_m=100.0).inspection
    assert (inspection.warnings, inspection.distance_m, inspection.accuracy_m) == ([], 0.0, 100.0)


def test_poor_accuracy_is_a_warning(users, county):
    result = submit(users["inspector"], county, accuracy_m=150.0)
    assert (result.warnings, result.inspection.warnings, result.inspection.counts) == (
        ["poor_accuracy"], ["poor_accuracy"], True)


def test_a_position_5_km_from_the_village_inside_the_county_is_a_warning(users, county):
    lon, lat = unit_point_wgs84(unit(SHUIYUAN))
    area = campaign_area(campaign_get())
    box = area.box
    toward_centre = 1 if lat < (box[1] + box[3]) / 2 else -1
    far_lat = lat + toward_centre * math.degrees(5000 / geo.EARTH_RADIUS_M)
    assert area.contains(lon, far_lat)
    result = submit(users["inspector"], county, lat=far_lat, lon=lon)
    assert result.inspection.warnings == ["far_from_village"]
    assert result.inspection.distance_m == pytest.approx(5000, abs=0.1)
    assert (result.inspection.lat, result.inspection.lon) == (far_lat, lon)


def test_both_warnings_at_once(users, county):
    lon, lat = unit_point_wgs84(unit(SHUIYUAN))
    result = submit(users["inspector"], county, lat=lat + 0.03, lon=lon, accuracy_m=500.0)
    assert result.inspection.warnings == ["poor_accuracy", "far_from_village"]


def test_no_position_is_a_warning(users, county):
    result = submit(users["inspector"], county, lat=None, lon=None, accuracy_m=None)
    inspection = result.inspection
    assert (inspection.warnings, inspection.lat, inspection.lon, inspection.distance_m, inspection.counts) == (
        ["no_position"], None, None, None, True)


def test_half_a_position_is_refused(users, county):
    before = trace()
    lon, _lat = unit_point_wgs84(unit(SHUIYUAN))
    with translation.override("en"), pytest.raises(Refused) as refused:
        submit(users["inspector"], county, lat=None, lon=lon)
    assert (refused.value.code, refused.value.message) == (
        "half_position", "Give both the latitude and the longitude, or neither.")
    assert trace() == before


def test_a_position_outside_the_county_is_refused(users, county):
    before = trace()
    with pytest.raises(Refused) as refused:
        submit(users["inspector"], county, lat=39.9042, lon=116.4074)  # Beijing
    assert refused.value.code == "outside_county"
    assert trace() == before


def test_an_inspection_time_in_the_future_is_refused(users, county):
    before = trace()
    with pytest.raises(Refused) as refused:
        submit(users["inspector"], county, inspected_at=timezone.now() + dt.timedelta(hours=1))
    assert refused.value.code == "future_time"
    assert trace() == before
    # A phone clock a few minutes fast is tolerated.
    ahead = timezone.now() + dt.timedelta(minutes=5)
    assert submit(users["inspector"], county, inspected_at=ahead).inspection.inspected_at == ahead


def test_scores_outside_an_items_range_are_refused_with_the_items_text(users, county):
    items = list(county.items.order_by("position"))
    given = [services.MarkInput(i.pk, i.max_points) for i in items]
    given[0] = services.MarkInput(items[0].pk, 11)
    given[4] = services.MarkInput(items[4].pk, None)  # allowed: not applicable
    given[5] = services.MarkInput(items[5].pk, None)  # not allowed
    before = trace()
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.inspection_submit(actor=users["inspector"], campaign=campaign_get(), village=unit(SHUIYUAN),
                                   checklist=county, marks=given)
    assert refused.value.code == "bad_scores"
    assert refused.value.message == (
        "“村内主干道、巷道无垃圾积存”: 11 is outside 0–10.0 points. "
        "“户厕、公厕干净卫生、无异味” cannot be marked not applicable.")
    assert trace() == before


# Idempotency, problems, audit ------------------------------------------------------------------------------


def test_the_same_client_key_twice_stores_one_inspection(users, county):
    inspector = users["inspector"]
    first = submit(inspector, county, fraction=0.8, client_key="phone-1-0001")
    before = trace()
    again = submit(inspector, county, fraction=0.2, client_key="phone-1-0001")
    assert (first.created, again.created, again.inspection.pk, again.inspection.score) == (
        True, False, first.inspection.pk, 80.0)
    assert trace() == before
    assert Inspection.objects.filter(client_key="phone-1-0001").count() == 1
    # The key is the inspector's: another inspector's phone may use the same one.
    other = submit(users["office"], county, fraction=0.5, client_key="phone-1-0001")
    assert (other.created, other.inspection.score) == (True, 50.0)


def test_problems_raised_from_items_are_dispatched_at_once(users, county):
    inspector = users["inspector"]
    items = list(county.items.select_related("category").order_by("position"))
    garbage, sewage = items[0], items[3]
    result = submit(inspector, county, fraction=0.8, problems=[
        services.ProblemInput(garbage.pk, ""),
        services.ProblemInput(sewage.pk, "村东头污水直排入沟渠"),
        services.ProblemInput(None, "村委会门口乱贴广告", category="posting"),
    ])
    raised = list(Problem.objects.filter(inspection=result.inspection).select_related("category", "item")
                  .order_by("pk"))
    assert [(p.source, p.item_id, p.category.code, p.description, p.status, p.village.code, p.town.code,
             p.reported_by_id) for p in raised] == [
        ("inspection", garbage.pk, "garbage", garbage.text, "dispatched", SHUIYUAN, YITIAOSHAN, inspector.pk),
        ("inspection", sewage.pk, "sewage", "村东头污水直排入沟渠", "dispatched", SHUIYUAN, YITIAOSHAN, inspector.pk),
        ("inspection", None, "posting", "村委会门口乱贴广告", "dispatched", SHUIYUAN, YITIAOSHAN, inspector.pk),
    ]
    assert all(p.dispatched_at is not None and p.deadline is not None for p in raised)
    lat, lon = at_point(SHUIYUAN)["lat"], at_point(SHUIYUAN)["lon"]
    assert {(p.lat, p.lon) for p in raised} == {(lat, lon)}
    event = AuditEvent.objects.filter(action="inspection.submit").latest("seq")
    assert event.after["problems"] == [p.pk for p in raised]


def test_a_problem_from_an_item_not_on_the_checklist_stores_nothing(users, county):
    before = trace()
    with pytest.raises(Refused) as refused:
        submit(users["inspector"], county, problems=[services.ProblemInput(county.items.first().pk, ""),
                                                     services.ProblemInput(987654, "")])
    assert refused.value.code == "bad_scores"
    assert trace() == before


def test_the_submission_is_audited_with_its_score(users, county):
    inspector = users["inspector"]
    result = submit(inspector, county, fraction=0.9)
    inspection = result.inspection
    event = AuditEvent.objects.filter(action="inspection.submit").latest("seq")
    assert (event.actor_label, event.object_type, event.object_id) == ("user:demo_inspector", "inspection",
                                                                  str(inspection.pk))
    assert {k: event.after[k] for k in ("village", "checklist", "week", "score", "critical_failed", "counts",
                                        "warnings", "photos", "problems")} == {
        "village": SHUIYUAN, "checklist": "rural-living v1", "week": inspection.week, "score": 90.0,
        "critical_failed": [], "counts": True, "warnings": [], "photos": [], "problems": []}
    assert len(event.after["marks"]) == 13


def test_a_failed_critical_item_caps_the_stored_score(users, county):
    items = list(county.items.order_by("position"))
    given = [services.MarkInput(i.pk, 2 if i.position == 4 else i.max_points) for i in items]
    inspection = services.inspection_submit(actor=users["inspector"], campaign=campaign_get(),
                                            village=unit(SHUIYUAN), checklist=county, marks=given,
                                            **at_point(SHUIYUAN)).inspection
    assert (inspection.score, inspection.critical_failed, inspection.capped) == (60.0, True, True)


# Who may inspect where ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "code"), [
    ("inspector", DASHUI),  # outside 一条山镇
    ("town_staff", SHUIYUAN),  # outside 喜泉镇
    ("leader", SHUIYUAN),  # reads only
    ("village_staff", DASHUI),  # its own village, but villages do not inspect
])
def test_inspecting_outside_ones_area_or_role_is_denied(users, county, role, code):
    before = trace()
    with pytest.raises(PermissionDenied):
        submit(users[role], county, code=code)
    assert trace() == before


def test_the_inspector_may_inspect_every_village_of_their_township(users, county):
    village = Unit.objects.filter(parent__code=YITIAOSHAN, level="village").order_by("code").last()
    assert submit(users["inspector"], county, code=village.code).created is True
    assert submit(users["town_staff"], county, code=DASHUI).created is True


def test_item_scores_are_stored_per_item(users, county):
    inspection = submit(users["inspector"], county, fraction=0.5).inspection
    assert list(inspection.scores.order_by("item__position").values_list("item__position", "points")) == [
        (i.position, i.max_points * 0.5) for i in ChecklistItem.objects.filter(checklist=county).order_by("position")]



# Two phones at once (PostgreSQL: the in-memory SQLite test database cannot be shared across threads) ------------


@pytest.mark.threads
def test_two_inspections_at_once_in_a_new_week_both_count(users, monkeypatch):
    """Two phones send the first inspections of a week at the same moment. Neither gets a server error because
    the other created the week's round, and the week's source holds both villages: no mean is computed without
    the other's inspection. The week's means are held back until both transactions have computed theirs (or one
    second has passed: a transaction that computes them under the round's lock waits that second alone), which
    is where the two would overwrite each other. The threads commit for real, so the test removes what they
    stored afterwards."""
    campaign = campaign_get()
    county = services.checklist_current(campaign, services.DEFAULT_KEY)  # the demo's, committed
    assert county is not None
    week = weeks.add_weeks(current_week(), -20)
    assert ranking_selectors.round_live(campaign, week) is None
    last_seq, last_hash = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []
    week_scores = services.week_scores

    def week_scores_when_both_are_there(*args):
        scores = week_scores(*args)
        try:
            barrier.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return scores

    monkeypatch.setattr(services, "week_scores", week_scores_when_both_are_there)

    def inspect(code: str, fraction: float) -> None:
        try:
            submit(users["inspector"], county, code=code, fraction=fraction, inspected_at=in_week(week))
        except (DatabaseError, Refused) as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    def remove_what_the_threads_stored() -> None:
        try:
            with transaction.atomic():
                Inspection.objects.filter(campaign=campaign, week=week).delete()
                Round.objects.filter(campaign=campaign, week=week).delete()
                AuditEvent.objects.filter(seq__gt=last_seq).delete()
                AuditHead.objects.filter(pk=1).update(seq=last_seq, hash=last_hash)  # else the log reads as cut
        finally:
            connection.close()

    threads = [threading.Thread(target=inspect, args=args) for args in ((SHUIYUAN, 0.8), (SHIMEN, 0.6))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert Inspection.objects.filter(campaign=campaign, week=week).count() == 2
        assert Round.objects.filter(campaign=campaign, week=week).count() == 1
        assert inspection_entries(week) == {SHUIYUAN: 80.0, SHIMEN: 60.0}
        assert Round.objects.get(campaign=campaign, week=week).submissions.get(source="inspection").entries == 2
    finally:
        cleaner = threading.Thread(target=remove_what_the_threads_stored)
        cleaner.start()
        cleaner.join()
    assert ranking_selectors.round_live(campaign, week) is None
    assert not Inspection.objects.filter(campaign=campaign, week=week).exists()
    assert AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() == last_seq
    assert audit_verify() == (AuditEvent.objects.count(), None)
