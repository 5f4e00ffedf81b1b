"""The drone pages: the office's weeks, the batch upload page, the keyboard review, placing by hand, one photo and
the week's coverage; who may open which, and the exact counts for photos stored here through
dudao.drone.services.ingest (JPEGs made with Pillow, with EXIF GPS at the demo villages' points)."""

import datetime as dt
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.drone import services
from dudao.drone.models import Batch, DronePhoto
from dudao.org.models import Level, Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.ranking.models import Entry, Round

SHUIYUAN = "620423100200"  # 水源村, 一条山镇
SHIMEN = "620423100201"  # 石门村, 一条山镇
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇 (demo_town's and demo_village's area)
YITIAOSHAN = "620423100000"
XIQUAN = "620423103000"
# No demo round and no demo drone batch lies this far back.
WEEK = weeks.add_weeks(weeks.week_of(timezone.localdate()), -24)
OTHER_WEEK = weeks.add_weeks(WEEK, -1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OFFICE_PAGES = ["/drone/", f"/drone/upload/?week={WEEK}", f"/drone/review/?week={WEEK}",
                f"/drone/unplaced/?week={WEEK}"]


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def aerial_jpeg(code: str | None, seed: int, week: str = WEEK) -> bytes:
    """A drone JPEG taken on the Wednesday of ``week`` at 10:00, over the village's point (no GPS for None)."""
    image = Image.new("RGB", (640, 480), (150, 160, 110))
    ImageDraw.Draw(image).rectangle((seed * 13 % 400, 40, seed * 13 % 400 + 120, 200), fill=(180, 60 + seed, 50))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    moment = dt.datetime.combine(weeks.week_start(week) + dt.timedelta(days=2), dt.time(10))
    exif.get_ifd(0x8769)[0x9003] = f"{moment:%Y:%m:%d %H:%M:%S}"
    if code is not None:
        lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _placed_by_points(villages_by_their_points):
    """These tests place photos by the villages' points (tests/conftest.py)."""


@pytest.fixture
def office(users, client_for) -> Client:
    return client_for(users["office"])


@pytest.fixture
def flown(users, media) -> dict[str, DronePhoto]:
    """A batch of WEEK: two photos over 水源村, one over 石门村, one without GPS and one over 大水䃎村 taken the
    week before (outside the batch's week)."""
    office = users["office"]
    batch = services.batch_create(actor=office, campaign=campaign_get(), week=WEEK, name="pages")
    photos = {}
    for name, code, seed, week in [("a", SHUIYUAN, 1, WEEK), ("b", SHUIYUAN, 2, WEEK), ("c", SHIMEN, 3, WEEK),
                                   ("nogps", None, 4, WEEK), ("late", DASHUI, 5, OTHER_WEEK)]:
        photo, duplicate = services.ingest(actor=office, batch=batch, data=aerial_jpeg(code, seed, week),
                                           filename=f"DJI_{seed:04d}.JPG")
        assert not duplicate
        photos[name] = photo
    return photos


def config(response, name: str) -> dict:
    match = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, name
    return json.loads(match.group(1))


def village_count() -> int:
    county = campaign_get().county
    return Unit.objects.filter(level__in=[Level.VILLAGE, Level.COMMUNITY], active=True,
                               path__startswith=county.path).count()


# Who may open what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", OFFICE_PAGES)
def test_office_pages_open_for_the_office_and_the_county_admin(users, client_for, flown, path):
    for role in ("office", "county_admin"):
        assert client_for(users[role]).get(path).status_code == 200, role


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_office_pages_are_forbidden_to_everyone_else(users, client_for, flown, role):
    client = client_for(users[role])
    for path in OFFICE_PAGES + [f"/drone/upload/?batch={flown['a'].batch_id}&part=table"]:
        assert client.get(path).status_code == 403, path
    before = (Batch.objects.count(), AuditEvent.objects.count())
    assert client.post("/drone/upload/", {"week": WEEK}).status_code == 403
    assert client.post(f"/drone/unplaced/?week={WEEK}",
                       {"photo": flown["nogps"].pk, "village": SHIMEN}).status_code == 403
    assert (Batch.objects.count(), AuditEvent.objects.count()) == before
    assert DronePhoto.objects.get(pk=flown["nogps"].pk).village is None


@pytest.mark.parametrize("path", ["/drone/", "/drone/upload/", "/drone/review/", "/drone/unplaced/",
                                  "/drone/coverage/", "/drone/photos/1/"])
def test_anonymous_visitors_are_sent_to_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_photo_page_follows_the_photo_s_area(users, client_for, flown):
    a, late, nogps = flown["a"], flown["late"], flown["nogps"]
    for role in ("office", "county_admin", "leader"):
        client = client_for(users[role])
        assert [client.get(f"/drone/photos/{p.pk}/").status_code for p in (a, late, nogps)] == [200, 200, 200]
    # 大水䃎村 is in the township's and the village's area, 水源村 is not; an unplaced photo is nobody's area.
    for role in ("town_staff", "village_staff"):
        client = client_for(users[role])
        assert [client.get(f"/drone/photos/{p.pk}/").status_code for p in (a, late, nogps)] == [404, 200, 404]
    inspector = client_for(users["inspector"])
    assert [inspector.get(f"/drone/photos/{p.pk}/").status_code for p in (a, late, nogps)] == [200, 404, 404]


def test_only_the_office_sees_the_original_and_may_move_a_photo(users, client_for, flown):
    a = flown["a"]
    office_page = client_for(users["office"]).get(f"/drone/photos/{a.pk}/").content.decode()
    assert f'href="/drone/photos/{a.pk}/original"' in office_page
    assert 'class="place-form"' in office_page
    leader = client_for(users["leader"])
    leader_page = leader.get(f"/drone/photos/{a.pk}/").content.decode()
    assert "/original" not in leader_page and "place-form" not in leader_page
    assert f'src="/drone/photos/{a.pk}.jpg"' in leader_page
    assert leader.post(f"/drone/photos/{a.pk}/", {"village": SHIMEN}).status_code == 403
    assert DronePhoto.objects.get(pk=a.pk).village.code == SHUIYUAN


# /drone/ -------------------------------------------------------------------------------------------------


def test_the_weeks_page_counts_each_week_exactly(users, office, flown, django_assert_max_num_queries):
    services.drone_score(actor=users["office"], photo=flown["a"], score=4, flags=["garbage"])
    with django_assert_max_num_queries(12):
        response = office.get("/drone/")
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr data-week="{WEEK}">(.*?)</tr>', html, re.S).group(1)
    counts = dict(re.findall(r'data-count="(\w+)">(?:<a [^>]*>)?(\d+)', row))
    # flown: 水源村 and 石门村; 大水䃎村's photo was taken the week before and does not count
    assert counts == {"photos": "5", "placed": "4", "unplaced": "1", "scored": "1", "outside": "1", "flown": "2",
                      "not_flown": str(village_count() - 2)}
    assert f'href="/drone/unplaced/?week={WEEK}"' in row


# /drone/upload/ ------------------------------------------------------------------------------------------


def test_a_week_without_a_batch_offers_to_start_one(users, office, media):
    response = office.get(f"/drone/upload/?week={WEEK}")
    html = response.content.decode()
    assert 'id="batch-form"' in html and 'id="drone-files"' not in html
    assert f'<input type="hidden" name="week" value="{WEEK}">' in html
    started = office.post("/drone/upload/", {"week": WEEK, "name": " 第一架次 "})
    batch = Batch.objects.get(week=WEEK)
    assert (batch.name, batch.created_by) == ("第一架次", users["office"])
    assert started.status_code == 302
    assert started["Location"] == f"/drone/upload/?week={WEEK}&batch={batch.pk}"
    assert AuditEvent.objects.filter(action="drone.batch", object_id=str(batch.pk)).count() == 1


def test_a_bad_week_is_refused_and_nothing_is_written(office, media):
    before = Batch.objects.count()
    response = office.post("/drone/upload/", {"week": "2026-W60"}, follow=True, **EN)
    assert response.status_code == 200
    assert "“2026-W60” is not an ISO week like 2026-W10." in [str(m) for m in response.context["messages"]]
    assert Batch.objects.count() == before
    shown = office.get("/drone/upload/?week=last-week")
    assert (shown.context["week"], shown.context["week_error"]) == (weeks.week_of(timezone.localdate()), True)


def test_the_upload_page_continues_the_latest_batch_and_lists_its_photos(users, office, flown):
    first = flown["a"].batch
    response = office.get(f"/drone/upload/?week={WEEK}")
    assert response.context["batch"] == first
    settings = config(response, "drone-upload-config")
    assert (settings["openUrl"], settings["uploadUrl"], settings["chunk"], settings["parallel"]) == (
        f"/api/v1/drone/batches/{first.pk}/uploads", "/api/v1/drone/uploads/", 4 * 1024 * 1024, 3)
    assert settings["tableUrl"] == f"/drone/upload/?batch={first.pk}&part=table"
    table = office.get(settings["tableUrl"])
    html = table.content.decode()
    assert sorted(int(n) for n in re.findall(r'<tr data-photo="(\d+)"', html)) == sorted(p.pk for p in flown.values())
    assert re.search(r'id="batch-counts" data-photos="5" data-placed="4" data-unplaced="1"', html)
    later = services.batch_create(actor=users["office"], campaign=campaign_get(), week=WEEK, name="later")
    assert office.get(f"/drone/upload/?week={WEEK}").context["batch"] == later
    assert office.get(f"/drone/upload/?batch={first.pk}").context["batch"] == first
    assert office.get("/drone/upload/?batch=999999").status_code == 404


# /drone/review/ ------------------------------------------------------------------------------------------


def test_the_review_lists_the_week_s_placed_photos_unscored_first(users, office, flown):
    services.drone_score(actor=users["office"], photo=flown["a"], score=2, flags=[])
    response = office.get(f"/drone/review/?week={WEEK}")
    settings = config(response, "drone-review-config")
    items = settings["photos"]
    # placed photos only (not the one without GPS), by the time they were taken; the scored one last
    assert [i["id"] for i in items] == [flown[n].pk for n in ("late", "b", "c", "a")]
    late = items[0]
    assert (late["village"], late["town"], late["outside"], late["week"], late["score"]) == (
        "大水䃎村", "喜泉镇", True, OTHER_WEEK, None)
    assert (items[3]["score"], items[3]["url"], items[3]["detail"]) == (
        2, f"/drone/photos/{flown['a'].pk}.jpg", f"/drone/photos/{flown['a'].pk}/")
    assert items[1]["placement"] == "距村（社区）坐标点最近"  # nearest village point, in the default language
    assert (settings["scoreUrl"], settings["problemUrl"]) == ("/api/v1/drone/photos/{id}/score",
                                                              "/api/v1/drone/photos/{id}/problem")
    assert settings["problemPage"].replace(settings["problemPlaceholder"], "7") == "/problems/7/"
    assert [(f["code"], f["key"]) for f in settings["flags"]] == [
        ("garbage", "g"), ("debris", "c"), ("stacking", "s"), ("structure", "b")]
    assert settings["flagCategories"] == {"garbage": "garbage", "debris": "garbage", "stacking": "stacking",
                                          "structure": "building"}
    started = office.get(f"/drone/review/?week={WEEK}&photo={flown['c'].pk}")
    assert config(started, "drone-review-config")["start"] == 2


def test_a_week_without_photos_says_so(office, media):
    response = office.get(f"/drone/review/?week={OTHER_WEEK}")
    assert 'id="review-empty"' in response.content.decode()
    assert "drone-review-config" not in response.content.decode()


# /drone/unplaced/ ----------------------------------------------------------------------------------------


def test_a_photo_without_gps_is_placed_by_hand(users, office, flown):
    nogps = flown["nogps"]
    page = office.get(f"/drone/unplaced/?week={WEEK}")
    html = page.content.decode()
    assert re.findall(r'<article class="unplaced" id="photo-(\d+)"', html) == [str(nogps.pk)]
    # every village with a point is on the map, once
    assert len(re.findall(r'<circle [^>]*class="pt plain" data-code="\d{12}"', html)) == sum(
        1 for u in Unit.objects.filter(level__in=[Level.VILLAGE, Level.COMMUNITY], active=True)
        if unit_point_wgs84(u) is not None)
    assert f'<option value="{SHIMEN}" data-search="石门村 ' in html
    placed = office.post(f"/drone/unplaced/?week={WEEK}", {"photo": nogps.pk, "village": SHIMEN})
    assert (placed.status_code, placed["Location"]) == (302, f"/drone/unplaced/?week={WEEK}")
    nogps.refresh_from_db()
    assert (nogps.village.code, nogps.placement, nogps.placement_distance_m) == (SHIMEN, "manual", None)
    event = AuditEvent.objects.filter(action="drone.place", object_id=str(nogps.pk)).get()
    assert (event.before["village"], event.after["village"]) == (None, SHIMEN)
    assert 'id="unplaced-empty"' in office.get(f"/drone/unplaced/?week={WEEK}").content.decode()


def test_placing_on_a_township_is_refused_with_the_reason(office, flown):
    nogps = flown["nogps"]
    response = office.post(f"/drone/unplaced/?week={WEEK}", {"photo": nogps.pk, "village": YITIAOSHAN}, follow=True,
                           **EN)
    assert [str(m) for m in response.context["messages"]] == ["一条山镇 is not a village or community."]
    assert DronePhoto.objects.get(pk=nogps.pk).village is None
    assert office.post(f"/drone/unplaced/?week={WEEK}", {"photo": nogps.pk, "village": "999999999999"}
                       ).status_code == 404


def test_the_office_reassigns_a_photo_from_its_page(users, office, flown):
    a = flown["a"]
    services.drone_score(actor=users["office"], photo=a, score=5, flags=[])
    moved = office.post(f"/drone/photos/{a.pk}/", {"village": SHIMEN})
    assert (moved.status_code, moved["Location"]) == (302, f"/drone/photos/{a.pk}/")
    a.refresh_from_db()
    assert (a.village.code, a.placement) == (SHIMEN, "manual")
    # the week's drone source follows: 石门村 now has the 5, 水源村 has no scored photo left
    entries = dict(Entry.objects.filter(round=Round.objects.get(campaign=a.campaign, week=WEEK), source="drone")
                   .values_list("unit__code", "score"))
    assert entries == {SHIMEN: 5.0}
    taken_off = office.post(f"/drone/photos/{a.pk}/", {"village": ""})
    assert taken_off.status_code == 302
    a.refresh_from_db()
    assert (a.village, a.placement) == (None, "none")


# /drone/coverage/ ----------------------------------------------------------------------------------------


def coverage_rows(html: str) -> dict[str, tuple[str, str, str, str]]:
    rows = re.findall(r'<tr class="flown" data-code="(\d+)">.*?data-count="photos">(\d+)<.*?data-count="scored">'
                      r'(\d+)<.*?data-value="mean">([^<]*)<.*?data-value="source">([^<]*)<', html, re.S)
    return {code: (photos, scored, mean, source) for code, photos, scored, mean, source in rows}


def test_coverage_lists_flown_and_not_flown_villages_with_their_scores(users, office, flown):
    for photo, score in ((flown["a"], 4), (flown["b"], 1), (flown["c"], 3), (flown["late"], 5)):
        services.drone_score(actor=users["office"], photo=photo, score=score, flags=[])
    response = office.get(f"/drone/coverage/?week={WEEK}")
    html = response.content.decode()
    assert coverage_rows(html) == {SHUIYUAN: ("2", "2", "2.5", "2.5"), SHIMEN: ("1", "1", "3", "3")}
    assert re.search(r'id="count-flown">2<', html) and re.search(r'id="count-source">2<', html)
    assert re.search(rf'id="count-not-flown">{village_count() - 2}<', html)
    not_flown = set(re.findall(r'<span class="not-flown" data-code="(\d+)">', html))
    assert DASHUI in not_flown and SHUIYUAN not in not_flown and len(not_flown) == village_count() - 2
    # the map: the shared component, drawn from the coverage layer of the map data
    assert f'data-url="/map/data.json?layer=coverage&amp;week={WEEK}"' in html
    drawn = json.loads(office.get(f"/map/data.json?layer=coverage&week={WEEK}").content)
    states = [f["properties"]["state"] for f in drawn["features"] if f["properties"].get("kind") != "town"]
    assert (states.count("yes"), states.count("no")) == (2, village_count() - 2)


def test_coverage_is_read_by_the_leader_and_by_others_for_their_area(users, client_for, flown):
    leader = client_for(users["leader"]).get(f"/drone/coverage/?week={WEEK}")
    assert leader.status_code == 200
    assert set(coverage_rows(leader.content.decode())) == {SHUIYUAN, SHIMEN}
    assert 'href="/drone/upload/' not in leader.content.decode()  # no office tabs
    town = client_for(users["town_staff"]).get(f"/drone/coverage/?week={WEEK}").content.decode()
    towns = set(re.findall(r'<section class="coverage-town" data-town="([^"]+)"', town))
    assert towns == {"喜泉镇"}
    assert coverage_rows(town) == {}  # 大水䃎村's photo is outside the week: not flown
    assert DASHUI in re.findall(r'<span class="not-flown" data-code="(\d+)">', town)
    village_client = client_for(users["village_staff"])
    village = village_client.get(f"/drone/coverage/?week={WEEK}").content.decode()
    assert re.findall(r'data-code="(\d{12})"', village) == [DASHUI]  # the list: its own only
    drawn = json.loads(village_client.get(f"/map/data.json?layer=coverage&week={WEEK}").content)
    assert [f["properties"]["code"] for f in drawn["features"]] == [DASHUI]  # and the map
