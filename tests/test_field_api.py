"""The field app's HTTP API (CONTRACTS §4) with bad input: photos checked by content and refused with a clear
message leaving nothing behind, photos stored without EXIF and served only in the area, inspections all or
nothing and idempotent, the OpenAPI document and the offline bootstrap. Every image is made here with Pillow."""

import datetime as dt
import hashlib
import io
import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.inspections import services as inspection_services
from dudao.inspections.models import Inspection, ItemScore
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos.models import Photo
from dudao.problems.models import Problem

YITIAOSHAN = "620423100000"  # 一条山镇: demo_inspector's area
SHUIYUAN = "620423100200"  # 水源村, 一条山镇
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇
BEIJING = (39.9042, 116.4074)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

NOT_IMAGE = "The file is not a photo (JPEG, PNG or WebP), whatever its name says."
CORRUPT = "The photo is damaged or incomplete; take or send it again."
NO_LOCATION = ("The photo has no location, and the phone sent none: turn on location (GPS) and take the photo "
               "again.")
OUTSIDE = "The position 39.90420, 116.40740 lies outside the county."
NOT_FOUND = "Not found, or outside your area."


# Making the inputs --------------------------------------------------------------------------------------


def point(code: str) -> tuple[float, float]:
    """(lat, lon) of the unit in WGS-84."""
    lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
    return lat, lon


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def scene(size: tuple[int, int] = (800, 600)) -> Image.Image:
    image = Image.new("RGB", size, (150, 190, 230))
    ImageDraw.Draw(image).rectangle((0, size[1] // 2, size[0], size[1]), fill=(176, 160, 130))
    return image


def jpeg(gps: tuple[float, float] | None = None, size: tuple[int, int] = (800, 600)) -> bytes:
    """A phone's JPEG: EXIF with make, model and capture time, and the position when given."""
    exif = Image.Exif()
    exif[0x010F] = "SecretMake"
    exif[0x0110] = "SecretModel"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 10:30:00"
    if gps is not None:
        lat, lon = gps
        location = exif.get_ifd(0x8825)
        location[1], location[2], location[3], location[4] = "N", dms(lat), "E", dms(lon)
    out = io.BytesIO()
    scene(size).save(out, "JPEG", quality=90, exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8769)[0x9003] == "2026:11:20 10:30:00"
    if gps is not None:
        back = Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
        assert (back[1], back[3]) == ("N", "E")
        assert sum(float(p) / u for p, u in zip(back[2], (1, 60, 3600), strict=True)) == pytest.approx(gps[0])
        assert sum(float(p) / u for p, u in zip(back[4], (1, 60, 3600), strict=True)) == pytest.approx(gps[1])
    return data


def png(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    scene(size).save(out, "PNG")
    return out.getvalue()


def png_bomb() -> bytes:
    """A small PNG whose header claims 20000 × 20000 pixels (400 megapixels), with a valid header CRC."""
    data = bytearray(png((10, 10)))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", 20000, 20000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def gif() -> bytes:
    out = io.BytesIO()
    scene((64, 48)).save(out, "GIF")
    return out.getvalue()


def upload(client: Client, data: bytes, name: str = "photo.jpg", village: str = SHUIYUAN, **fields):
    form = {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), "village": village}
    form.update({k: v for k, v in fields.items() if v is not None})
    return client.post("/api/v1/photos", form, **EN)


def photo_trace() -> tuple[int, int]:
    return Photo.objects.count(), AuditEvent.objects.filter(action="photo.upload").count()


# Photos refused --------------------------------------------------------------------------------------------


BAD_PHOTOS = {
    "text with a .jpg name": ("IMG_0001.jpg", lambda: "这不是照片，只是文字。This is not a photo.\n".encode() * 20,
                              422, NOT_IMAGE),
    "HTML with a PNG signature": ("photo.png", lambda: b"\x89PNG\r\n\x1a\n<html><body><script>alert(1)</script>"
                                                       b"</body></html>", 422, NOT_IMAGE),
    "SVG": ("photo.svg", lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" '
                                 b'height="100"><script>alert(1)</script><rect width="100" height="100"/></svg>',
            422, NOT_IMAGE),
    "truncated JPEG": ("photo.jpg", lambda: jpeg()[:6000], 422, CORRUPT),
    "decompression bomb": ("photo.png", png_bomb, 422,
                           "The image is 20000 × 20000 pixels, more than 50 megapixels."),
    "empty": ("photo.jpg", lambda: b"", 422, "The file is empty."),
    "GIF": ("photo.gif", gif, 422, "GIF images are not accepted; send a JPEG, PNG or WebP photo."),
    "50 MB": ("photo.jpg", lambda: jpeg() + bytes(50 * 1024 * 1024 - len(jpeg())), 413,
              "The photo is 50.0 MB; the limit is 20 MB."),
}


@pytest.mark.parametrize("case", BAD_PHOTOS)
def test_a_bad_photo_is_refused_with_a_clear_message_and_nothing_stored(users, client_for, media, case):
    name, make, status, message = BAD_PHOTOS[case]
    lat, lon = point(SHUIYUAN)
    before = photo_trace()
    response = upload(client_for(users["inspector"]), make(), name=name, lat=lat, lon=lon, client_key=f"k-{case}")
    assert (response.status_code, response.json()) == (status, {"detail": message})
    assert response["Content-Type"].startswith("application/json")
    assert photo_trace() == before
    assert not Photo.objects.filter(client_key=f"k-{case}").exists()
    assert media.names() == []


def test_the_truncated_jpeg_is_really_a_jpeg_cut_short():
    whole = jpeg()
    assert len(whole) > 6000 and whole[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(whole)).size == (800, 600)


def test_a_photo_without_gps_and_without_a_phone_position_is_refused(users, client_for, media):
    before = photo_trace()
    response = upload(client_for(users["inspector"]), jpeg())
    assert (response.status_code, response.json()) == (422, {"detail": NO_LOCATION})
    assert photo_trace() == before
    assert media.names() == []


def test_a_photo_whose_gps_lies_outside_the_county_is_refused(users, client_for, media):
    before = photo_trace()
    response = upload(client_for(users["inspector"]), jpeg(gps=BEIJING))
    assert (response.status_code, response.json()) == (422, {"detail": OUTSIDE})
    assert photo_trace() == before
    assert media.names() == []


def test_a_phone_position_outside_the_county_is_refused(users, client_for, media):
    before = photo_trace()
    response = upload(client_for(users["inspector"]), jpeg(), lat=BEIJING[0], lon=BEIJING[1])
    assert (response.status_code, response.json()) == (422, {"detail": OUTSIDE})
    assert photo_trace() == before
    assert media.names() == []


def test_a_position_that_is_not_a_latitude_is_refused(users, client_for, media):
    response = upload(client_for(users["inspector"]), jpeg(), lat=237.0, lon=104.0)
    assert (response.status_code, response.json()) == (
        422, {"detail": "The position 237.0, 104.0 is not a latitude and longitude."})
    assert media.names() == []


def test_a_photo_for_a_village_outside_the_area_is_404(users, client_for, media):
    lat, lon = point(DASHUI)
    before = photo_trace()
    response = upload(client_for(users["inspector"]), jpeg(), village=DASHUI, lat=lat, lon=lon)
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert photo_trace() == before
    assert media.names() == []


def test_a_township_is_not_a_village(users, client_for, media):
    lat, lon = point(SHUIYUAN)
    response = upload(client_for(users["inspector"]), jpeg(), village=YITIAOSHAN, lat=lat, lon=lon)
    assert (response.status_code, response.json()) == (422, {"detail": "一条山镇 is not a village or community."})
    assert media.names() == []


def test_a_client_key_longer_than_64_characters_is_refused(users, client_for, media):
    lat, lon = point(SHUIYUAN)
    before = photo_trace()
    response = upload(client_for(users["inspector"]), jpeg(), lat=lat, lon=lon, client_key="k" * 65)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["form", "client_key"], "string_too_long")]
    assert photo_trace() == before
    assert media.names() == []
    assert upload(client_for(users["inspector"]), jpeg(), lat=lat, lon=lon, client_key="k" * 64).status_code == 201


# Photos accepted ------------------------------------------------------------------------------------------


def test_a_png_named_jpg_is_accepted_by_its_content(users, client_for, media):
    lat, lon = point(SHUIYUAN)
    response = upload(client_for(users["inspector"]), png(), name="IMG_0002.jpg", lat=lat, lon=lon,
                      accuracy_m=12.0)
    assert response.status_code == 201
    photo = Photo.objects.get(pk=response.json()["id"])
    assert (photo.source_format, photo.width, photo.height, photo.location_source, photo.lat, photo.lon,
            photo.accuracy_m, photo.taken_at) == ("PNG", 640, 480, "device", lat, lon, 12.0, None)
    files = media.names()
    assert [Image.open(io.BytesIO(media.read(f))).format for f in files] == ["JPEG", "JPEG"]


def test_a_phone_jpeg_is_stored_without_exif_keeping_time_and_position(users, client_for, media):
    inspector = users["inspector"]
    lat, lon = point(SHUIYUAN)
    gps = (round(lat + 0.001, 6), round(lon - 0.001, 6))
    original = jpeg(gps=gps, size=(2000, 1500))
    assert b"Exif" in original and b"SecretModel" in original
    # The photo's own position wins over the phone's reading.
    response = upload(client_for(inspector), original, lat=lat, lon=lon, accuracy_m=30.0, client_key="p-1")
    assert response.status_code == 201
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    assert (body["lat"], body["lon"]) == (pytest.approx(gps[0], abs=1e-7), pytest.approx(gps[1], abs=1e-7))
    assert (body["location_source"], body["width"], body["height"], body["url"], body["thumb_url"]) == (
        "exif", 1600, 1200, f"/photos/{photo.pk}.jpg", f"/photos/{photo.pk}-thumb.jpg")
    assert (photo.lat, photo.lon) == (body["lat"], body["lon"])
    assert (photo.accuracy_m, photo.source_format, photo.source_bytes, photo.sha256) == (
        None, "JPEG", len(original), hashlib.sha256(original).hexdigest())
    assert photo.taken_at == timezone.make_aware(dt.datetime(2026, 11, 20, 10, 30))
    assert (photo.village.code, photo.uploaded_by_id, photo.client_key) == (SHUIYUAN, inspector.pk, "p-1")
    files = media.names()
    assert files == sorted([photo.display_name, photo.thumb_name])
    sizes = {}
    for name in files:
        data = media.read(name)
        assert data != original
        assert b"Exif" not in data and b"SecretModel" not in data and b"SecretMake" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert dict(image.getexif()) == {}
            sizes[name.endswith("-thumb.jpg")] = image.size
    assert sizes == {False: (1600, 1200), True: (320, 240)}
    event = AuditEvent.objects.filter(action="photo.upload").latest("seq")
    assert (event.object_id, event.after["location"], event.after["bytes"], event.after["village"]) == (
        str(photo.pk), "exif", len(original), SHUIYUAN)


def test_the_stored_copy_is_served_as_jpeg_only_inside_the_area(users, client_for, media):
    lat, lon = point(DASHUI)
    office = client_for(users["office"])
    response = upload(office, jpeg(), village=DASHUI, lat=lat, lon=lon)
    assert response.status_code == 201
    photo = Photo.objects.get(pk=response.json()["id"])
    display = media.read(photo.display_name)
    thumb = media.read(photo.thumb_name)
    for role in ("office", "town_staff", "village_staff"):
        client = client_for(users[role])
        for url, stored in ((f"/photos/{photo.pk}.jpg", display), (f"/photos/{photo.pk}-thumb.jpg", thumb)):
            served = client.get(url)
            assert served.status_code == 200, (role, url)
            assert (served["Content-Type"], served["X-Content-Type-Options"]) == ("image/jpeg", "nosniff")
            assert b"".join(served.streaming_content) == stored
        assert client.get(f"/api/v1/photos/{photo.pk}").json()["id"] == photo.pk
    outsider = client_for(users["inspector"])
    assert outsider.get(f"/photos/{photo.pk}.jpg").status_code == 404
    assert outsider.get(f"/photos/{photo.pk}-thumb.jpg").status_code == 404
    api = outsider.get(f"/api/v1/photos/{photo.pk}", **EN)
    assert (api.status_code, api.json()) == (404, {"detail": NOT_FOUND})
    # Signed out: to the sign-in page, not the photo.
    anonymous = Client().get(f"/photos/{photo.pk}.jpg")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_same_client_key_twice_stores_one_photo(users, client_for, media):
    client = client_for(users["inspector"])
    lat, lon = point(SHUIYUAN)
    first = upload(client, jpeg(), lat=lat, lon=lon, client_key="retry-1")
    files = media.names()
    before = photo_trace()
    again = upload(client, jpeg(), lat=lat, lon=lon, client_key="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    # The same photo, its capture time perhaps written in another time zone.
    stored, returned = first.json(), again.json()
    assert dt.datetime.fromisoformat(stored.pop("taken_at")) == dt.datetime.fromisoformat(returned.pop("taken_at"))
    assert returned == stored
    assert Photo.objects.filter(client_key="retry-1").count() == 1
    assert photo_trace() == before
    assert len(files) == 2 and media.names() == files


def test_the_same_client_key_for_another_photo_is_refused(users, client_for, media):
    client = client_for(users["inspector"])
    lat, lon = point(SHUIYUAN)
    assert upload(client, jpeg(), lat=lat, lon=lon, client_key="reused").status_code == 201
    before, files = photo_trace(), media.names()
    other = upload(client, png(), lat=lat, lon=lon, client_key="reused")
    assert other.status_code == 409
    assert other.json() == {"detail": "The key reused was already used for something else; the phone must send a "
                                      "new key for new content."}
    assert (photo_trace(), media.names()) == (before, files)


def test_an_item_queued_by_another_user_is_not_stored_under_this_one(users, client_for, media):
    client = client_for(users["inspector"])
    lat, lon = point(SHUIYUAN)
    before = photo_trace()
    response = client.post("/api/v1/photos", {"file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
                                              "village": SHUIYUAN, "lat": lat, "lon": lon},
                           HTTP_X_DUDAO_USER="demo_office", **EN)
    assert response.status_code == 409
    assert response.json() == {"detail": "This was recorded by demo_office: sign in as demo_office to send it."}
    assert photo_trace() == before
    own = client.post("/api/v1/photos", {"file": SimpleUploadedFile("p.jpg", jpeg(), content_type="image/jpeg"),
                                         "village": SHUIYUAN, "lat": lat, "lon": lon},
                      HTTP_X_DUDAO_USER="demo_inspector", **EN)
    assert own.status_code == 201


# Inspections -----------------------------------------------------------------------------------------------


@pytest.fixture
def county(db):
    return inspection_services.checklist_default(campaign_get())


def payload(scored_with, fraction: float = 0.8, **extra) -> dict:
    lat, lon = point(SHUIYUAN)
    body = {"client_key": "insp-1", "village": SHUIYUAN, "checklist": scored_with.pk, "lat": lat, "lon": lon,
            "accuracy_m": 9.0,
            "marks": [{"item": i.pk, "points": i.max_points * fraction} for i in scored_with.items.all()]}
    body.update(extra)
    return body


def post_inspection(client: Client, body: dict):
    return client.post("/api/v1/inspections", json.dumps(body), content_type="application/json", **EN)


def inspection_trace() -> tuple[int, int, int, int]:
    return (Inspection.objects.count(), ItemScore.objects.count(), Problem.objects.count(),
            AuditEvent.objects.filter(action="inspection.submit").count())


def test_an_inspection_is_stored_once_however_often_it_is_sent(users, client_for, county, media):
    client = client_for(users["inspector"])
    lat, lon = point(SHUIYUAN)
    photo = upload(client, jpeg(), lat=lat, lon=lon).json()["id"]
    item = county.items.get(position=1)
    body = payload(county, photos=[photo], problems=[{"item": item.pk, "photos": [photo], "client_key": "pr-1"}])
    before = inspection_trace()
    first = post_inspection(client, body)
    assert first.status_code == 201
    created = first.json()
    inspection = Inspection.objects.get(pk=created["id"])
    problem = Problem.objects.get(inspection=inspection)
    assert {k: created[k] for k in ("created", "village", "checklist", "week", "score", "critical_failed",
                                    "counts", "warnings", "warning_texts", "problems", "photos")} == {
        "created": True, "village": SHUIYUAN, "checklist": county.pk, "week": inspection.week, "score": 80.0,
        "critical_failed": False, "counts": True, "warnings": [], "warning_texts": [], "problems": [problem.pk],
        "photos": [photo]}
    assert (problem.source, problem.item_id, problem.category.code, problem.status) == (
        "inspection", item.pk, "garbage", "dispatched")
    # The answer names the problem it reported, for the field app to show.
    assert created["problems_reported"] == [{"id": problem.pk, "number": problem.number,
                                             "category_name": problem.category.name,
                                             "url": f"/problems/{problem.pk}/"}]
    assert inspection_trace() == (before[0] + 1, before[1] + 13, before[2] + 1, before[3] + 1)
    again = post_inspection(client, body)
    assert again.status_code == 200
    assert again.json() == created | {"created": False}
    assert Inspection.objects.filter(inspector=users["inspector"], client_key="insp-1").count() == 1
    assert inspection_trace() == (before[0] + 1, before[1] + 13, before[2] + 1, before[3] + 1)


def test_a_score_outside_an_items_range_is_refused_with_the_item_named(users, client_for, county):
    body = payload(county)
    item = county.items.get(position=2)
    body["marks"][1] = {"item": item.pk, "points": 12}
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), body)
    assert (response.status_code, response.json()) == (
        422, {"detail": "“垃圾收集点（箱）配置到位、定时清运、无满溢”: 12.0 is outside 0–10.0 points."})
    assert inspection_trace() == before


def test_a_negative_score_and_a_wrong_not_applicable_are_both_named(users, client_for, county):
    body = payload(county)
    body["marks"][0] = {"item": county.items.get(position=1).pk, "points": -1}
    body["marks"][5] = {"item": county.items.get(position=6).pk, "not_applicable": True}
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), body)
    assert (response.status_code, response.json()) == (422, {"detail": (
        "“村内主干道、巷道无垃圾积存”: -1.0 is outside 0–10.0 points. "
        "“户厕、公厕干净卫生、无异味” cannot be marked not applicable.")})
    assert inspection_trace() == before


def test_an_inspection_time_without_an_offset_is_the_countys_local_time(users, client_for, county):
    client = client_for(users["inspector"])
    local = timezone.localtime().replace(microsecond=0, tzinfo=None) - dt.timedelta(hours=1)
    response = post_inspection(client, payload(county, inspected_at=local.isoformat()))
    assert response.status_code == 201
    inspection = Inspection.objects.get(pk=response.json()["id"])
    assert inspection.inspected_at == timezone.make_aware(local)
    before = inspection_trace()
    ahead = post_inspection(client, payload(county, client_key="insp-2",
                                            inspected_at=(local + dt.timedelta(hours=3)).isoformat()))
    assert (ahead.status_code, ahead.json()) == (
        422, {"detail": "The inspection time lies in the future; check the phone's clock."})
    assert inspection_trace() == before


def test_an_inspection_client_key_longer_than_64_characters_is_refused(users, client_for, county):
    client = client_for(users["inspector"])
    before = inspection_trace()
    for body in (payload(county, client_key="i" * 65),
                 payload(county, problems=[{"item": county.items.get(position=1).pk, "client_key": "p" * 65}])):
        response = post_inspection(client, body)
        assert response.status_code == 422
        assert response.json()["detail"] == "The request is not valid."
        assert [e["type"] for e in response.json()["errors"]] == ["string_too_long"]
    assert inspection_trace() == before
    assert post_inspection(client, payload(county, client_key="i" * 64)).status_code == 201


def test_an_item_without_points_or_not_applicable_is_refused(users, client_for, county):
    body = payload(county)
    item = county.items.get(position=3)
    body["marks"][2] = {"item": item.pk}
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), body)
    assert (response.status_code, response.json()) == (
        422, {"detail": f"Item {item.pk} needs points or “not applicable”."})
    assert inspection_trace() == before


def test_an_inspection_outside_the_area_is_404(users, client_for, county):
    lat, lon = point(DASHUI)
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), payload(county, village=DASHUI, lat=lat, lon=lon))
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert inspection_trace() == before


def test_an_unknown_checklist_is_refused(users, client_for, county):
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), payload(county, checklist=987654))
    assert (response.status_code, response.json()) == (422, {"detail": "The checklist 987654 does not exist."})
    assert inspection_trace() == before


def test_an_inspection_may_not_attach_someone_elses_photo(users, client_for, county, media):
    lat, lon = point(SHUIYUAN)
    theirs = upload(client_for(users["office"]), jpeg(), lat=lat, lon=lon).json()["id"]
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), payload(county, photos=[theirs]))
    assert (response.status_code, response.json()) == (
        422, {"detail": f"The photos {theirs} were not uploaded by you."})
    assert inspection_trace() == before


def test_an_inspection_position_outside_the_county_is_refused(users, client_for, county):
    before = inspection_trace()
    response = post_inspection(client_for(users["inspector"]), payload(county, lat=BEIJING[0], lon=BEIJING[1]))
    assert (response.status_code, response.json()) == (422, {"detail": OUTSIDE})
    assert inspection_trace() == before


def test_leaders_and_villages_may_not_inspect(users, client_for, county):
    lat, lon = point(DASHUI)
    before = inspection_trace()
    for role in ("leader", "village_staff"):
        response = post_inspection(client_for(users[role]), payload(county, village=DASHUI, lat=lat, lon=lon))
        assert (response.status_code, response.json()) == (403, {"detail": "You may not see or change this."})
    assert inspection_trace() == before


# OpenAPI and the offline bootstrap ------------------------------------------------------------------------


def test_openapi_lists_the_field_endpoints(db):
    document = Client().get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert {"/api/v1/photos", "/api/v1/inspections", "/api/v1/problems", "/api/v1/problems/{problem_id}/{transition}",
            "/api/v1/field/bootstrap"} <= set(paths)
    assert {"post"} <= set(paths["/api/v1/photos"]) and {"get", "post"} <= set(paths["/api/v1/inspections"])
    assert "post" in paths["/api/v1/problems/{problem_id}/{transition}"]
    assert "get" in paths["/api/v1/field/bootstrap"]


def test_the_bootstrap_holds_the_inspectors_villages_and_the_county_checklist(users, client_for, county):
    response = client_for(users["inspector"]).get("/api/v1/field/bootstrap")
    assert response.status_code == 200
    body = response.json()
    expected = list(Unit.objects.filter(parent__code=YITIAOSHAN, level__in=["village", "community"], active=True)
                    .order_by("path").values_list("code", flat=True))
    assert len(expected) > 10
    assert [v["code"] for v in body["villages"]] == expected
    assert {(v["town"], v["town_name"]) for v in body["villages"]} == {(YITIAOSHAN, "一条山镇")}
    for village in body["villages"]:
        lat, lon = point(village["code"])
        assert (village["lat"], village["lon"]) == (lat, lon)
    assert (body["username"], body["role"]) == ("demo_inspector", "inspector")
    assert [(c["id"], c["key"], c["town"], len(c["items"])) for c in body["checklists"]] == [
        (county.pk, "rural-living", None, 13)]
    assert [i["text"] for i in body["checklists"][0]["items"]] == [t for _s, t, *_ in inspection_services.DEFAULT_ITEMS]
    assert {c["code"] for c in body["categories"]} >= {"garbage", "sewage", "other"}


