"""People and posts: the template sheet, its import (all or nothing) and export, and post history."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import load_workbook

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core.errors import Refused
from dudao.core.messages import describe_with_row
from dudao.org import services
from dudao.org.models import Person, Post, Unit

HEADER = "姓名,手机号,单位代码,单位名称,岗位,职务,开始日期,结束日期\n"


def run(text: str, actor=SYSTEM):
    return services.people_import(actor=actor, data=text.encode("utf-8"), filename="people.csv")


def messages(report) -> list[str]:
    with translation.override("en"):
        return [describe_with_row(p) for p in report.problems]


def test_import_creates_people_and_posts_with_chinese_post_names(db):
    report = run(HEADER + "测试甲,13900000001,620423103200,大水䃎村,包村领导,包村干部,2026-01-05,\n"
                          "测试甲,139-0000-0001,620423103000,喜泉镇,town_deputy,,2025/03/01,2025-12-31\n")
    assert (report.ok, report.created, report.updated) == (True, 3, 0)
    person = Person.objects.get(phone="13900000001")
    posts = list(person.posts.order_by("start_date").values_list("unit__code", "role", "start_date", "end_date"))
    assert posts == [
        ("620423103000", "town_deputy", dt.date(2025, 3, 1), dt.date(2025, 12, 31)),
        ("620423103200", "village_liaison", dt.date(2026, 1, 5), None),
    ]
    assert AuditEvent.objects.filter(action__in=["person.create", "post.create"]).order_by("-seq")[:3].count() == 3


def test_reimport_updates_end_date_in_place(db):
    run(HEADER + "测试乙,13900000002,620423103200,大水䃎村,村社区主要负责人,村委会主任,2024-01-01,\n")
    report = run(HEADER + "测试乙,13900000002,620423103200,大水䃎村,村社区主要负责人,村委会主任,2024-01-01,2026-05-31\n")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert Post.objects.get(person__phone="13900000002").end_date == dt.date(2026, 5, 31)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (",13900000003,620423103200,,cleaner,,2026-01-01,", "Row 2: name is empty."),
        ("某某,1390000,620423103200,,cleaner,,2026-01-01,", "Row 2: The phone number “1390000” is not an 11-digit mobile number."),
        ("某某,13900000003,620423999999,,cleaner,,2026-01-01,",
         "Row 2: The unit 620423999999 does not exist or is outside your area."),
        ("某某,13900000003,620423103200,,书记,,2026-01-01,",
         "Row 2: The post “书记” is unknown; see the list of posts in the template."),
        ("某某,13900000003,620423103200,,cleaner,,2026-13-01,", "Row 2: start date “2026-13-01” is not a date (YYYY-MM-DD)."),
        ("某某,13900000003,620423103200,,cleaner,,2026-02-01,2026-01-01", "Row 2: The end date is before the start date."),
        ("某某,13900000003,620423103200,,,,2026-02-01,", "Row 2: A post needs both a unit code and a post."),
        ("某某,13900000003,620423103200,,cleaner,,,", "Row 2: start date is empty."),
    ],
    ids=["no-name", "bad-phone", "unknown-unit", "bad-role", "bad-date", "reversed", "unit-without-post", "no-start"],
)
def test_bad_rows_are_refused(db, row, expected):
    people, posts, events = Person.objects.count(), Post.objects.count(), AuditEvent.objects.count()
    report = run(HEADER + row + "\n")
    assert messages(report) == [expected]
    assert (Person.objects.count(), Post.objects.count(), AuditEvent.objects.count()) == (people, posts, events)


def test_conflicts_within_the_file(db):
    report = run(HEADER + "张甲,13900000004,620423103200,,cleaner,,2026-01-01,\n"
                          "张乙,13900000004,620423103201,,cleaner,,2026-01-01,\n"
                          "张甲,13900000004,620423103200,,cleaner,,2026-01-01,\n")
    assert messages(report) == [
        "Row 3: The phone number 13900000004 is given for two names (“张甲” and “张乙”).",
        "Row 4: The same post appears again (first in row 2).",
    ]
    assert not Person.objects.filter(phone="13900000004").exists()


def test_overlapping_post_is_refused_and_the_whole_file_rolled_back(db):
    run(HEADER + "王丙,13900000005,620423103200,,cleaner,,2026-01-01,\n")
    report = run(HEADER + "李丁,13900000006,620423103201,,cleaner,,2026-01-01,\n"
                          "王丙,13900000005,620423103200,,cleaner,,2026-03-01,\n")
    assert messages(report) == ["Row 3: 王丙 already holds this post at 大水䃎村 for part of that time."]
    assert not Person.objects.filter(phone="13900000006").exists()


def test_township_staff_import_only_inside_their_township(users):
    town = users["town_staff"]  # 喜泉镇
    outside = run(HEADER + "赵戊,13900000007,620423100200,,cleaner,,2026-01-01,\n", actor=town)
    assert messages(outside) == ["Row 2: The unit 620423100200 does not exist or is outside your area."]
    inside = run(HEADER + "赵戊,13900000007,620423103200,,cleaner,,2026-01-01,\n", actor=town)
    assert inside.ok
    assert AuditEvent.objects.latest("seq").actor_label == "user:demo_town"


def test_village_staff_cannot_import(users):
    with pytest.raises(PermissionDenied):
        run(HEADER + "赵戊,13900000007,620423103200,,cleaner,,2026-01-01,\n", actor=users["village_staff"])


def test_post_holders_in_a_week_follow_handovers(db):
    village = Unit.objects.get(code="620423103200")
    assert not Post.objects.filter(unit=village, role="grid_leader").exists()
    person_a = services.person_save(actor=SYSTEM, person=None, name="甲", phone="13900000010")
    person_b = services.person_save(actor=SYSTEM, person=None, name="乙", phone="13900000011")
    old = services.post_create(actor=SYSTEM, person=person_a, unit=village, role="grid_leader",
                               start_date=dt.date(2025, 1, 1))
    services.post_end(actor=SYSTEM, post=old, end_date=dt.date(2026, 3, 4))
    services.post_create(actor=SYSTEM, person=person_b, unit=village, role="grid_leader",
                         start_date=dt.date(2026, 3, 5))

    def names(on, until=None):
        posts = Post.objects.filter(unit=village, role="grid_leader").held_between(on, until)
        return [p.person.name for p in posts.select_related("person").order_by("start_date", "person__name")]

    assert names(dt.date(2026, 1, 1)) == ["甲"]
    # ISO week 2026-W10 runs 2026-03-02 .. 2026-03-08: both held the post that week.
    assert names(dt.date(2026, 3, 2), dt.date(2026, 3, 8)) == ["甲", "乙"]
    assert names(dt.date(2026, 3, 5)) == ["乙"]
    assert names(dt.date(2024, 12, 31)) == []


def test_post_overlap_and_reversed_dates_are_refused_by_the_service(db):
    village = Unit.objects.get(code="620423103200")
    person = services.person_save(actor=SYSTEM, person=None, name="丙", phone="13900000012")
    services.post_create(actor=SYSTEM, person=person, unit=village, role="cleaner", start_date=dt.date(2026, 1, 1))
    with pytest.raises(Refused) as refused:
        services.post_create(actor=SYSTEM, person=person, unit=village, role="cleaner",
                             start_date=dt.date(2026, 2, 1))
    assert refused.value.code == "post_overlap"
    with pytest.raises(Refused) as refused:
        services.post_create(actor=SYSTEM, person=person, unit=village, role="grid_worker",
                             start_date=dt.date(2026, 2, 1), end_date=dt.date(2026, 1, 1))
    assert refused.value.code == "dates_reversed"


def test_duplicate_phone_is_refused(db):
    services.person_save(actor=SYSTEM, person=None, name="丁", phone="13900000013")
    with pytest.raises(Refused) as refused:
        services.person_save(actor=SYSTEM, person=None, name="戊", phone="139 0000 0013")
    assert refused.value.code == "phone_taken"


def test_export_round_trips_through_import(db):
    header, rows = services.people_export_rows(actor=SYSTEM)
    assert header == ["姓名", "手机号", "单位代码", "单位名称", "岗位", "职务", "开始日期", "结束日期"]
    from dudao.core.tables import write_xlsx

    data = write_xlsx([("posts", header, rows)])
    report = services.people_import(actor=SYSTEM, data=data, filename="people.xlsx")
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 0, len(rows))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.cell(2, 2).value.startswith("100")


def test_template_download_has_the_post_list(users, client_for):
    response = client_for(users["office"]).get("/people/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]] == \
        ["姓名", "手机号", "单位代码", "单位名称", "岗位", "职务", "开始日期", "结束日期"]
    codes = [row[0].value for row in workbook.worksheets[1].iter_rows(min_row=2)]
    assert codes == ["county_leader", "town_head", "town_deputy", "village_liaison", "village_head",
                     "group_leader", "grid_leader", "grid_worker", "cleaner", "other"]


def test_people_names_and_titles_are_checked_like_unit_names(db):
    report = run(HEADER + "=cmd,13900000020,620423103200,,cleaner,,2026-01-01,\n"
                          "某某,13900000021,620423103200,,cleaner," + "职" * 51 + ",2026-01-01,\n"
                          + "名" * 51 + ",13900000022,620423103200,,cleaner,,2026-01-01,\n")
    assert messages(report) == [
        "Row 2: name must not begin with =, +, - or @ (Excel would read it as a formula).",
        "Row 3: title is longer than 50 characters.",
        "Row 4: name is longer than 50 characters.",
    ]


def test_township_staff_rows_need_a_post(users):
    report = run(HEADER + "无岗位,13900000023,,,,,,\n", actor=users["town_staff"])
    assert messages(report) == ["Row 2: Each row needs the person's post in your area (unit code, post, start date)."]
    assert not Person.objects.filter(phone="13900000023").exists()
