"""The drone imagery HTTP API and image serving: batches, resumable uploads in chunks, photos in the caller's
area, scoring, placing and raising problems with clear messages, who may write, the served copies (the original
to the office only) and the week's coverage. Every image is made here with Pillow."""

import datetime as dt
import hashlib
import io
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.drone import services
from dudao.drone.models import Batch, DronePhoto, Upload
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.problems.models import Problem
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking.models import Entry

SHUIYUAN = "620423100200"  # 水源村, 一条山镇 (demo_inspector's area)
SHIMEN = "620423100201"  # 石门村, 一条山镇
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇 (demo_town's area)
YITIAOSHAN = "620423100000"  # 一条山镇
XIQUAN = "620423103000"  # 喜泉镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# Far enough back that no demo round or demo drone batch lies in these weeks.
WEEK = weeks.add_weeks(weeks.week_of(timezone.localdate()), -22)
NOT_FOUND = "Not found, or outside your area."
FORBIDDEN = "You may not see or change this."
BAD_SCORE = "A drone score is a whole number from 1 to 5."


def point(code: str) -> tuple[float, float]:
    lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
    return lat, lon


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def taken(week: str = WEEK) -> dt.datetime:
    return dt.datetime.combine(weeks.week_start(week) + dt.timedelta(days=2), dt.time(10))


def aerial_jpeg(code: str | None = SHUIYUAN, seed: int = 0, week: str = WEEK,
                size: tuple[int, int] = (1200, 900)) -> bytes:
    """A drone's JPEG with EXIF make, model, time and (over the village's point, when given) GPS."""
    image = Image.new("RGB", size, (150, 160, 110))
    ImageDraw.Draw(image).rectangle((seed * 7 % 900, 100, seed * 7 % 900 + 200, 300), fill=(180, 60 + seed, 50))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    exif.get_ifd(0x8769)[0x9003] = f"{taken(week):%Y:%m:%d %H:%M:%S}"
    if code is not None:
        lat, lon = point(code)
        location = exif.get_ifd(0x8825)
        location[1], location[2], location[3], location[4] = "N", dms(lat), "E", dms(lon)
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
def batch(users, media) -> Batch:
    return services.batch_create(actor=users["office"], campaign=campaign_get(), week=WEEK, name="api")


def stored(users, batch: Batch, code: str | None = SHUIYUAN, seed: int = 0, **kwargs) -> DronePhoto:
    photo, _duplicate = services.ingest(actor=users["office"], batch=batch, data=aerial_jpeg(code, seed, **kwargs),
                                        filename=f"DJI_{seed:04d}.JPG")
    return photo


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json", **EN)


def put_chunk(client: Client, upload_id: str, offset: int, data: bytes):
    return client.put(f"/api/v1/drone/uploads/{upload_id}?offset={offset}", data=data,
                      content_type="application/octet-stream", **EN)


# Batches and uploads -----------------------------------------------------------------------------------


def test_a_batch_is_created_and_listed(office, media):
    response = post(office, "/api/v1/drone/batches", {"week": WEEK, "name": "三月航拍"})
    assert response.status_code == 201
    body = response.json()
    batch = Batch.objects.get(pk=body["id"])
    # JSON times carry milliseconds.
    assert abs(dt.datetime.fromisoformat(body.pop("created_at")) - batch.created_at) < dt.timedelta(milliseconds=1)
    assert body == {"id": batch.pk, "week": WEEK, "name": "三月航拍", "photos": 0}
    listed = office.get("/api/v1/drone/batches", {"week": WEEK}, **EN).json()
    assert [(b["id"], b["week"], b["name"], b["photos"]) for b in listed] == [(batch.pk, WEEK, "三月航拍", 0)]
    bad = post(office, "/api/v1/drone/batches", {"week": "2026-13"})
    assert (bad.status_code, bad.json()) == (422, {"detail": "“2026-13” is not an ISO week like 2026-W10."})


def test_a_photo_uploaded_in_chunks_is_stored(office, batch):
    data = aerial_jpeg(SHUIYUAN)
    half = len(data) // 2
    opened = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads",
                  {"key": "DJI_0001.JPG:123:1700000000", "filename": "DJI_0001.JPG", "size": len(data)})
    assert opened.status_code == 200
    upload_id = opened.json()["id"]
    assert opened.json() == {"id": upload_id, "filename": "DJI_0001.JPG", "size": len(data), "received": 0,
                             "status": "open", "message": "", "photo": None}
    first = put_chunk(office, upload_id, 0, data[:half])
    assert (first.status_code, first.json()["received"], first.json()["status"]) == (200, half, "open")
    # The same chunk again (a retry after a lost answer) is ignored.
    again = put_chunk(office, upload_id, 0, data[:half])
    assert (again.status_code, again.json()["received"]) == (200, half)
    # A chunk from the wrong place: 409 saying what the server holds; the state says it too.
    gap = put_chunk(office, upload_id, half + 10, data[half + 10:])
    assert (gap.status_code, gap.json()) == (
        409, {"detail": f"The server holds {half} bytes of “DJI_0001.JPG”; send from there."})
    state = office.get(f"/api/v1/drone/uploads/{upload_id}", **EN)
    assert (state.status_code, state.json()["received"], state.json()["status"]) == (200, half, "open")
    # Opening the same file again resumes it.
    resumed = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads",
                   {"key": "DJI_0001.JPG:123:1700000000", "filename": "DJI_0001.JPG", "size": len(data)})
    assert (resumed.json()["id"], resumed.json()["received"]) == (upload_id, half)
    last = put_chunk(office, upload_id, half, data[half:])
    assert last.status_code == 200
    photo = DronePhoto.objects.get(sha256=hashlib.sha256(data).hexdigest())
    assert last.json() == {"id": upload_id, "filename": "DJI_0001.JPG", "size": len(data), "received": len(data),
                           "status": "stored", "message": "", "photo": photo.pk}
    assert (photo.batch_id, photo.village.code, photo.placement) == (batch.pk, SHUIYUAN, "nearest")
    assert office.get(f"/api/v1/drone/uploads/{upload_id}", **EN).json()["status"] == "stored"


def test_an_upload_that_is_not_a_photo_is_refused_with_the_reason(office, batch):
    data = "这不是照片，只是文字。This is not a photo.\n".encode() * 100
    opened = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads",
                  {"key": "k", "filename": "notes.JPG", "size": len(data)})
    done = put_chunk(office, opened.json()["id"], 0, data)
    assert (done.status_code, done.json()["status"], done.json()["photo"], done.json()["message"]) == (
        200, "refused", None,
        "“notes.JPG”: The file is not a photo (JPEG or HEIC), whatever its name says.")
    assert not DronePhoto.objects.filter(batch=batch).exists()


def test_upload_requests_that_cannot_be_right_are_refused(office, batch):
    empty = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads", {"key": "k", "filename": "a.JPG", "size": 0})
    assert (empty.status_code, empty.json()) == (422, {"detail": "The file “a.JPG” is empty."})
    opened = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads", {"key": "k", "filename": "a.JPG", "size": 10})
    longer = put_chunk(office, opened.json()["id"], 0, b"x" * 11)
    assert (longer.status_code, longer.json()) == (422, {"detail": "“a.JPG” is longer than announced."})
    no_offset = office.put(f"/api/v1/drone/uploads/{opened.json()['id']}", data=b"x",
                           content_type="application/octet-stream", **EN)
    assert (no_offset.status_code, no_offset.json()["detail"]) == (422, "The request is not valid.")
    unknown = put_chunk(office, str(uuid.uuid4()), 0, b"x")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": NOT_FOUND})
    other_batch = post(office, "/api/v1/drone/batches/999999/uploads", {"key": "k", "filename": "a.JPG", "size": 10})
    assert (other_batch.status_code, other_batch.json()) == (404, {"detail": NOT_FOUND})


def test_someone_elses_upload_is_not_found(users, client_for, office, batch):
    opened = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads", {"key": "k", "filename": "a.JPG", "size": 10})
    admin = client_for(users["county_admin"])
    assert admin.get(f"/api/v1/drone/uploads/{opened.json()['id']}", **EN).status_code == 404
    assert put_chunk(admin, opened.json()["id"], 0, b"x").status_code == 404
    assert Upload.objects.get(pk=opened.json()["id"]).received == 0


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_may_write(users, client_for, office, batch, role):
    client = client_for(users[role])
    photo = stored(users, batch, DASHUI)
    opened = post(office, f"/api/v1/drone/batches/{batch.pk}/uploads", {"key": "k", "filename": "a.JPG", "size": 10})
    before = (Batch.objects.count(), Upload.objects.count(), Problem.objects.count())
    attempts = [
        post(client, "/api/v1/drone/batches", {"week": WEEK}),
        client.get("/api/v1/drone/batches", **EN),
        post(client, f"/api/v1/drone/batches/{batch.pk}/uploads", {"key": "x", "filename": "a.JPG", "size": 10}),
        put_chunk(client, opened.json()["id"], 0, b"x"),
        client.get(f"/api/v1/drone/uploads/{opened.json()['id']}", **EN),
        post(client, f"/api/v1/drone/photos/{photo.pk}/score", {"score": 1}),
        post(client, f"/api/v1/drone/photos/{photo.pk}/place", {"village": DASHUI}),
        post(client, f"/api/v1/drone/photos/{photo.pk}/problem", {"category": "garbage", "description": "垃圾"}),
    ]
    assert [(r.status_code, r.json()) for r in attempts] == [(403, {"detail": FORBIDDEN})] * len(attempts)
    photo.refresh_from_db()
    assert (photo.score, photo.village.code, photo.placement) == (None, DASHUI, "nearest")
    assert (Batch.objects.count(), Upload.objects.count(), Problem.objects.count()) == before
    assert Upload.objects.get(pk=opened.json()["id"]).received == 0


# Photos -----------------------------------------------------------------------------------------------------


def test_a_photo_is_described_in_full(users, office, batch):
    photo = stored(users, batch, SHUIYUAN)
    response = office.get(f"/api/v1/drone/photos/{photo.pk}", **EN)
    assert response.status_code == 200
    body = response.json()
    assert dt.datetime.fromisoformat(body.pop("taken_at")) == timezone.make_aware(taken())
    assert body == {
        "id": photo.pk, "batch": batch.pk, "filename": "DJI_0000.JPG", "lat": photo.lat, "lon": photo.lon,
        "altitude_m": None, "relative_altitude_m": None, "gimbal_pitch": None, "gimbal_yaw": None,
        "village": SHUIYUAN, "village_name": "水源村", "placement": "nearest",
        "placement_distance_m": photo.placement_distance_m, "week": WEEK, "outside_week": False, "score": None,
        "flags": [], "metadata_problems": [], "url": f"/drone/photos/{photo.pk}.jpg",
        "thumb_url": f"/drone/photos/{photo.pk}-thumb.jpg"}
    assert body["lat"] == pytest.approx(point(SHUIYUAN)[0], abs=1e-7)


def test_photos_are_listed_by_state(users, office, batch):
    scored = stored(users, batch, SHUIYUAN, seed=1)
    unscored = stored(users, batch, DASHUI, seed=2)
    unplaced = stored(users, batch, None, seed=3)
    outside = stored(users, batch, SHIMEN, seed=4, week=weeks.add_weeks(WEEK, 1))
    services.drone_score(actor=users["office"], photo=scored, score=4)

    def ids(**query) -> list[int]:
        response = office.get("/api/v1/drone/photos", {"batch": batch.pk, **query}, **EN)
        assert response.status_code == 200
        return sorted(p["id"] for p in response.json())

    assert ids() == sorted([scored.pk, unscored.pk, unplaced.pk, outside.pk])
    assert ids(state="scored") == [scored.pk]
    assert ids(state="unscored") == sorted([unscored.pk, outside.pk])
    assert ids(state="unplaced") == [unplaced.pk]
    assert ids(state="outside_week") == [outside.pk]
    assert ids(village=DASHUI) == [unscored.pk]
    assert ids(week=WEEK) == sorted([scored.pk, unscored.pk, unplaced.pk, outside.pk])
    assert ids(week=weeks.add_weeks(WEEK, 1)) == []


def test_a_town_sees_only_its_own_photos(users, client_for, batch):
    inside = stored(users, batch, DASHUI, seed=1)
    outside = stored(users, batch, SHUIYUAN, seed=2)
    unplaced = stored(users, batch, None, seed=3)
    town = client_for(users["town_staff"])
    listed = town.get("/api/v1/drone/photos", {"batch": batch.pk}, **EN).json()
    assert [p["id"] for p in listed] == [inside.pk]
    assert town.get(f"/api/v1/drone/photos/{inside.pk}", **EN).status_code == 200
    for photo in (outside, unplaced):
        response = town.get(f"/api/v1/drone/photos/{photo.pk}", **EN)
        assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    inspector = client_for(users["inspector"])
    assert [p["id"] for p in inspector.get("/api/v1/drone/photos", {"batch": batch.pk}, **EN).json()] == [
        outside.pk]
    leader = client_for(users["leader"])
    assert sorted(p["id"] for p in leader.get("/api/v1/drone/photos", {"batch": batch.pk}, **EN).json()) == sorted(
        [inside.pk, outside.pk, unplaced.pk])


def test_scoring_through_the_api_feeds_the_week(users, office, batch):
    four = stored(users, batch, SHUIYUAN, seed=1)
    two = stored(users, batch, SHUIYUAN, seed=2)
    response = post(office, f"/api/v1/drone/photos/{four.pk}/score", {"score": 4, "flags": ["garbage"]})
    assert (response.status_code, response.json()["score"], response.json()["flags"]) == (200, 4, ["garbage"])
    assert post(office, f"/api/v1/drone/photos/{two.pk}/score", {"score": 2}).status_code == 200
    round_ = ranking_selectors.round_live(campaign_get(), WEEK)
    assert round_.drone_from_photos is True
    assert list(Entry.objects.filter(round=round_, source="drone").values_list("unit__code", "score")) == [
        (SHUIYUAN, 3.0)]
    cleared = post(office, f"/api/v1/drone/photos/{two.pk}/score", {"score": None})
    assert (cleared.status_code, cleared.json()["score"]) == (200, None)
    assert list(Entry.objects.filter(round=round_, source="drone").values_list("unit__code", "score")) == [
        (SHUIYUAN, 4.0)]


@pytest.mark.parametrize(("body", "detail"), [
    ({"score": 0}, BAD_SCORE),
    ({"score": 6}, BAD_SCORE),
    ({"score": 3, "flags": ["x"]}, "Unknown flags: x."),
], ids=["zero", "six", "flag"])
def test_a_bad_score_is_422_with_the_reason(users, office, batch, body, detail):
    photo = stored(users, batch, SHUIYUAN)
    response = post(office, f"/api/v1/drone/photos/{photo.pk}/score", body)
    assert (response.status_code, response.json()) == (422, {"detail": detail})
    photo.refresh_from_db()
    assert (photo.score, photo.flags) == (None, [])


def test_a_score_that_is_not_a_whole_number_is_an_invalid_request(users, office, batch):
    photo = stored(users, batch, SHUIYUAN)
    for value in (2.5, "x"):
        response = post(office, f"/api/v1/drone/photos/{photo.pk}/score", {"score": value})
        assert (response.status_code, response.json()["detail"]) == (422, "The request is not valid.")
    photo.refresh_from_db()
    assert photo.score is None


def test_placing_through_the_api(users, office, batch):
    photo = stored(users, batch, None)
    placed = post(office, f"/api/v1/drone/photos/{photo.pk}/place", {"village": DASHUI})
    assert placed.status_code == 200
    assert (placed.json()["village"], placed.json()["village_name"], placed.json()["placement"]) == (
        DASHUI, "大水䃎村", "manual")
    town = post(office, f"/api/v1/drone/photos/{photo.pk}/place", {"village": YITIAOSHAN})
    assert (town.status_code, town.json()) == (422, {"detail": "一条山镇 is not a village or community."})
    unknown = post(office, f"/api/v1/drone/photos/{photo.pk}/place", {"village": "620423999999"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": NOT_FOUND})
    off = post(office, f"/api/v1/drone/photos/{photo.pk}/place", {"village": None})
    assert (off.status_code, off.json()["village"], off.json()["placement"]) == (200, None, "none")


def test_raising_a_problem_through_the_api(users, office, batch):
    photo = stored(users, batch, DASHUI)
    response = post(office, f"/api/v1/drone/photos/{photo.pk}/problem",
                    {"category": "garbage", "description": "村口垃圾堆放"})
    assert response.status_code == 201
    problem = Problem.objects.get(pk=response.json()["problem"])
    assert response.json() == {"problem": problem.pk, "number": problem.number}
    assert (problem.source, problem.village.code, problem.status, problem.lat, problem.lon) == (
        "drone", DASHUI, "dispatched", photo.lat, photo.lon)
    photo.refresh_from_db()  # raising the problem made the display copy: it is the evidence
    assert [p.photo.display_name for p in problem.problem_photos.all()] == [photo.display_name] != [""]
    before = Problem.objects.count()
    unknown = post(office, f"/api/v1/drone/photos/{photo.pk}/problem", {"category": "nope", "description": "x"})
    assert (unknown.status_code, unknown.json()) == (422, {"detail": "The category is not in use in this campaign."})
    blank = post(office, f"/api/v1/drone/photos/{photo.pk}/problem", {"category": "garbage", "description": "  "})
    assert (blank.status_code, blank.json()) == (422, {"detail": "Describe the problem."})
    unplaced = stored(users, batch, None, seed=5)
    refused = post(office, f"/api/v1/drone/photos/{unplaced.pk}/problem",
                   {"category": "garbage", "description": "垃圾"})
    assert (refused.status_code, refused.json()) == (422, {"detail": "Place the photo on a village first."})
    assert Problem.objects.count() == before


# Serving the images -------------------------------------------------------------------------------------------


def test_the_display_copy_and_thumbnail_are_served_without_metadata(users, client_for, batch, media):
    photo = stored(users, batch, DASHUI, size=(2400, 1800))
    for role in ("office", "leader", "town_staff", "village_staff"):
        client = client_for(users[role])
        for url, name, size in ((f"/drone/photos/{photo.pk}.jpg", photo.display_name, (2048, 1536)),
                                (f"/drone/photos/{photo.pk}-thumb.jpg", photo.thumb_name, (320, 240))):
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("image/jpeg", "nosniff")
            data = b"".join(response.streaming_content)
            photo.refresh_from_db()  # the first view of the display copy made it
            assert data == media.read(photo.display_name if name == "" else name)
            assert b"Exif" not in data and b"FC6310" not in data
            with Image.open(io.BytesIO(data)) as image:
                assert (image.format, image.size, dict(image.getexif())) == ("JPEG", size, {})
    for role in ("inspector",):
        client = client_for(users[role])
        assert client.get(f"/drone/photos/{photo.pk}.jpg").status_code == 404
        assert client.get(f"/drone/photos/{photo.pk}-thumb.jpg").status_code == 404
    signed_out = Client().get(f"/drone/photos/{photo.pk}.jpg")
    assert signed_out.status_code == 302 and "login" in signed_out["Location"]
    # An API client with a token and no session reads them too, within its area.
    from dudao.accounts.access import SYSTEM
    from dudao.accounts.services import token_create

    for role, status in (("town_staff", 200), ("inspector", 404)):
        token = token_create(actor=SYSTEM, user=users[role])
        assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/drone/photos/{photo.pk}.jpg").status_code == status


def test_the_original_goes_to_the_office_only_as_a_download(users, client_for, batch):
    data = aerial_jpeg(SHUIYUAN)
    photo, _duplicate = services.ingest(actor=users["office"], batch=batch, data=data, filename="DJI_0077.JPG")
    response = client_for(users["office"]).get(f"/drone/photos/{photo.pk}/original")
    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"], response["X-Content-Type-Options"]) == (
        "image/jpeg", 'attachment; filename="DJI_0077.JPG"', "nosniff")
    original = b"".join(response.streaming_content)
    assert original == data
    with Image.open(io.BytesIO(original)) as image:
        exif = image.getexif()
        assert (exif[0x010F], exif[0x0110]) == ("DJI", "FC6310")
        assert exif.get_ifd(0x8825)[1] == "N"
    for role in ("leader", "county_admin"):
        expected = 403 if role == "leader" else 200
        assert client_for(users[role]).get(f"/drone/photos/{photo.pk}/original").status_code == expected
    assert client_for(users["town_staff"]).get(f"/drone/photos/{photo.pk}/original").status_code == 404


# Coverage and the document ----------------------------------------------------------------------------------


def test_coverage_names_the_villages_flown_and_not_flown(users, client_for, office, batch):
    stored(users, batch, SHUIYUAN, seed=1)
    stored(users, batch, SHUIYUAN, seed=2)
    stored(users, batch, DASHUI, seed=3)
    stored(users, batch, None, seed=4)  # unplaced: covers nothing
    stored(users, batch, SHIMEN, seed=5, week=weeks.add_weeks(WEEK, -1))  # another week's photo: neither
    villages = list(Unit.objects.filter(level__in=["village", "community"], active=True,
                                        path__startswith=campaign_get().county.path).order_by("path")
                    .values_list("code", flat=True))
    response = office.get("/api/v1/drone/coverage", {"week": WEEK}, **EN)
    assert response.status_code == 200
    body = response.json()
    assert (body["week"], body["flown"]) == (WEEK, [
        {"code": SHUIYUAN, "name": "水源村", "town": YITIAOSHAN, "photos": 2},
        {"code": DASHUI, "name": "大水䃎村", "town": XIQUAN, "photos": 1}])
    assert [v["code"] for v in body["not_flown"]] == [c for c in villages if c not in (SHUIYUAN, DASHUI)]
    assert {v["photos"] for v in body["not_flown"]} == {0}
    assert len(body["flown"]) + len(body["not_flown"]) == len(villages) > 100
    # A township sees its own villages only.
    town = client_for(users["town_staff"]).get("/api/v1/drone/coverage", {"week": WEEK}, **EN).json()
    xiquan = [c for c in villages if Unit.objects.get(code=c).parent.code == XIQUAN]
    assert [v["code"] for v in town["flown"]] == [DASHUI]
    assert [v["code"] for v in town["not_flown"]] == [c for c in xiquan if c != DASHUI]
    empty = office.get("/api/v1/drone/coverage", {"week": weeks.add_weeks(WEEK, -3)}, **EN).json()
    assert (empty["flown"], len(empty["not_flown"])) == ([], len(villages))
    bad = office.get("/api/v1/drone/coverage", {"week": "W10"}, **EN)
    assert (bad.status_code, bad.json()) == (422, {"detail": "The week must look like 2026-W10."})


def test_openapi_document_lists_the_drone_paths(db):
    document = json.loads(Client().get("/api/v1/openapi.json").content)
    expected = {
        "/api/v1/drone/batches": {"get", "post"},
        "/api/v1/drone/batches/{batch_id}/uploads": {"post"},
        "/api/v1/drone/uploads/{upload_id}": {"get", "put"},
        "/api/v1/drone/photos": {"get"},
        "/api/v1/drone/photos/{photo_id}": {"get"},
        "/api/v1/drone/photos/{photo_id}/score": {"post"},
        "/api/v1/drone/photos/{photo_id}/place": {"post"},
        "/api/v1/drone/photos/{photo_id}/problem": {"post"},
        "/api/v1/drone/coverage": {"get"},
    }
    assert {path: set(document["paths"].get(path, {})) for path in expected} == expected
    params = {p["name"] for p in document["paths"]["/api/v1/drone/photos"]["get"]["parameters"]}
    assert {"week", "batch", "village", "state", "limit", "offset"} <= params
