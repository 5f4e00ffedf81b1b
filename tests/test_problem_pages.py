"""The problem pages (案卷) and the notifications page: the list with its tabs, filters, counts and export, the
report form, a problem's page with its photos side by side and its timeline, every transition through the
pages, the refusals, the area rules (404 outside one's area), and reading notifications."""

import csv
import html
import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from dudao.campaigns.services import campaign_get
from dudao.exposure.models import Item as ExposureItem
from dudao.notifications.models import Notification
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos import services as photo_services
from dudao.photos.models import Photo
from dudao.problems import services
from dudao.problems.models import Problem, ProblemEvent

XIQUAN = "620423103000"  # 喜泉镇, demo_town's township
YITIAOSHAN = "620423100000"  # 一条山镇, the inspector's township
DASHUIZHE = "620423103200"  # 大水䃎村, demo_village's village (in 喜泉镇)
SHUIYUAN = "620423100200"  # 水源村 in 一条山镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def jpeg(color=(180, 60, 40), size=(96, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(name: str = "photo.jpg", data: bytes | None = None, content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type=content_type)


def text(response) -> str:
    return html.unescape(response.content.decode())


def row_pks(response) -> set[int]:
    table = text(response).split('<table id="problems">')[1].split("</table>")[0]
    return {int(pk) for pk in re.findall(r'data-pk="(\d+)"', table)}


def tab_counts(response) -> dict[str, int]:
    return {name: int(n) for name, n in
            re.findall(r'data-tab="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', text(response))}


def facet(response, key: str) -> dict[str, int]:
    return {code: int(n) for code, n in
            re.findall(rf'data-{key}="(\w+)"[^>]*>[^<]*</a> <span class="count">(\d+)</span>', text(response))}


def flashes(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash (?:\w+ )?\w*" role="status">([^<]*)</p>',
                                                 response.content.decode())]


def timeline(response) -> list[str]:
    part = text(response).split('<ol class="timeline" id="timeline">')[1].split("</ol>")[0]
    return re.findall(r'data-transition="(\w+)"', part)


def point(village: Unit, step: int = 0) -> tuple[float, float]:
    """A position inside the village, ``step`` × ~220 m north of its point (so no two problems look alike)."""
    lon, lat = unit_point_wgs84(village)
    return lat + 0.002 * step, lon


@pytest.fixture
def world(db, users, media):
    """No problems or notifications but the test's own; the default categories; handy units."""
    ExposureItem.objects.all().delete()  # the demo's exposure item keeps its problem
    Problem.objects.all().delete()
    Notification.objects.all().delete()
    campaign = campaign_get()
    categories = {c.code: c for c in services.categories_ensure(campaign)}
    other = (Unit.objects.filter(parent__code=XIQUAN, level="village").exclude(code=DASHUIZHE).order_by("code")
             .first())

    class World:
        pass

    w = World()
    w.campaign, w.categories, w.users = campaign, categories, users
    w.dashuizhe = Unit.objects.get(code=DASHUIZHE)
    w.other = other
    w.shuiyuan = Unit.objects.get(code=SHUIYUAN)

    def photo(actor, village, step=0):
        lat, lon = point(village, step)
        return photo_services.photo_upload(actor=actor, campaign=campaign, village=village, data=jpeg(), lat=lat,
                                           lon=lon).pk

    def report(actor, village, category, step=0, description="Rubbish heaped by the road"):
        lat, lon = point(village, step)
        return services.problem_report(actor=actor, campaign=campaign, village=village,
                                       category=categories[category], description=description, lat=lat, lon=lon,
                                       photo_ids=[photo(actor, village, step)])

    w.photo, w.report = photo, report
    return w


@pytest.fixture
def client_en(client_for):
    def make(user):
        client = client_for(user)
        client.defaults.update(EN)
        return client

    return make


@pytest.fixture
def five(world):
    """a: dispatched at 大水䃎村; b: rectified at 大水䃎村; c: overdue at another 喜泉镇 village; d: dispatched at
    水源村 (一条山镇, by the inspector); e: reported by the village, waiting to be registered."""
    u = world.users
    a = world.report(u["office"], world.dashuizhe, "garbage", 0)
    b = world.report(u["office"], world.dashuizhe, "sewage", 1, description="Grey water in the lane")
    services.problem_rectify(actor=u["village_staff"], problem=b, photo_ids=[world.photo(u["village_staff"],
                                                                                         world.dashuizhe, 1)])
    c = world.report(u["office"], world.other, "garbage", 0)
    Problem.objects.filter(pk=c.pk).update(deadline=timezone.now() - timezone.timedelta(hours=2))
    d = world.report(u["inspector"], world.shuiyuan, "toilet", 0)
    e = world.report(u["village_staff"], world.dashuizhe, "stacking", 2)
    return {name: Problem.objects.get(pk=p.pk) for name, p in zip("abcde", (a, b, c, d, e), strict=True)}


# The list -------------------------------------------------------------------------------------------


def test_the_setup_is_what_the_list_tests_assume(five):
    assert {k: p.status for k, p in five.items()} == {
        "a": "dispatched", "b": "rectified", "c": "dispatched", "d": "dispatched", "e": "reported"}


def test_office_list_tabs_counts_and_filters(five, users, client_en):
    office = client_en(users["office"])
    pk = {k: p.pk for k, p in five.items()}

    mine = office.get("/problems/")
    assert mine.status_code == 200
    assert row_pks(mine) == {pk["b"], pk["e"]}  # waiting for the office: reported, registered, rectified, verified
    assert tab_counts(mine) == {"mine": 2, "all": 5, "overdue": 1}
    assert 'aria-current="page">My tasks' in text(mine)

    everything = office.get("/problems/?tab=all")
    assert row_pks(everything) == set(pk.values())
    assert "5 problems." in text(everything)
    assert facet(everything, "status") == {"dispatched": 3, "rectified": 1, "reported": 1}
    assert facet(everything, "category") == {"garbage": 2, "sewage": 1, "toilet": 1, "stacking": 1}
    assert facet(everything, "town") == {XIQUAN: 4, YITIAOSHAN: 1}
    assert "1 overdue" in text(everything)
    # The counts link to the filtered list.
    assert 'href="?tab=all&amp;status=dispatched" data-status="dispatched"' in everything.content.decode()

    def rows(query):
        return row_pks(office.get(f"/problems/?tab=all&{query}"))

    assert rows("status=dispatched") == {pk["a"], pk["c"], pk["d"]}
    assert rows(f"town={XIQUAN}") == {pk["a"], pk["b"], pk["c"], pk["e"]}
    assert rows(f"village={DASHUIZHE}") == {pk["a"], pk["b"], pk["e"]}
    assert rows("category=garbage") == {pk["a"], pk["c"]}
    assert rows(f"town={XIQUAN}&category=garbage&status=dispatched") == {pk["a"], pk["c"]}
    assert rows("q=Grey water") == {pk["b"]}
    assert rows("q=大水") == {pk["a"], pk["b"], pk["e"]}
    assert rows("status=closed") == set()
    assert rows("status=nonsense") == set(pk.values())  # an unknown status filters nothing

    overdue = office.get("/problems/?tab=overdue")
    assert row_pks(overdue) == {pk["c"]}
    assert 'class="tag overdue">overdue</span>' in text(overdue)
    filtered = office.get(f"/problems/?tab=overdue&town={YITIAOSHAN}")
    assert row_pks(filtered) == set()
    assert tab_counts(filtered) == {"mine": 0, "all": 1, "overdue": 0}


def test_each_role_sees_its_own_tasks_and_area(five, users, client_en):
    pk = {k: p.pk for k, p in five.items()}

    village = client_en(users["village_staff"])
    assert row_pks(village.get("/problems/")) == {pk["a"]}  # dispatched to the village
    assert row_pks(village.get("/problems/?tab=all")) == {pk["a"], pk["b"], pk["e"]}
    assert tab_counts(village.get("/problems/")) == {"mine": 1, "all": 3, "overdue": 0}

    town = client_en(users["town_staff"])
    assert row_pks(town.get("/problems/")) == {pk["b"], pk["e"]}  # to verify, to register
    assert row_pks(town.get("/problems/?tab=overdue")) == {pk["c"]}
    assert facet(town.get("/problems/?tab=all"), "status") == {"dispatched": 2, "rectified": 1, "reported": 1}
    assert facet(town.get("/problems/?tab=all"), "village") == {DASHUIZHE: 3, five["c"].village.code: 1}
    assert row_pks(town.get(f"/problems/?tab=all&village={five['c'].village.code}")) == {pk["c"]}
    # The office sees villages counted once it picks a township.
    office = client_en(users["office"])
    assert facet(office.get("/problems/?tab=all"), "village") == {}
    assert facet(office.get(f"/problems/?tab=all&town={YITIAOSHAN}"), "village") == {SHUIYUAN: 1}

    inspector = client_en(users["inspector"])
    assert row_pks(inspector.get("/problems/")) == set()
    assert "Nothing waits for you." in text(inspector.get("/problems/"))
    assert row_pks(inspector.get("/problems/?tab=all")) == {pk["d"]}

    leader = client_en(users["leader"])
    page = leader.get("/problems/")
    assert row_pks(page) == set(pk.values())  # leaders have no tasks: they start on the whole list
    assert tab_counts(page) == {"all": 5, "overdue": 1}
    assert row_pks(leader.get("/problems/?tab=mine")) == set(pk.values())
    assert 'id="report-link"' not in text(page)


def test_list_rows_show_number_category_village_status_deadline_and_rework(five, users, client_en):
    c = five["c"]
    Problem.objects.filter(pk=c.pk).update(rework_count=2)
    page = text(client_en(users["office"]).get("/problems/?tab=all"))
    row = re.search(rf'<tr data-pk="{c.pk}" data-status="dispatched" class="overdue">(.*?)</tr>', page, re.S).group(1)
    deadline = timezone.localtime(Problem.objects.get(pk=c.pk).deadline)
    assert f'<a href="/problems/{c.pk}/" class="number">{c.number}</a>' in row
    assert "垃圾治理" in row and c.village.name in row and "喜泉镇" in row
    assert '<span class="badge st-dispatched">dispatched</span>' in row
    assert f"{deadline:%m-%d %H:%M}</span> <span class=\"tag overdue\">overdue</span>" in row
    assert '<td class="num rework" data-label="rework">2</td>' in row


def test_list_is_paginated(world, users, client_en):
    for step in range(51):
        world.report(users["office"], world.dashuizhe, "garbage", step % 3, description=f"heap {step}")
    office = client_en(users["office"])
    first = office.get("/problems/?tab=all")
    assert len(row_pks(first)) == 50 and "page 1 of 2" in text(first)
    second = office.get("/problems/?tab=all&page=2")
    assert len(row_pks(second)) == 1
    assert row_pks(first).isdisjoint(row_pks(second))


def test_export_follows_the_filters(five, users, client_en):
    office = client_en(users["office"])
    response = office.get(f"/problems/export.csv?tab=all&town={XIQUAN}&status=dispatched")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="problems.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["number", "status", "category", "township", "village"]
    assert sorted(r[0] for r in rows[1:]) == sorted([five["a"].number, five["c"].number])
    overdue = {r[0]: r[9] for r in rows[1:]}
    assert overdue == {five["a"].number: "", five["c"].number: "yes"}
    xlsx = office.get("/problems/export.xlsx?tab=overdue")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert office.get("/problems/export.pdf").status_code == 404
    # The village's export holds the village's problems only.
    village_rows = client_en(users["village_staff"]).get("/problems/export.csv?tab=all").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(village_rows)))) == 1 + 3


def test_export_csv_keeps_category_names_from_becoming_formulas(five, users, client_en):
    """A category named like a formula (as one could be before names were checked) is text in the CSV."""
    five["a"].category.__class__.objects.filter(pk=five["a"].category_id).update(name='=HYPERLINK("http://x","y")')
    response = client_en(users["office"]).get(f"/problems/export.csv?tab=all&town={XIQUAN}&status=dispatched")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r[0]: r[2] for r in rows[1:]}[five["a"].number] == "'=HYPERLINK(\"http://x\",\"y\")"


# Reporting ------------------------------------------------------------------------------------------


def report_form(world, village: Unit | None = None, **overrides):
    lat, lon = point(village or world.dashuizhe, 3)
    data = {"village": (village or world.dashuizhe).code, "category": "garbage", "source": "office",
            "description": "Plastic bags in the ditch", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "accuracy_m": "12",
            "client_key": uuid.uuid4().hex, "photos": [upload()]}
    data.update(overrides)
    return data


def test_report_form_offers_the_villages_the_user_may_report_at(world, users, client_en):
    page = text(client_en(users["village_staff"]).get("/problems/new/"))
    options = re.findall(r'<option value="(\d{12})"', page)
    assert options == [DASHUIZHE]
    assert re.findall(r'<option value="(\w+)"[^>]*>[^<]*</option>', page.split('name="source"')[1].split("</select>")[0]
                      ) == ["grid", "cleaner"]
    assert 'accept="image/*"' in page and 'capture="environment"' in page and "multiple" in page
    assert '<script src="/static/dudao/problems/position.js" defer></script>' in page  # the device's position
    town_options = re.findall(r'<option value="(\d{12})"', text(client_en(users["town_staff"]).get("/problems/new/")))
    assert DASHUIZHE in town_options and all(code.startswith("620423103") for code in town_options)
    office_page = text(client_en(users["office"]).get("/problems/new/"))
    assert '<optgroup label="喜泉镇">' in office_page and '<optgroup label="一条山镇">' in office_page
    assert client_en(users["leader"]).get("/problems/new/").status_code == 403


def test_office_reports_through_the_form_and_the_problem_is_dispatched(world, users, client_en):
    office = client_en(users["office"])
    data = report_form(world)
    photos = Photo.objects.count()
    response = office.post("/problems/new/", data)
    assert response.status_code == 303
    problem = Problem.objects.get()
    assert response["Location"] == f"/problems/{problem.pk}/"
    assert (problem.status, problem.village.code, problem.category.code, problem.source) == (
        "dispatched", DASHUIZHE, "garbage", "office")
    assert (round(problem.lat, 6), round(problem.lon, 6), problem.accuracy_m) == (
        round(float(data["lat"]), 6), round(float(data["lon"]), 6), 12.0)
    assert problem.problem_photos.filter(kind="before").count() == 1
    assert problem.deadline is not None
    # Sent twice (a double tap): the same problem, nothing stored twice.
    again = office.post("/problems/new/", {**data, "photos": [upload()]})
    assert again["Location"] == f"/problems/{problem.pk}/"
    assert Problem.objects.count() == 1 and Photo.objects.count() == photos + 1
    page = office.get(response["Location"])
    assert f"Problem {problem.number} reported: dispatched." in flashes(page)
    # The village and its township are told at once.
    told = Notification.objects.filter(kind="problem_dispatched", link=f"/problems/{problem.pk}/")
    assert sorted(n.recipient.username for n in told) == ["demo_town", "demo_village"]


def test_a_village_report_waits_to_be_registered(world, users, client_en):
    response = client_en(users["village_staff"]).post("/problems/new/", report_form(world, source="cleaner"))
    assert response.status_code == 303
    problem = Problem.objects.get()
    assert (problem.status, problem.source, problem.reported_by.username) == ("reported", "cleaner", "demo_village")


def test_a_bad_second_photo_leaves_no_photo_row_and_no_file(world, users, client_en, media):
    """The first photo is fine, the second is not a picture: the report is refused as a whole."""
    photos_before = Photo.objects.count()
    files_before = media.names()
    form = report_form(world, photos=[upload(), upload("second.jpg", b"<html>not a picture</html>")])
    response = client_en(users["office"]).post("/problems/new/", form)
    assert response.status_code == 400
    assert (Problem.objects.count(), Photo.objects.count()) == (0, photos_before)
    assert media.names() == files_before


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"description": "  "}, "description", "Describe the problem."),
    ({"photos": [upload("notes.jpg", b"this is not a picture", "image/jpeg")]}, "photos",
     "The file is not a photo (JPEG, PNG or WebP), whatever its name says."),
    ({"lat": "10.5", "lon": "10.5"}, "position", "The position 10.50000, 10.50000 lies outside the county."),
    ({"lat": "37.1", "lon": ""}, "position", "Give both the latitude and the longitude, or neither."),
    ({"lat": "", "lon": ""}, "photos", "The photo has no location, and the phone sent none: turn on location (GPS) "
                                       "and take the photo again."),
    ({"category": "nonsense"}, "category", "Select a valid choice."),
    ({"source": "drone"}, "source", "Select a valid choice."),
])
def test_report_refusals_are_shown_at_their_field_and_nothing_is_written(world, users, client_en, overrides, field,
                                                                          message):
    photos_before = Photo.objects.count()
    response = client_en(users["office"]).post("/problems/new/", report_form(world, **overrides))
    assert response.status_code == 400
    page = text(response)
    if field == "position":
        assert re.search(r'<small class="error" role="alert">([^<]*)</small>', page).group(1).startswith(message)
    else:
        assert re.search(rf'id="error-{field}" role="alert">([^<]*)</small>', page).group(1).startswith(message)
    assert Problem.objects.count() == 0
    assert Photo.objects.count() == photos_before
    if field != "description":
        assert "Plastic bags in the ditch</textarea>" in page  # what was typed is kept


def test_a_refused_photo_makes_the_next_attempt_a_new_report(world, users, client_en):
    data = report_form(world, photos=[upload("good.jpg"), upload("bad.jpg", b"GIF89a broken", "image/gif")])
    response = client_en(users["office"]).post("/problems/new/", data)
    assert response.status_code == 400
    page = text(response)
    assert "The file is not a photo" in page.split('id="error-photos"')[1]
    key = re.search(r'name="client_key" value="(\w+)"', page).group(1)
    assert key != data["client_key"]  # the good photo just stored is not reused for whatever comes next
    assert Problem.objects.count() == 0


def test_report_for_a_village_outside_the_area_is_refused(world, users, client_en):
    response = client_en(users["town_staff"]).post("/problems/new/", report_form(world, village=world.shuiyuan))
    assert response.status_code == 400
    assert "Select a valid choice." in text(response)
    assert Problem.objects.count() == 0


# One problem and its loop ---------------------------------------------------------------------------


def post(client, problem, transition, **data):
    return client.post(f"/problems/{problem.pk}/{transition}/", data, follow=True)


def rectify_data(world, village=None, **extra):
    lat, lon = point(village or world.dashuizhe, 0)
    return {"photos": [upload("after.jpg", jpeg((40, 160, 60)))], "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
            "accuracy_m": "9", **extra}


def test_the_closed_loop_through_the_pages(world, users, client_en):
    office, village, town = (client_en(users[r]) for r in ("office", "village_staff", "town_staff"))
    office.post("/problems/new/", report_form(world))
    problem = Problem.objects.get()

    page = village.get(f"/problems/{problem.pk}/")
    assert re.findall(r'id="action-(\w+)"', text(page)) == ["rectify"]
    assert 'name="photos" accept="image/*" capture="environment" multiple required' in text(page)
    response = post(village, problem, "rectify", **rectify_data(world), note="Cleared and swept")
    assert response.redirect_chain == [(f"/problems/{problem.pk}/", 303)]
    assert f"Problem {problem.number}: rectified." in flashes(response)
    problem.refresh_from_db()
    assert (problem.status, problem.rectified_by.username) == ("rectified", "demo_village")
    before = list(problem.problem_photos.filter(kind="before").values_list("photo_id", flat=True))
    after = list(problem.problem_photos.filter(kind="after").values_list("photo_id", flat=True))
    assert len(before) == 1 and len(after) == 1
    assert "action-verify" not in text(response)  # the rectifier does not verify

    page = text(town.get(f"/problems/{problem.pk}/"))
    assert re.findall(r'id="action-(\w+)"', page) == ["verify", "return"]
    compare = page.split('id="action-verify"')[1].split("</form>")[0]
    halves = compare.split('<div class="pair compare">')[1].split("<h3>After</h3>")
    assert f"/photos/{before[0]}-thumb.jpg" in halves[0] and f"/photos/{after[0]}-thumb.jpg" in halves[1]
    assert compare.index('class="pair compare"') < compare.index('<button type="submit"')
    response = post(town, problem, "verify", note="Checked on the spot")
    assert f"Problem {problem.number}: verified." in flashes(response)

    response = post(office, problem, "close")
    assert f"Problem {problem.number}: closed." in flashes(response)
    problem.refresh_from_db()
    assert problem.status == "closed"
    assert "Your next step" not in text(response)
    assert timeline(response) == ["report", "register", "dispatch", "rectify", "verify", "close"]
    steps = text(response).split('<ol class="timeline" id="timeline">')[1]
    rectified = steps.split('data-transition="rectify"')[1].split("</li>")[0]
    assert "Rectified" in rectified and "演示村" in rectified and "dispatched → rectified" in rectified
    assert "Cleared and swept" in rectified and f"/photos/{after[0]}-thumb.jpg" in rectified
    at = timezone.localtime(ProblemEvent.objects.get(problem=problem, transition="rectify").at)
    assert f"{at:%Y-%m-%d %H:%M}</time>" in rectified


def test_register_dispatch_return_rework_and_cancel_through_the_pages(world, users, client_en):
    office, village, town = (client_en(users[r]) for r in ("office", "village_staff", "town_staff"))
    village.post("/problems/new/", report_form(world, source="grid"))
    problem = Problem.objects.get()
    assert re.findall(r'id="action-(\w+)"', text(town.get(f"/problems/{problem.pk}/"))) == ["register", "cancel"]
    assert "registered" in flashes(post(town, problem, "register"))[0]
    assert "dispatched" in flashes(post(town, problem, "dispatch"))[0]
    post(village, problem, "rectify", **rectify_data(world))
    response = post(town, problem, "return", note="The heap is still behind the wall")
    assert f"Problem {problem.number}: returned for rework." in flashes(response)
    problem.refresh_from_db()
    assert (problem.status, problem.rework_count) == ("returned", 1)
    assert "returned 1 time" in text(response)
    post(village, problem, "rectify", **rectify_data(world))
    post(town, problem, "verify")
    problem.refresh_from_db()
    assert (problem.status, problem.rework_count) == ("verified", 1)
    assert problem.problem_photos.filter(kind="after").count() == 2
    assert timeline(office.get(f"/problems/{problem.pk}/")) == [
        "report", "register", "dispatch", "rectify", "return", "rectify", "verify"]

    second = world.report(users["office"], world.other, "posting", 0)
    response = post(office, second, "cancel", note="Not in the village: the county road's verge")
    assert f"Problem {second.number}: cancelled." in flashes(response)
    assert Problem.objects.get(pk=second.pk).status == "cancelled"


def test_refusals_are_shown_as_messages(world, users, client_en):
    office, village, town = (client_en(users[r]) for r in ("office", "village_staff", "town_staff"))
    problem = world.report(users["office"], world.dashuizhe, "garbage")
    photos = Photo.objects.count()

    response = post(village, problem, "rectify", note="done")
    assert response.redirect_chain == [(f"/problems/{problem.pk}/", 303)]
    assert flashes(response) == ["Rectification needs at least one photo of the result."]
    response = post(village, problem, "rectify", photos=[upload("x.jpg", b"\x00" * 100)])
    assert flashes(response) == ["The file is not a photo (JPEG, PNG or WebP), whatever its name says."]
    response = post(office, problem, "close")
    assert flashes(response) == [f"Problem {problem.number} is dispatched: it cannot be closed."]
    response = post(office, problem, "cancel", note="  ")
    assert flashes(response) == ["Give the reason."]
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"
    assert Photo.objects.count() == photos

    # The township rectifies on the village's behalf: then it may not verify its own work.
    post(town, problem, "rectify", **rectify_data(world))
    assert Problem.objects.get(pk=problem.pk).status == "rectified"
    page = town.get(f"/problems/{problem.pk}/")
    assert "action-verify" not in text(page) and "action-return" not in text(page)
    response = post(town, problem, "verify")
    assert flashes(response) == ["You rectified this problem: someone else must verify it."]
    # A repeated rectification is refused before anything is stored.
    photos = Photo.objects.count()
    response = post(village, problem, "rectify", **rectify_data(world))
    assert flashes(response) == [f"Problem {problem.number} is rectified: it cannot be rectified."]
    assert Photo.objects.count() == photos
    assert Problem.objects.get(pk=problem.pk).status == "rectified"

    assert office.post(f"/problems/{problem.pk}/approve/").status_code == 404
    assert office.get(f"/problems/{problem.pk}/verify/").status_code == 405


def test_outside_the_area_is_not_found(world, users, client_en):
    problem = world.report(users["office"], world.dashuizhe, "garbage")
    elsewhere = world.report(users["office"], world.other, "garbage")
    inspector = client_en(users["inspector"])
    assert inspector.get(f"/problems/{problem.pk}/").status_code == 404
    assert inspector.post(f"/problems/{problem.pk}/cancel/", {"note": "x"}).status_code == 404
    village = client_en(users["village_staff"])
    assert village.get(f"/problems/{elsewhere.pk}/").status_code == 404
    assert village.post(f"/problems/{elsewhere.pk}/rectify/", rectify_data(world, world.other)).status_code == 404
    assert village.get("/problems/999999/").status_code == 404
    assert Problem.objects.get(pk=elsewhere.pk).status == "dispatched"
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"
    # The duplicate link shows only a problem the reader may see.
    assert client_en(users["office"]).get(f"/problems/{problem.pk}/").status_code == 200


def test_leader_reads_but_has_no_actions(world, users, client_en):
    problem = world.report(users["office"], world.dashuizhe, "garbage")
    leader = client_en(users["leader"])
    page = leader.get(f"/problems/{problem.pk}/")
    assert page.status_code == 200
    assert problem.number in text(page) and 'id="action-' not in text(page)
    assert timeline(page) == ["report", "register", "dispatch"]
    assert leader.post(f"/problems/{problem.pk}/cancel/", {"note": "no"}).status_code == 403
    assert Problem.objects.get(pk=problem.pk).status == "dispatched"


def test_detail_shows_the_facts_photos_side_by_side_and_a_possible_duplicate(world, users, client_en):
    first = world.report(users["office"], world.dashuizhe, "garbage")
    second = world.report(users["village_staff"], world.dashuizhe, "garbage")  # the same spot, within 72 hours
    assert second.possible_duplicate_of_id == first.pk and second.status == "reported"
    page = text(client_en(users["town_staff"]).get(f"/problems/{second.pk}/"))
    assert f'<a href="/problems/{first.pk}/">{first.number}</a>' in page.split('id="problem-duplicate"')[1]
    lat, lon = point(world.dashuizhe)
    assert f"{lat:.6f}, {lon:.6f}" in page.split('id="problem-position"')[1].split("</dd>")[0]
    assert "set when dispatched" in page
    photo = second.problem_photos.get().photo_id
    pair = page.split('<div class="pair">')[1].split("</section>")[0]
    assert f'<a href="/photos/{photo}.jpg" data-photo="{photo}"><img src="/photos/{photo}-thumb.jpg"' in \
        pair.split('id="photos-after"')[0]
    assert "No photo." in pair.split('id="photos-after"')[1]
    main = page.split("<main")[1]  # the navigation has the county map; the problem itself links no web map
    assert "Map" not in main and "https://" not in main
    # The thumbnails load for a reader of the village.
    assert client_en(users["town_staff"]).get(f"/photos/{photo}-thumb.jpg").status_code == 200


# Notifications --------------------------------------------------------------------------------------


def test_notifications_list_open_and_mark_all_read(world, users, client_en):
    first = world.report(users["office"], world.dashuizhe, "garbage")
    second = world.report(users["office"], world.dashuizhe, "sewage", 1)
    village = client_en(users["village_staff"])
    page = village.get("/notifications/")
    assert page.status_code == 200
    assert page.context["unread_notifications"] == 2 and page.context["can_report_problems"] is True
    body = text(page)
    deadline = timezone.localtime(Problem.objects.get(pk=first.pk).deadline)
    assert f"Problem {first.number} to rectify by {deadline:%Y-%m-%d %H:%M}" in body
    assert "垃圾治理 at 大水䃎村: Rubbish heaped by the road" in body
    assert body.count('class="unread"') == 2 and "2 unread." in body

    mine = Notification.objects.get(recipient=users["village_staff"], link=f"/problems/{first.pk}/")
    assert f'<form method="post" action="/notifications/{mine.pk}/">' in body
    # A GET (a link previewer, a prefetch) goes to the problem but does not mark the notification read.
    peeked = village.get(f"/notifications/{mine.pk}/")
    assert (peeked.status_code, peeked["Location"]) == (302, f"/problems/{first.pk}/")
    mine.refresh_from_db()
    assert mine.read_at is None
    opened = village.post(f"/notifications/{mine.pk}/")
    assert (opened.status_code, opened["Location"]) == (303, f"/problems/{first.pk}/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client_en(users["town_staff"]).get(f"/notifications/{mine.pk}/").status_code == 404
    assert client_en(users["town_staff"]).post(f"/notifications/{mine.pk}/").status_code == 404
    assert village.put(f"/notifications/{mine.pk}/").status_code == 405

    page = village.get("/notifications/")
    assert text(page).count('class="unread"') == 1 and page.context["unread_notifications"] == 1
    response = village.post("/notifications/")
    assert (response.status_code, response["Location"]) == (303, "/notifications/")
    assert Notification.objects.filter(recipient=users["village_staff"], read_at__isnull=True).count() == 0
    # The township's own notifications are untouched.
    town_unread = Notification.objects.filter(recipient=users["town_staff"], read_at__isnull=True)
    assert sorted(n.link for n in town_unread) == sorted([f"/problems/{first.pk}/", f"/problems/{second.pk}/"])
    assert "No notifications." in text(client_en(users["leader"]).get("/notifications/"))
    assert client_en(users["leader"]).get("/notifications/").context["can_report_problems"] is False
