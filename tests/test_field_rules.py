"""The rules added after an independent review of the field work: photos belong to the problem's village and are
used once, township staff do not score their own villages into the ranking, a hand-uploaded source is never
silently replaced, the county's problems are the county's to cancel, each role names only its own sources, the
problem number follows the county's calendar year, and lists do not query per row."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from PIL import Image

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.inspections import services as inspections
from dudao.inspections.models import Inspection
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.services import photo_upload
from dudao.problems import services as problems
from dudao.problems.models import Category, Problem
from dudao.ranking import services as ranking
from dudao.ranking.models import Entry

DASHUI = "620423103200"  # 大水䃎村 (demo_village), 喜泉镇
NEIGHBOUR = "620423103201"  # 喜集水村, 喜泉镇
SHUIYUAN = "620423100200"  # 水源村, 一条山镇 (demo_inspector)


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def jpeg(colour=(90, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def photo(actor, code: str, colour=(90, 120, 60)):
    lon, lat = unit_point_wgs84(unit(code))
    return photo_upload(actor=actor, campaign=campaign_get(), village=unit(code), data=jpeg(colour), lat=lat, lon=lon)


@pytest.fixture
def campaign(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    campaign = campaign_get()
    problems.categories_ensure(campaign)
    Category.objects.filter(campaign=campaign).update(duplicate_hours=0)  # the demo's problems are no duplicates
    return campaign


def dispatched(campaign, users, code=DASHUI, source="office") -> Problem:
    lon, lat = unit_point_wgs84(unit(code))
    return problems.problem_report(actor=users["office"], campaign=campaign, village=unit(code),
                                   category=Category.objects.get(campaign=campaign, code="garbage"),
                                   description="垃圾堆放", source=source, lat=lat, lon=lon)


def refused(call) -> tuple[str, str]:
    with translation.override("en"), pytest.raises(Refused) as caught:
        call()
    return caught.value.code, caught.value.message


def test_an_after_photo_must_be_of_the_problems_village(campaign, users):
    problem = dispatched(campaign, users)
    elsewhere = photo(users["office"], NEIGHBOUR)
    code, message = refused(lambda: problems.problem_rectify(actor=users["office"], problem=problem,
                                                             photo_ids=[elsewhere.pk]))
    assert (code, message) == ("photo_elsewhere",
                               f"The photos {elsewhere.pk} were taken for another village than 大水䃎村.")
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"


def test_a_photo_already_part_of_the_problem_is_refused_not_a_server_error(campaign, users):
    problem = dispatched(campaign, users)
    after = photo(users["village_staff"], DASHUI)
    problem = problems.problem_rectify(actor=users["village_staff"], problem=problem, photo_ids=[after.pk])
    problem = problems.problem_return(actor=users["town_staff"], problem=problem, note="仍有垃圾")
    code, message = refused(lambda: problems.problem_rectify(actor=users["village_staff"], problem=problem,
                                                             photo_ids=[after.pk]))
    assert (code, message) == ("photo_reused",
                               f"The photos {after.pk} are already part of this problem; take a new one.")
    assert Problem.objects.get(pk=problem.pk).status == "returned"


def test_an_after_photo_taken_before_the_report_is_refused(campaign, users):
    old = photo(users["office"], DASHUI)
    type(old).objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=2))
    problem = dispatched(campaign, users)
    code, _message = refused(lambda: problems.problem_rectify(actor=users["office"], problem=problem,
                                                              photo_ids=[old.pk]))
    assert code == "photo_too_old"


def test_a_problem_raised_in_an_inspection_takes_the_inspections_photos(campaign, users):
    checklist = inspections.checklist_default(campaign)
    item = checklist.items.order_by("position").first()
    taken = photo(users["inspector"], SHUIYUAN)
    lon, lat = unit_point_wgs84(unit(SHUIYUAN))
    result = inspections.inspection_submit(
        actor=users["inspector"], campaign=campaign, village=unit(SHUIYUAN), checklist=checklist, lat=lat, lon=lon,
        marks=[inspections.MarkInput(i.pk, i.max_points) for i in checklist.items.all()], photo_ids=[taken.pk],
        problems=[inspections.ProblemInput(item.pk, "路边垃圾")])
    raised = result.inspection.problems.get()
    assert [p.photo_id for p in raised.problem_photos.all()] == [taken.pk]


def test_township_staff_inspections_do_not_count_in_the_ranking(campaign, users):
    checklist = inspections.checklist_default(campaign)
    lon, lat = unit_point_wgs84(unit(DASHUI))
    week = inspections.weeks.week_of(timezone.localdate())
    before = dict(Entry.objects.filter(round__week=week, source="inspection").values_list("unit__code", "score"))
    result = inspections.inspection_submit(
        actor=users["town_staff"], campaign=campaign, village=unit(DASHUI), checklist=checklist, lat=lat, lon=lon,
        marks=[inspections.MarkInput(i.pk, i.max_points) for i in checklist.items.all()])
    assert (result.inspection.counts, result.inspection.warnings) == (False, ["own_staff"])
    after = dict(Entry.objects.filter(round__week=week, source="inspection").values_list("unit__code", "score"))
    assert after == before


def test_a_hand_uploaded_inspection_source_is_not_replaced_by_field_inspections(campaign, users):
    week = ranking.weeks.add_weeks(ranking.weeks.week_of(timezone.localdate()), -30)
    monday = ranking.weeks.week_start(week)
    report = ranking.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source="inspection",
                                    data=write_csv(["code", "score"], [[DASHUI, "55"], [NEIGHBOUR, "66"]]))
    assert report.ok
    checklist = inspections.checklist_default(campaign)
    lon, lat = unit_point_wgs84(unit(SHUIYUAN))
    result = inspections.inspection_submit(
        actor=users["inspector"], campaign=campaign, village=unit(SHUIYUAN), checklist=checklist, lat=lat, lon=lon,
        inspected_at=timezone.make_aware(dt.datetime.combine(monday, dt.time(10))),
        marks=[inspections.MarkInput(i.pk, i.max_points) for i in checklist.items.all()])
    assert (result.inspection.counts, result.inspection.warnings) == (False, ["week_uploaded"])
    entries = dict(Entry.objects.filter(round__week=week, source="inspection").values_list("unit__code", "score"))
    assert entries == {DASHUI: 55.0, NEIGHBOUR: 66.0}
    assert Inspection.objects.filter(pk=result.inspection.pk).exists()


@pytest.mark.parametrize("source", ["office", "inspection"])
def test_the_township_cannot_cancel_what_the_county_found(campaign, users, source):
    problem = dispatched(campaign, users, source=source)
    with pytest.raises(problems.PermissionDenied):
        problems.problem_cancel(actor=users["town_staff"], problem=problem, note="不是问题")
    assert problems.problem_cancel(actor=users["office"], problem=problem, note="重复").status == "cancelled"


def test_the_township_may_cancel_a_grid_workers_report(campaign, users):
    problem = problems.problem_report(actor=users["village_staff"], campaign=campaign, village=unit(DASHUI),
                                      category=Category.objects.get(campaign=campaign, code="garbage"),
                                      description="垃圾点满溢", source="grid")
    assert problems.problem_cancel(actor=users["town_staff"], problem=problem, note="已核实无此问题").status == \
        "cancelled"


def test_a_village_cannot_report_as_a_drone_or_the_office(campaign, users):
    for source in ("drone", "office", "inspection"):
        code, message = refused(lambda s=source: problems.problem_report(
            actor=users["village_staff"], campaign=campaign, village=unit(DASHUI),
            category=Category.objects.get(campaign=campaign, code="garbage"), description="x", source=s))
        assert code == "source_not_yours"
    assert problems.problem_report(actor=users["village_staff"], campaign=campaign, village=unit(DASHUI),
                                   category=Category.objects.get(campaign=campaign, code="garbage"),
                                   description="x").source == "grid"  # the first of its own


def test_the_problem_number_follows_the_countys_year(campaign, users):
    problem = dispatched(campaign, users)
    new_year_morning = dt.datetime(2026, 12, 31, 19, 0, tzinfo=dt.UTC)  # 2027-01-01 03:00 in Asia/Shanghai
    Problem.objects.filter(pk=problem.pk).update(reported_at=new_year_morning)
    assert Problem.objects.get(pk=problem.pk).number == f"2027-{problem.pk:06d}"


def test_the_problem_list_does_not_query_per_problem(campaign, users, client_for):
    client = client_for(users["inspector"])
    for _n in range(2):
        dispatched(campaign, users, code=SHUIYUAN)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/problems?limit=2").status_code == 200
    for _n in range(6):
        dispatched(campaign, users, code=SHUIYUAN)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/problems?limit=8").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
