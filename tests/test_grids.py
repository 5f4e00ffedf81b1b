"""Grids in the unit tree (issue 16): villager groups and grids under villages, their area description and their
people (grid leader, grid workers, cleaners as dated posts), carried by the units and people files; the demo's
grids; the people import in bulk."""

import csv
import io
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core.errors import Refused
from dudao.core.messages import describe_with_row
from dudao.core.tables import write_csv
from dudao.org import services
from dudao.org.models import Person, Post, Unit

UNITS_HEADER = "code,name,level,parent_code,description\n"
PEOPLE_HEADER = "姓名,手机号,单位代码,单位名称,岗位,职务,开始日期,结束日期\n"
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇


def units(text: str):
    return services.units_import(actor=SYSTEM, data=text.encode("utf-8"), filename="units.csv")


def people(text: str, actor=SYSTEM):
    return services.people_import(actor=actor, data=text.encode("utf-8"), filename="people.csv")


def messages(report) -> list[str]:
    with translation.override("en"):
        return [describe_with_row(p) for p in report.problems]


def test_the_demo_has_three_to_eight_grids_per_village_each_with_its_people(db):
    villages = list(Unit.objects.ranked())
    grids = list(Unit.objects.filter(level="grid"))
    per_village = Counter(grid.village_code() for grid in grids)
    assert {v.code for v in villages} == set(per_village)
    assert min(per_village.values()) == 3
    assert max(per_village.values()) == 8
    assert all(grid.description.startswith("演示网格（合成数据）") and grid.point_synthetic for grid in grids)
    # Grids of a village with villager groups hang under its groups, and every group lies in a village.
    groups = list(Unit.objects.filter(level="group"))
    assert groups and all(group.parent.is_ranked for group in groups)
    assert {grid.parent.level for grid in grids} == {"village", "community", "group"}
    posts = Counter((post.unit_id, post.role) for post in Post.objects.filter(unit__level="grid"))
    for grid in grids:
        assert posts[(grid.pk, "grid_leader")] == 1
        assert posts[(grid.pk, "grid_worker")] in (1, 2)
        assert posts[(grid.pk, "cleaner")] == 1
    assert not Person.objects.filter(posts__unit__level="grid", synthetic=False).exists()


def test_units_export_lists_grids_with_their_area_description(db):
    header, rows = services.units_export_rows(actor=SYSTEM)
    assert header[-1] == "description"
    grid_rows = [row for row in rows if row[2] == "grid"]
    assert len(grid_rows) == Unit.objects.filter(level="grid").count()
    first = Unit.objects.filter(level="grid").order_by("path").first()
    row = next(r for r in grid_rows if r[0] == first.code)
    assert (row[1], row[3], row[-1]) == (first.name, first.parent.code, first.description)
    chinese_header, _rows = services.units_export_rows(actor=SYSTEM, chinese=True)
    assert chinese_header[-1] == "区域描述"


def test_people_export_lists_the_grid_posts(db):
    header, rows = services.people_export_rows(actor=SYSTEM)
    grid_codes = set(Unit.objects.filter(level="grid").values_list("code", flat=True))
    roles = Counter(row[4] for row in rows if row[2] in grid_codes)
    assert roles == {"网格长": 849, "网格员": 1234, "保洁员": 849} == {
        "网格长": Post.objects.filter(role="grid_leader", unit__level="grid").count(),
        "网格员": Post.objects.filter(role="grid_worker", unit__level="grid").count(),
        "保洁员": Post.objects.filter(role="cleaner", unit__level="grid").count(),
    }


def test_groups_and_grids_import_under_their_village_with_the_description(db):
    report = units(UNITS_HEADER + f"620499990010,三组,group,{DASHUI},\n"
                                  f"620499990011,第九网格,grid,620499990010,大水䃎村北街，32户\n"
                                  f"620499990012,第十网格,grid,{DASHUI},\n")
    assert (report.ok, report.created) == (True, 3)
    grid = Unit.objects.get(code="620499990011")
    assert (grid.level, grid.parent.code, grid.description, grid.village_code()) == \
           ("grid", "620499990010", "大水䃎村北街，32户", DASHUI)
    assert grid.path == Unit.objects.get(code=DASHUI).path + "620499990010/620499990011/"
    event = AuditEvent.objects.get(action="unit.create", object_id="620499990011")
    assert event.after["description"] == "大水䃎村北街，32户"
    # The description is kept when a file has no such column, and changed when it has.
    assert units("code,name,level,parent_code\n620499990011,第九网格,grid,620499990010\n").unchanged == 1
    assert Unit.objects.get(code="620499990011").description == "大水䃎村北街，32户"
    assert units(UNITS_HEADER + "620499990011,第九网格,grid,620499990010,北街和后巷\n").updated == 1
    assert Unit.objects.get(code="620499990011").description == "北街和后巷"


@pytest.mark.parametrize(
    ("parent", "parent_level"),
    [("620423103000", "township"), ("620423000000", "county"), ("620491032001", "grid")],
    ids=["under-a-township", "under-the-county", "under-a-grid"],
)
def test_a_grid_outside_a_village_is_refused_and_nothing_written(db, parent, parent_level):
    before = (Unit.objects.count(), AuditEvent.objects.count())
    report = units(UNITS_HEADER + f"620423103290,好网格,grid,{DASHUI},\n620499990013,坏网格,grid,{parent},\n")
    assert messages(report) == [
        f"Row 3: A unit of level grid cannot belong to {parent}, which is of level {parent_level}."]
    assert (Unit.objects.count(), AuditEvent.objects.count()) == before


def test_a_too_long_area_description_is_refused_with_its_row(db):
    report = units(UNITS_HEADER + f"620499990014,长网格,grid,{DASHUI},{'街' * 501}\n")
    assert messages(report) == ["Row 2: area description is longer than 500 characters."]
    assert not Unit.objects.filter(code="620499990014").exists()


def test_the_unit_form_sets_the_area_description(db):
    grid = Unit.objects.get(code="620491032001")
    services.unit_update(actor=SYSTEM, unit=grid, description=" 大水䃎村东街 ")
    assert Unit.objects.get(pk=grid.pk).description == "大水䃎村东街"
    with pytest.raises(Refused) as refused:
        services.unit_update(actor=SYSTEM, unit=grid, description="=HYPERLINK(1)")
    assert refused.value.code == "formula_start"


def test_export_and_import_of_the_units_with_grids_round_trip(db):
    header, rows = services.units_export_rows(actor=SYSTEM)
    report = services.units_import(actor=SYSTEM, data=write_csv(header, rows), filename="units.csv")
    assert (report.ok, report.created, report.updated) == (True, 0, 0)
    assert report.unchanged == Unit.objects.count()


# The people import in bulk -------------------------------------------------------------------------------------


def test_grid_people_import_as_dated_posts_of_the_grid(db):
    report = people(PEOPLE_HEADER + "格甲,13900001001,620491032001,,网格长,网格长,2026-01-01,\n"
                                    "格甲,13900001001,620491032002,,grid_worker,,2026-01-01,2026-06-30\n"
                                    "格乙,13900001002,620491032001,,保洁员,,2026-02-01,\n")
    assert (report.ok, report.created) == (True, 5)
    posts = sorted(Post.objects.filter(person__phone__startswith="1390000100")
                   .values_list("person__name", "unit__code", "role", "end_date"))
    assert [p[:3] for p in posts] == [("格乙", "620491032001", "cleaner"), ("格甲", "620491032001", "grid_leader"),
                                      ("格甲", "620491032002", "grid_worker")]


def test_a_province_sized_sheet_imports_in_a_few_queries_whatever_its_length(db):
    grid_codes = list(Unit.objects.filter(level="grid").values_list("code", flat=True)[:300])

    def sheet(count: int, end: str = "") -> bytes:
        rows = [[f"人{i}", f"139{i:08d}", grid_codes[i % len(grid_codes)], "", "grid_worker", "", "2026-01-01", end]
                for i in range(count)]
        return write_csv(PEOPLE_HEADER.strip().split(","), rows)

    with CaptureQueriesContext(connection) as small:
        assert services.people_import(actor=SYSTEM, data=sheet(50), filename="a.csv").ok
    with CaptureQueriesContext(connection) as large:
        report = services.people_import(actor=SYSTEM, data=sheet(1200), filename="b.csv")
    assert (report.created, report.unchanged) == (2 * 1150, 50)
    # Reading, writing and the audit in batches: 24 times the rows, far fewer than 24 times the queries.
    assert len(large.captured_queries) <= len(small.captured_queries) + 40
    updates = AuditEvent.objects.filter(action="post.update").count()
    again = services.people_import(actor=SYSTEM, data=sheet(1200, "2026-12-31"), filename="c.csv")
    assert (again.created, again.updated) == (0, 1200)
    assert Post.objects.filter(person__phone__startswith="139", end_date="2026-12-31").count() == 1200
    assert AuditEvent.objects.filter(action="post.update").count() == updates + 1200


def test_a_bad_last_row_of_a_long_sheet_writes_nothing(db):
    rows = [[f"人{i}", f"139{i:08d}", "620491032001", "", "cleaner", "", "2026-01-01", ""] for i in range(600)]
    rows.append(["人0", "13900000000", "620491032001", "", "cleaner", "", "2026-03-01", ""])
    before = (Person.objects.count(), Post.objects.count(), AuditEvent.objects.count())
    report = services.people_import(actor=SYSTEM, data=write_csv(PEOPLE_HEADER.strip().split(","), rows),
                                    filename="people.csv")
    assert messages(report) == ["Row 602: 人0 already holds this post at 第一网格 for part of that time."]
    assert (Person.objects.count(), Post.objects.count(), AuditEvent.objects.count()) == before


def test_a_rename_is_recorded_once_with_the_old_name(db):
    person = Person.objects.filter(posts__unit__level="grid").first()
    post = person.posts.first()
    text = PEOPLE_HEADER + f"新名字,{person.phone},{post.unit.code},,{post.role},{post.title},{post.start_date},\n"
    report = people(text)
    assert (report.updated, report.unchanged) == (1, 1)
    event = AuditEvent.objects.get(action="person.update", object_id=str(person.pk))
    assert (event.before["name"], event.after["name"]) == (person.name, "新名字")


def test_township_staff_cannot_touch_a_person_of_another_township_in_bulk(users):
    outsider = Post.objects.filter(unit__path__contains="/620423100000/").select_related("person").first().person
    report = people(PEOPLE_HEADER + f"{outsider.name},{outsider.phone},620491032001,,cleaner,,2026-01-01,\n",
                    actor=users["town_staff"])
    assert messages(report) == [
        f"Row 2: The person with phone {outsider.phone} is managed outside your area; ask the campaign office to "
        "change them."]


def test_the_people_export_of_grids_reads_back(db):
    header, rows = services.people_export_rows(actor=SYSTEM, chinese=True)
    grid_rows = [row for row in rows if row[2].startswith("62049")]
    text = io.StringIO()
    csv.writer(text).writerows([header, *grid_rows])
    report = services.people_import(actor=SYSTEM, data=text.getvalue().encode("utf-8"), filename="back.csv")
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 0, len(grid_rows))
