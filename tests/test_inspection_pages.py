"""The office's and the townships' pages for checklists (评分细则) and inspections: versions on every save, a
township's own checklist, who may edit which, refused tables that leave no trace, and the inspection list and
detail with their counts, scores, photos and problems, inside the viewer's area only."""

import datetime as dt
import html
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dudao.accounts.actors import actor_display
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.inspections import services
from dudao.inspections.models import Checklist, Inspection
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.services import photo_upload
from dudao.problems.models import Problem

XIQUAN = "620423103000"  # 喜泉镇, demo_town's township
YITIAOSHAN = "620423100000"  # 一条山镇, the inspector's township
DASHUIZHE = "620423103200"  # 大水䃎村 in 喜泉镇, demo_village's village
WEEK = "2024-W20"  # a week of the tests' own: nothing else is inspected in it
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ITEMS = [
    # section, item, points, weight, critical, may be N/A, category
    ("垃圾治理", "主干道无垃圾积存", 10, 1, False, False, "garbage"),
    ("污水治理", "无生活污水直排", 10, 1, True, False, "sewage"),
    ("厕所革命", "公厕干净卫生", 10, 1, False, True, "toilet"),
    ("村容村貌", "无乱堆乱放", 10, 2, False, False, "stacking"),
]


def body(response) -> str:
    return html.unescape(response.content.decode())


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def by_id(page: str, element_id: str) -> str:
    """The text of the element with this id (up to its first closing tag)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, element_id
    return match.group(1).strip()


def table_post(rows, **fields) -> dict:
    """The checklist form as a browser sends it: unticked boxes are absent."""
    data = {"rows": str(len(rows)), "critical_cap": "60", **fields}
    for n, (section, text, points, weight, critical, allow_na, category) in enumerate(rows):
        data |= {f"item-{n}-section": section, f"item-{n}-text": text, f"item-{n}-points": str(points),
                 f"item-{n}-weight": str(weight), f"item-{n}-category": category}
        if critical:
            data[f"item-{n}-critical"] = "on"
        if allow_na:
            data[f"item-{n}-allow_na"] = "on"
    return data


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def county_checklist(users) -> Checklist:
    """The county's checklist, saved by the office with the four items above."""
    campaign = campaign_get()
    services.checklist_default(campaign)
    return services.checklist_save(
        actor=users["office"], campaign=campaign, key=services.DEFAULT_KEY, name="评分细则", town=None,
        critical_cap=60.0, items=[services.ItemInput(*row) for row in ITEMS])


@pytest.fixture
def inspected(users, county_checklist, settings, tmp_path):
    """Three inspections in WEEK by the office: two of 大水䃎村 (100, and 87.5 with one item not applicable, a
    photo and a problem raised), one of another 喜泉镇 village with a critical failure (84 capped at 60)."""
    settings.MEDIA_ROOT = tmp_path
    campaign = campaign_get()
    office = users["office"]
    dashuizhe = Unit.objects.get(code=DASHUIZHE)
    other = (Unit.objects.filter(parent__code=XIQUAN, level="village", active=True).exclude(code=DASHUIZHE)
             .order_by("code").first())
    items = list(county_checklist.items.all())
    monday = dt.date.fromisocalendar(2024, 20, 1)

    def submit(village, points, hour, **extra):
        lon, lat = unit_point_wgs84(village)
        marks = [services.MarkInput(item.pk, p) for item, p in zip(items, points, strict=True)]
        at = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(hour)))
        return services.inspection_submit(actor=office, campaign=campaign, village=village, checklist=county_checklist,
                                          marks=marks, inspected_at=at, lat=lat, lon=lon, accuracy_m=8, **extra
                                          ).inspection

    lon, lat = unit_point_wgs84(dashuizhe)
    photo = photo_upload(actor=office, campaign=campaign, village=dashuizhe, data=jpeg(), lat=lat, lon=lon,
                         accuracy_m=8)
    full = submit(dashuizhe, [10, 10, 10, 10], 9)
    partial = submit(dashuizhe, [5, 10, None, 10], 10, note="村口垃圾未清运", photo_ids=[photo.pk],
                     problems=[services.ProblemInput(items[0].pk, "村口垃圾堆积")])
    failed = submit(other, [10, 2, 10, 10], 11)
    return {"full": full, "partial": partial, "failed": failed, "other": other, "photo": photo, "items": items}


# Checklists --------------------------------------------------------------------------------------------


def test_office_edits_the_default_checklist_into_a_new_version(users, client_for):
    campaign = campaign_get()
    before = services.checklist_default(campaign)
    old_items = list(before.items.values_list("text", "max_points"))
    client = client_for(users["office"])
    page = client.get(reverse("checklist_edit", args=[before.pk]), **EN)
    assert page.status_code == 200
    assert "Inspections already made keep the version they were scored with" in body(page)
    rows = [("垃圾治理", "村内无垃圾积存", 12, 1, False, False, "garbage"),
            ("污水治理", "无生活污水直排", 8, 1.5, True, False, "sewage"),
            ("长效管护", "保洁员在岗", 5, 1, False, True, "")]
    response = client.post(reverse("checklist_edit", args=[before.pk]),
                           table_post(rows, name="评分细则（修订）", critical_cap="55", active="on"), **EN)
    after = services.checklist_current(campaign, services.DEFAULT_KEY)
    assert after.version == before.version + 1
    assert response.status_code == 302 and response["Location"] == reverse("checklist_detail", args=[after.pk])
    assert (after.name, after.critical_cap, after.town_id, after.active) == ("评分细则（修订）", 55.0, None, True)
    assert [(i.position, i.section, i.text, i.max_points, i.weight, i.critical, i.allow_na,
             i.category.code if i.category else "") for i in after.items.select_related("category")] == [
        (1, "垃圾治理", "村内无垃圾积存", 12.0, 1.0, False, False, "garbage"),
        (2, "污水治理", "无生活污水直排", 8.0, 1.5, True, False, "sewage"),
        (3, "长效管护", "保洁员在岗", 5.0, 1.0, False, True, "")]
    assert list(before.items.values_list("text", "max_points")) == old_items  # the old version is untouched
    event = AuditEvent.objects.filter(action="checklist.save").order_by("-seq").first()
    assert (event.object_id, event.actor_id) == (f"{campaign.slug}/{services.DEFAULT_KEY}", users["office"].pk)
    assert event.before == {"version": before.version} and event.after["version"] == after.version
    detail = body(client.get(response["Location"], **EN))
    assert f"Saved as version {after.version}." in detail
    assert "村内无垃圾积存" in detail and "caps the score at 55" in detail
    old_page = body(client.get(reverse("checklist_detail", args=[before.pk]), **EN))
    assert 'id="older-version"' in old_page and 'id="edit-checklist"' not in old_page
    listing = body(client.get(reverse("checklist_list"), **EN))
    assert reverse("checklist_detail", args=[before.pk]) in listing  # the older version stays linked
    # An edit form opened on the older version leads to the latest one.
    assert client.get(reverse("checklist_edit", args=[before.pk]))["Location"] == reverse("checklist_edit",
                                                                                           args=[after.pk])


def test_an_edit_based_on_a_superseded_version_is_refused(users, client_for, county_checklist):
    campaign = campaign_get()
    newer = services.checklist_save(actor=users["county_admin"], campaign=campaign, key=services.DEFAULT_KEY,
                                    name="评分细则", town=None, critical_cap=60.0,
                                    items=[services.ItemInput(*row) for row in ITEMS[:2]])
    events = AuditEvent.objects.count()
    response = client_for(users["office"]).post(reverse("checklist_edit", args=[county_checklist.pk]),
                                                table_post(ITEMS, name="评分细则"), **EN)
    assert response.status_code == 409
    assert f"Version {newer.version} was saved meanwhile by demo_admin" in body(response)
    assert services.checklist_current(campaign, services.DEFAULT_KEY).pk == newer.pk
    assert AuditEvent.objects.count() == events


def test_a_township_creates_its_own_checklist(users, client_for):
    client = client_for(users["town_staff"])
    page = body(client.get(reverse("checklist_new"), **EN))
    assert f'<input type="hidden" name="town" value="{XIQUAN}">' in page
    assert 'value="county"' not in page
    rows = [("二", "两委班子包片到户", 20, 1, False, False, "upkeep"),
            ("四", "四类垃圾分类收运", 30, 1, True, False, "garbage"),
            ("六", "六清六改", 50, 2, False, True, "")]
    response = client.post(reverse("checklist_new"), table_post(rows, name="2468工作法", town=XIQUAN), **EN)
    checklist = Checklist.objects.get(name="2468工作法")
    assert response.status_code == 302 and response["Location"] == reverse("checklist_detail", args=[checklist.pk])
    assert (checklist.town.code, checklist.version, checklist.created_by_label) == (XIQUAN, 1, "demo_town")
    assert checklist.key.startswith(f"{XIQUAN}-")
    assert list(checklist.items.values_list("text", "max_points", "weight", "critical", "allow_na")) == [
        ("两委班子包片到户", 20.0, 1.0, False, False), ("四类垃圾分类收运", 30.0, 1.0, True, False),
        ("六清六改", 50.0, 2.0, False, True)]
    assert AuditEvent.objects.filter(action="checklist.save", object_id=f"default/{checklist.key}").count() == 1
    listing = body(client.get(reverse("checklist_list"), **EN))
    assert "2468工作法" in listing and reverse("checklist_edit", args=[checklist.pk]) in listing
    # The office sees and may edit it; an inspector of another township sees neither.
    assert reverse("checklist_edit", args=[checklist.pk]) in body(client_for(users["office"]).get(
        reverse("checklist_list")))
    inspector = client_for(users["inspector"])
    assert "2468工作法" not in body(inspector.get(reverse("checklist_list")))
    assert inspector.get(reverse("checklist_detail", args=[checklist.pk])).status_code == 404


def test_the_office_creates_a_checklist_for_any_township(users, client_for):
    client = client_for(users["office"])
    page = body(client.get(reverse("checklist_new"), **EN))
    assert 'value="county"' in page and f'value="{YITIAOSHAN}"' in page
    assert '<option value="county" selected>' in body(client.get(reverse("checklist_new"), {"town": "county"}))
    events = AuditEvent.objects.count()
    unscoped = client.post(reverse("checklist_new"), table_post(ITEMS[:1], name="12345工作法"), **EN)
    assert unscoped.status_code == 400 and by_id(body(unscoped), "form-error") == "Choose the county or a township."
    assert AuditEvent.objects.count() == events
    response = client.post(reverse("checklist_new"), table_post(ITEMS[:1], name="12345工作法", town=YITIAOSHAN), **EN)
    assert response.status_code == 302
    assert Checklist.objects.get(name="12345工作法").town.code == YITIAOSHAN


def test_a_township_cannot_edit_the_county_checklist(users, client_for, county_checklist):
    client = client_for(users["town_staff"])
    listing = body(client.get(reverse("checklist_list"), **EN))
    assert reverse("checklist_detail", args=[county_checklist.pk]) in listing
    assert reverse("checklist_edit", args=[county_checklist.pk]) not in listing
    detail = body(client.get(reverse("checklist_detail", args=[county_checklist.pk]), **EN))
    assert 'id="edit-checklist"' not in detail
    checklists, events = Checklist.objects.count(), AuditEvent.objects.count()
    assert client.get(reverse("checklist_edit", args=[county_checklist.pk])).status_code == 403
    assert client.post(reverse("checklist_edit", args=[county_checklist.pk]),
                       table_post(ITEMS, name="改")).status_code == 403
    assert client.post(reverse("checklist_new"), table_post(ITEMS, name="改", town="county")).status_code == 403
    assert client.post(reverse("checklist_new"), table_post(ITEMS, name="改", town=YITIAOSHAN)).status_code == 404
    assert (Checklist.objects.count(), AuditEvent.objects.count()) == (checklists, events)


def test_the_leader_reads_but_does_not_edit(users, client_for, county_checklist):
    client = client_for(users["leader"])
    listing = body(client.get(reverse("checklist_list"), **EN))
    assert county_checklist.name in listing
    assert 'class="edit"' not in listing and reverse("checklist_new") not in listing
    assert 'id="edit-checklist"' not in body(client.get(reverse("checklist_detail", args=[county_checklist.pk])))
    assert client.get(reverse("checklist_new")).status_code == 403
    assert client.get(reverse("checklist_edit", args=[county_checklist.pk])).status_code == 403
    assert client.get(reverse("inspection_list")).status_code == 200


def test_village_staff_have_no_checklist_pages(users, client_for, county_checklist):
    client = client_for(users["village_staff"])
    assert client.get(reverse("checklist_list")).status_code == 403
    assert client.get(reverse("checklist_detail", args=[county_checklist.pk])).status_code == 404


@pytest.mark.parametrize(("row", "message"), [
    (("垃圾治理", "", 10, 1, False, False, "garbage"), "Item 2 needs a section and a text."),
    (("垃圾治理", "无垃圾", 0, 1, False, False, "garbage"), "Item 2 needs points and a weight above zero."),
    (("垃圾治理", "无垃圾", 10, 1, False, False, "rubbish"), "Item 2 names an unknown problem category “rubbish”."),
    (("垃圾治理", "无垃圾", "十", 1, False, False, "garbage"), "Item 2: the points and the weight must be numbers."),
])
def test_invalid_rows_are_refused_and_nothing_is_written(users, client_for, county_checklist, row, message):
    events = AuditEvent.objects.count()
    rows = [ITEMS[0], row, ITEMS[1]]
    response = client_for(users["office"]).post(reverse("checklist_edit", args=[county_checklist.pk]),
                                                table_post(rows, name="评分细则"), **EN)
    assert response.status_code == 400
    page = body(response)
    assert by_id(page, "form-error") == message
    assert 'value="主干道无垃圾积存"' in page  # the table comes back as it was sent
    assert services.checklist_current(campaign_get(), services.DEFAULT_KEY).pk == county_checklist.pk
    assert AuditEvent.objects.count() == events


def test_rows_pasted_from_excel_are_added(users, client_for, county_checklist):
    paste = "分类\t内容\t分值\t权重\t关键\t可不适用\t问题类别\n污水治理\t污水设施运行正常\t5\t\t是\t1\t污水治理\n"
    response = client_for(users["office"]).post(reverse("checklist_edit", args=[county_checklist.pk]),
                                                table_post(ITEMS[:1], name="评分细则", paste=paste, active="on"))
    assert response.status_code == 302
    latest = services.checklist_current(campaign_get(), services.DEFAULT_KEY)
    assert [(i.text, i.max_points, i.weight, i.critical, i.allow_na, i.category.code)
            for i in latest.items.select_related("category")] == [
        ("主干道无垃圾积存", 10.0, 1.0, False, False, "garbage"), ("污水设施运行正常", 5.0, 1.0, True, True, "sewage")]


# Inspections -------------------------------------------------------------------------------------------


def test_the_inspection_list_counts_the_weeks_inspections(users, client_for, inspected):
    client = client_for(users["office"])
    page = body(client.get(reverse("inspection_list"), {"week": WEEK, "town": XIQUAN}, **EN))
    assert by_id(page, "count-inspections") == "3"
    assert by_id(page, "count-villages") == "2"
    assert by_id(page, "mean-score") == "82.5"  # (100 + 87.5 + 60) / 3
    assert by_id(page, "count-critical") == "1"
    table = page.split('id="inspections"', 1)[1].split("</table>", 1)[0]
    rows = {int(i): [text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for i, row in re.findall(r'<tr data-id="(\d+)">(.*?)</tr>', table, re.S)}
    assert list(rows) == [inspected[k].pk for k in ("failed", "partial", "full")]  # newest first
    # The inspector by name and role (the office's account here, linked to its person).
    office, version = actor_display(users["office"], ""), f"评分细则 v{inspected['partial'].checklist.version}"
    counted = "yes" if inspected["partial"].counts else "no"
    assert rows[inspected["partial"].pk] == ["2024-05-15 10:00", "大水䃎村", "喜泉镇", office, version, "87.50", "—",
                                             counted, "1"]
    assert rows[inspected["failed"].pk] == ["2024-05-15 11:00", inspected["other"].name, "喜泉镇", office, version,
                                            "60 critical", "—", counted, "0"]
    one_village = body(client.get(reverse("inspection_list"), {"week": WEEK, "village": DASHUIZHE}, **EN))
    assert (by_id(one_village, "count-inspections"), by_id(one_village, "mean-score")) == ("2", "93.8")
    # The township sees its inspections; the inspector of 一条山镇 none of them.
    town_page = body(client_for(users["town_staff"]).get(reverse("inspection_list"), {"week": WEEK}))
    assert by_id(town_page, "count-inspections") == "3"
    inspector_page = body(client_for(users["inspector"]).get(reverse("inspection_list"), {"week": WEEK}))
    assert (by_id(inspector_page, "count-inspections"), by_id(inspector_page, "mean-score")) == ("0", "—")


def test_the_list_defaults_to_this_week(users, client_for, inspected):
    this_week = services.weeks.week_of(timezone.localdate())
    page = body(client_for(users["office"]).get(reverse("inspection_list"), **EN))
    assert f"Inspections, week {this_week}" in page
    assert by_id(page, "count-inspections") == str(Inspection.objects.filter(week=this_week).count())
    assert str(inspected["full"].pk) not in re.findall(r'<tr data-id="(\d+)">', page)


def test_the_inspection_detail_shows_scores_photos_and_problems(users, client_for, inspected):
    partial = inspected["partial"]
    problem = Problem.objects.get(inspection=partial)
    page = body(client_for(users["village_staff"]).get(reverse("inspection_detail", args=[partial.pk]), **EN))
    assert by_id(page, "score") == "87.50"
    assert by_id(page, "note") == "村口垃圾未清运"
    scores = {m.group(1): text_of(m.group(2)) for m in re.finditer(r'<tr data-item="(\d+)"[^>]*>(.*?)</tr>', page,
                                                                    re.S)}
    assert scores["1"].split() == ["主干道无垃圾积存", "5", "10"]
    assert scores["3"].split() == ["公厕干净卫生", "N/A", "10"]
    assert scores["2"].split() == ["无生活污水直排", "critical", "10", "10"]
    assert reverse("problem_detail", args=[problem.pk]) in page and "村口垃圾堆积" in page
    photo = inspected["photo"].pk
    assert f'href="{reverse("photo_display", args=[photo])}"><img src="{reverse("photo_thumb", args=[photo])}"' in page
    assert "± 8 m" in by_id(page, "position") and by_id(page, "distance").startswith("0 m")
    assert reverse("checklist_detail", args=[partial.checklist_id]) in page
    failed = body(client_for(users["office"]).get(reverse("inspection_detail", args=[inspected["failed"].pk]), **EN))
    assert by_id(failed, "critical") == "A critical item failed: the score is capped at 60."
    assert 'class="failed"' in failed


def test_an_inspection_outside_the_area_is_not_found(users, client_for, inspected):
    assert client_for(users["inspector"]).get(reverse("inspection_detail",
                                                      args=[inspected["full"].pk])).status_code == 404
    assert client_for(users["town_staff"]).get(reverse("inspection_detail",
                                                       args=[inspected["full"].pk])).status_code == 200
