"""Drone imagery through dudao.drone.services: ingest (metadata, placement by boundary or nearest point, nothing
stored for a refusal), duplicates, the batch's week, scores feeding the week's drone source, placing by hand,
raising a problem, who may do it, the audit trail and resumable uploads. Every image is made here with Pillow."""

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core import geo, weeks
from dudao.core.errors import Refused
from dudao.core.tables import Problem as TableProblem
from dudao.core.tables import write_csv
from dudao.drone import selectors, services
from dudao.drone.models import Batch, DronePhoto, Upload
from dudao.org.models import Unit
from dudao.org.selectors import campaign_area, unit_point_wgs84
from dudao.photos.models import Photo
from dudao.problems.models import Category, Problem
from dudao.ranking import selectors as ranking_selectors
from dudao.ranking import services as ranking_services
from dudao.ranking.models import Entry

SHUIYUAN = "620423100200"  # 水源村, 一条山镇
SHIMEN = "620423100201"  # 石门村, 一条山镇
DASHUI = "620423103200"  # 大水䃎村, 喜泉镇
YITIAOSHAN = "620423100000"  # 一条山镇 (a township, not a village)
BEIJING = (39.9042, 116.4074)
# Far enough back that no demo round or demo drone batch lies in these weeks.
WEEK = weeks.add_weeks(weeks.week_of(timezone.localdate()), -24)
PREVIOUS_WEEK = weeks.add_weeks(WEEK, -1)
# Not the field photos' wording: a drone photo may not be a PNG or WebP.
NOT_A_PHOTO = "The file is not a photo (JPEG or HEIC), whatever its name says."


# Making the inputs --------------------------------------------------------------------------------------


def point(code: str) -> tuple[float, float]:
    """(lat, lon) of the unit in WGS-84."""
    lon, lat = unit_point_wgs84(Unit.objects.get(code=code))
    return lat, lon


def in_week(week: str, weekday: int = 2, hour: int = 10) -> dt.datetime:
    """A naive camera time (the county's local time) on a day of the week."""
    return dt.datetime.combine(weeks.week_start(week) + dt.timedelta(days=weekday), dt.time(hour))


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def xmp_packet(relative_altitude: float, pitch: float, yaw: float) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" '
        f'drone-dji:RelativeAltitude="{relative_altitude:+.2f}" drone-dji:GimbalPitchDegree="{pitch:+.2f}" '
        f'drone-dji:GimbalYawDegree="{yaw:+.2f}"/></rdf:RDF></x:xmpmeta>'
    ).encode()


def aerial_jpeg(gps: tuple[float, float] | None = None, at: dt.datetime | None = None, seed: int = 0,
                size: tuple[int, int] = (1200, 900), altitude: float | None = 1650.5) -> bytes:
    """A drone's JPEG: EXIF make, model, capture time, GPS position and altitude when given, DJI XMP. ``seed``
    changes the pixels, so different seeds are different files."""
    image = Image.new("RGB", size, (150, 160, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle((seed * 7 % 900, seed * 13 % 600, seed * 7 % 900 + 200, seed * 13 % 600 + 150),
                   fill=(180, 60 + seed % 150, 50))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    if at is not None:
        exif.get_ifd(0x8769)[0x9003] = f"{at:%Y:%m:%d %H:%M:%S}"
    if gps is not None:
        lat, lon = gps
        location = exif.get_ifd(0x8825)
        location[1], location[2], location[3], location[4] = "N", dms(lat), "E", dms(lon)
        if altitude is not None:
            location[5], location[6] = 0, IFDRational(round(altitude * 10), 10)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif, xmp=xmp_packet(95.3, -90.0, 12.5))
    return out.getvalue()


def not_a_photo() -> bytes:
    return "这不是照片，只是文字。This is not a photo.\n".encode() * 400


def drone_entries(week: str = WEEK) -> dict[str, float]:
    round_ = ranking_selectors.round_live(campaign_get(), week)
    if round_ is None:
        return {}
    return dict(Entry.objects.filter(round=round_, source="drone").values_list("unit__code", "score"))


def lonely_spot() -> tuple[float, float]:
    """(lat, lon) inside the county but more than 3 km from every village point (WGS-84)."""
    area = campaign_area(campaign_get())
    assert area is not None
    box = area.box
    villages = [unit_point_wgs84(u) for u in Unit.objects.filter(level__in=["village", "community"])]
    villages = [p for p in villages if p is not None]
    steps = 40
    for i in range(1, steps):
        for j in range(1, steps):
            lon = box[0] + (box[2] - box[0]) * i / steps
            lat = box[1] + (box[3] - box[1]) * j / steps
            if area.contains(lon, lat) and \
                    min(geo.distance_m(lon, lat, v_lon, v_lat) for v_lon, v_lat in villages) > 3000:
                return round(lat, 6), round(lon, 6)
    raise AssertionError("no spot in the county 3 km from every village")


def square(lat: float, lon: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


# Fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _placed_by_points(villages_by_their_points):
    """These tests place photos by the villages' points (tests/conftest.py)."""


@pytest.fixture
def office(users):
    return users["office"]


@pytest.fixture
def batch(office, media) -> Batch:
    return services.batch_create(actor=office, campaign=campaign_get(), week=WEEK, name="  第一架次  ")


def ingest(actor, batch: Batch, data: bytes, name: str = "DJI_0001.JPG") -> tuple[DronePhoto, bool]:
    return services.ingest(actor=actor, batch=batch, data=data, filename=name)


def at(code: str, seed: int = 0, week: str = WEEK, **kwargs) -> bytes:
    return aerial_jpeg(gps=point(code), at=in_week(week), seed=seed, **kwargs)


def trace() -> tuple[int, int]:
    return DronePhoto.objects.count(), AuditEvent.objects.filter(action="drone.upload").count()


# Batches and ingest --------------------------------------------------------------------------------------


def test_a_batch_is_a_week_with_a_name_and_audited(office, batch):
    assert (batch.week, batch.name, batch.created_by_id, batch.campaign_id) == (
        WEEK, "第一架次", office.pk, campaign_get().pk)
    event = AuditEvent.objects.get(action="drone.batch", object_id=str(batch.pk))
    assert event.after == {"week": WEEK, "name": "第一架次"}
    unnamed = services.batch_create(actor=office, campaign=campaign_get(), week=WEEK)
    assert unnamed.name == WEEK
    with pytest.raises(Refused) as refused:
        services.batch_create(actor=office, campaign=campaign_get(), week="2026-W54")
    assert (refused.value.code, refused.value.message) == (
        "bad_week", "“2026-W54” is not an ISO week like 2026-W10.")


def test_a_photo_at_a_village_point_is_placed_on_the_nearest_village_with_its_metadata(office, batch, media):
    lat, lon = point(SHUIYUAN)
    data = aerial_jpeg(gps=(lat, lon), at=in_week(WEEK), size=(2400, 1800))
    photo, duplicate = ingest(office, batch, data)
    assert duplicate is False
    assert (photo.village.code, photo.placement) == (SHUIYUAN, "nearest")
    assert photo.placement_distance_m == pytest.approx(0, abs=0.5)
    assert (photo.lat, photo.lon) == (pytest.approx(lat, abs=1e-7), pytest.approx(lon, abs=1e-7))
    assert photo.taken_at == timezone.make_aware(in_week(WEEK))
    assert (photo.week, photo.outside_week, photo.score, photo.flags) == (WEEK, False, None, [])
    assert (photo.sha256, photo.original_bytes, photo.source_format, photo.width, photo.height) == (
        hashlib.sha256(data).hexdigest(), len(data), "JPEG", 2400, 1800)
    assert (photo.make, photo.model, photo.altitude_m, photo.relative_altitude_m, photo.gimbal_pitch,
            photo.gimbal_yaw, photo.metadata_problems) == ("DJI", "FC6310", 1650.5, 95.3, -90.0, 12.5, [])
    assert (photo.filename, photo.uploaded_by_id, photo.batch_id) == ("DJI_0001.JPG", office.pk, batch.pk)
    # The original kept byte for byte and a thumbnail at ingest; the display copy is made when first opened.
    stem = f"drone/{WEEK}/{photo.sha256[:2]}/{photo.sha256}"
    assert (photo.original_name, photo.display_name, photo.thumb_name) == (f"{stem}.jpg", "", f"{stem}-thumb.jpg")
    assert media.names() == sorted(
        [photo.original_name, photo.thumb_name])
    photo = services.display_ensure(photo)
    assert services.display_ensure(DronePhoto.objects.get(pk=photo.pk)).display_name == f"{stem}-display.jpg"
    assert media.names() == sorted(
        [photo.original_name, photo.display_name, photo.thumb_name])  # made once
    assert media.read(photo.original_name) == data
    sizes = {}
    for name in (photo.display_name, photo.thumb_name):
        copy = media.read(name)
        assert b"Exif" not in copy and b"FC6310" not in copy and b"drone-dji" not in copy
        with Image.open(io.BytesIO(copy)) as image:
            assert (image.format, dict(image.getexif())) == ("JPEG", {})
            sizes[name] = image.size
    assert sizes == {photo.display_name: (2048, 1536), photo.thumb_name: (320, 240)}


def test_a_photo_inside_a_village_boundary_is_placed_by_the_boundary(office, batch):
    lat, lon = lonely_spot()
    # Far from every village point and no boundary yet: not placed.
    first, _duplicate = ingest(office, batch, aerial_jpeg(gps=(lat, lon), at=in_week(WEEK), seed=1))
    assert (first.village, first.placement, first.placement_distance_m) == (None, "none", None)
    # The placement index is cached by the units' last change, so the change is stamped like a real import.
    Unit.objects.filter(code=DASHUI).update(boundary=square(lat, lon, 0.01), boundary_datum="wgs84",
                                            updated_at=timezone.now())
    second, _duplicate = ingest(office, batch, aerial_jpeg(gps=(lat, lon), at=in_week(WEEK), seed=2))
    assert (second.village.code, second.placement) == (DASHUI, "boundary")
    # The distance is still to the village's point, 3 km or more away.
    dashui_lat, dashui_lon = point(DASHUI)
    assert second.placement_distance_m == pytest.approx(geo.distance_m(lon, lat, dashui_lon, dashui_lat), abs=1)
    assert second.placement_distance_m > 3000
    first.refresh_from_db()
    assert (first.village, first.placement) == (None, "none")  # placement happens once, at ingest


def test_a_gcj02_boundary_is_converted_before_placing(office, batch):
    lat, lon = lonely_spot()
    gcj_lon, gcj_lat = geo.wgs84_to_gcj02(lon, lat)
    # The datum matters here: the two readings of the spot lie more than 200 m apart, the square is 110 m wide.
    assert geo.distance_m(lon, lat, gcj_lon, gcj_lat) > 200
    Unit.objects.filter(code=DASHUI).update(boundary=square(gcj_lat, gcj_lon, 0.0005), boundary_datum="gcj02",
                                            updated_at=timezone.now())
    photo, _duplicate = ingest(office, batch, aerial_jpeg(gps=(lat, lon), at=in_week(WEEK), seed=3))
    assert (photo.village.code, photo.placement) == (DASHUI, "boundary")
    Unit.objects.filter(code=DASHUI).update(boundary_datum="wgs84", updated_at=timezone.now())
    misread, _duplicate = ingest(office, batch, aerial_jpeg(gps=(lat, lon), at=in_week(WEEK), seed=4))
    assert (misread.village, misread.placement) == (None, "none")


def test_the_same_content_twice_is_one_photo(office, batch, media):
    data = at(SHUIYUAN)
    first, first_duplicate = ingest(office, batch, data, "DJI_0001.JPG")
    files = media.names()
    before = trace()
    again, again_duplicate = ingest(office, batch, data, "copy of DJI_0001.JPG")
    assert (first_duplicate, again_duplicate, again.pk, again.filename) == (False, True, first.pk, "DJI_0001.JPG")
    # Even in another batch of the campaign.
    other = services.batch_create(actor=office, campaign=campaign_get(), week=WEEK, name="second")
    third, third_duplicate = ingest(office, other, data)
    assert (third.pk, third.batch_id, third_duplicate) == (first.pk, batch.pk, True)
    assert trace() == before
    assert DronePhoto.objects.filter(sha256=first.sha256).count() == 1
    assert media.names() == files


def test_a_photo_without_gps_is_kept_unplaced(office, batch):
    photo, _duplicate = ingest(office, batch, aerial_jpeg(at=in_week(WEEK)))
    assert (photo.lat, photo.lon, photo.altitude_m, photo.village, photo.placement, photo.placement_distance_m) == (
        None, None, None, None, "none", None)
    assert (photo.week, photo.outside_week) == (WEEK, False)
    assert list(DronePhoto.objects.filter(batch=batch, village__isnull=True)) == [photo]
    # No time either: the batch's week is taken.
    timeless, _duplicate = ingest(office, batch, aerial_jpeg(seed=5))
    assert (timeless.taken_at, timeless.week, timeless.outside_week) == (None, WEEK, False)


def test_a_photo_taken_outside_the_county_is_refused_and_nothing_stored(office, batch, media):
    before = trace()
    with pytest.raises(Refused) as refused:
        ingest(office, batch, aerial_jpeg(gps=BEIJING, at=in_week(WEEK)), "DJI_0009.JPG")
    assert (refused.value.code, refused.value.message) == (
        "outside_county", "“DJI_0009.JPG” was taken at 39.90420, 116.40740, outside the county.")
    assert trace() == before
    assert not DronePhoto.objects.filter(batch=batch).exists()
    assert media.names() == []


@pytest.mark.parametrize(("data", "code", "reason"), [
    (not_a_photo, "drone_not_image", NOT_A_PHOTO),
    (lambda: b"", "drone_empty", "The file is empty."),
    (lambda: aerial_jpeg()[:4000], "drone_corrupt", "The photo is damaged or incomplete; take or send it again."),
], ids=["text", "empty", "truncated"])
def test_a_file_that_is_not_a_drone_photo_is_refused_and_nothing_stored(office, batch, media, data, code, reason):
    before = trace()
    with pytest.raises(Refused) as refused:
        ingest(office, batch, data(), "DJI_0002.JPG")
    assert (refused.value.code, refused.value.message) == (code, f"“DJI_0002.JPG”: {reason}")
    assert trace() == before
    assert media.names() == []


def test_a_png_is_refused_with_a_message_that_names_what_a_drone_photo_is(office, batch, media):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, "PNG")
    with pytest.raises(Refused) as refused:
        ingest(office, batch, out.getvalue(), "map.png")
    assert (refused.value.code, refused.value.message) == (
        "drone_unsupported_format", "“map.png”: PNG pictures are not accepted; send the drone's JPEG or HEIC photo.")
    assert media.names() == []


def test_a_photo_of_another_week_is_flagged_and_does_not_count(office, batch):
    photo, _duplicate = ingest(office, batch, at(SHUIYUAN, week=PREVIOUS_WEEK))
    assert (photo.week, photo.outside_week, photo.village.code) == (PREVIOUS_WEEK, True, SHUIYUAN)
    services.drone_score(actor=office, photo=photo, score=5)
    assert selectors.week_scores(campaign_get(), WEEK) == {}
    assert selectors.week_scores(campaign_get(), PREVIOUS_WEEK) == {}
    assert drone_entries(WEEK) == {} and drone_entries(PREVIOUS_WEEK) == {}
    coverage = selectors.coverage(campaign_get(), WEEK)
    assert SHUIYUAN not in {v.code for v in coverage.flown} and coverage.photos == {}


# Scores and the week's drone source --------------------------------------------------------------------


def test_scores_feed_the_weeks_drone_source_and_a_hand_upload_is_refused(office, batch):
    campaign = campaign_get()
    four, _d = ingest(office, batch, at(SHUIYUAN, seed=1), "DJI_0001.JPG")
    two, _d = ingest(office, batch, at(SHUIYUAN, seed=2), "DJI_0002.JPG")
    five, _d = ingest(office, batch, at(DASHUI, seed=3), "DJI_0003.JPG")
    unscored, _d = ingest(office, batch, at(SHIMEN, seed=4), "DJI_0004.JPG")
    assert ranking_selectors.round_live(campaign, WEEK) is None
    scored = services.drone_score(actor=office, photo=four, score=4, flags=["garbage", "debris", "garbage"])
    assert (scored.score, scored.flags, scored.scored_by_id) == (4, ["debris", "garbage"], office.pk)
    assert drone_entries() == {SHUIYUAN: 4.0}
    services.drone_score(actor=office, photo=two, score=2)
    services.drone_score(actor=office, photo=five, score=5, flags=["structure"])
    assert drone_entries() == {SHUIYUAN: 3.0, DASHUI: 5.0}
    assert selectors.week_scores(campaign, WEEK) == {four.village_id: 3.0, five.village_id: 5.0}
    round_ = ranking_selectors.round_live(campaign, WEEK)
    assert (round_.drone_from_photos, round_.inspection_from_field, round_.status) == (True, False, "collecting")
    submission = round_.submissions.get(source="drone")
    assert (submission.submitted_by, submission.submitted_by_label, submission.town, submission.entries) == (
        None, "field:drone", None, 2)
    assert unscored.score is None
    # The week's drone source now comes from the photos: a hand upload is refused and changes nothing.
    report = ranking_services.ranking_import(actor=SYSTEM, campaign=campaign, week=WEEK, source="drone",
                                             data=write_csv(["code", "score"], [[SHUIYUAN, "1"], [SHIMEN, "2"]]))
    assert report.problems == [TableProblem("drone_photos", 0, {"week": WEEK})]
    assert drone_entries() == {SHUIYUAN: 3.0, DASHUI: 5.0}


def test_a_week_uploaded_by_hand_keeps_its_sheet_when_photos_are_scored(office, media):
    week = weeks.add_weeks(WEEK, -2)
    report = ranking_services.ranking_import(actor=SYSTEM, campaign=campaign_get(), week=week, source="drone",
                                             data=write_csv(["code", "score"], [[SHUIYUAN, "1"]]))
    assert report.problems == []
    assert drone_entries(week) == {SHUIYUAN: 1.0}
    # A week's source comes from the sheet or from the photos, never a silent mix.
    late = services.batch_create(actor=office, campaign=campaign_get(), week=week, name="late")
    photo, _d = ingest(office, late, at(DASHUI, week=week))
    scored = services.drone_score(actor=office, photo=photo, score=5)
    assert (scored.score, drone_entries(week)) == (5, {SHUIYUAN: 1.0})
    assert ranking_selectors.round_live(campaign_get(), week).drone_from_photos is False
    event = AuditEvent.objects.get(action="drone.score", object_id=str(photo.pk))
    assert event.after["counted"] == "uploaded"


@pytest.mark.parametrize(("score", "flags", "code", "message"), [
    (0, [], "bad_score", "A drone score is a whole number from 1 to 5."),
    (6, [], "bad_score", "A drone score is a whole number from 1 to 5."),
    (3.5, [], "bad_score", "A drone score is a whole number from 1 to 5."),
    (3, ["x", "garbage", "fire"], "bad_flag", "Unknown flags: fire, x."),
], ids=["zero", "six", "fraction", "flag"])
def test_a_bad_score_or_flag_is_refused_and_nothing_changes(office, batch, score, flags, code, message):
    photo, _duplicate = ingest(office, batch, at(SHUIYUAN))
    services.drone_score(actor=office, photo=photo, score=2, flags=["debris"])
    events = AuditEvent.objects.filter(action="drone.score").count()
    with pytest.raises(Refused) as refused:
        services.drone_score(actor=office, photo=photo, score=score, flags=flags)
    assert (refused.value.code, refused.value.message) == (code, message)
    photo.refresh_from_db()
    assert (photo.score, photo.flags) == (2, ["debris"])
    assert AuditEvent.objects.filter(action="drone.score").count() == events
    assert drone_entries() == {SHUIYUAN: 2.0}


def test_clearing_a_villages_only_score_takes_it_out_of_the_source(office, batch):
    only, _d = ingest(office, batch, at(SHUIYUAN, seed=1))
    other, _d = ingest(office, batch, at(DASHUI, seed=2))
    services.drone_score(actor=office, photo=only, score=4)
    services.drone_score(actor=office, photo=other, score=1)
    assert drone_entries() == {SHUIYUAN: 4.0, DASHUI: 1.0}
    cleared = services.drone_score(actor=office, photo=only, score=None)
    assert (cleared.score, cleared.flags, cleared.scored_by) == (None, [], None)
    assert drone_entries() == {DASHUI: 1.0}
    assert ranking_selectors.round_live(campaign_get(), WEEK).submissions.get(source="drone").entries == 1


def test_placing_by_hand_moves_the_score_with_the_photo(office, batch):
    photo, _d = ingest(office, batch, aerial_jpeg(at=in_week(WEEK)))
    services.drone_score(actor=office, photo=photo, score=4)
    assert drone_entries() == {}  # an unplaced photo counts for no village
    placed = services.drone_place(actor=office, photo=photo, village=Unit.objects.get(code=DASHUI))
    assert (placed.village.code, placed.placement, placed.placement_distance_m) == (DASHUI, "manual", None)
    assert drone_entries() == {DASHUI: 4.0}
    moved = services.drone_place(actor=office, photo=photo, village=Unit.objects.get(code=SHUIYUAN))
    assert (moved.village.code, moved.placement) == (SHUIYUAN, "manual")
    assert drone_entries() == {SHUIYUAN: 4.0}
    off = services.drone_place(actor=office, photo=photo, village=None)
    assert (off.village, off.placement) == (None, "none")
    assert drone_entries() == {}
    with pytest.raises(Refused) as refused:
        services.drone_place(actor=office, photo=photo, village=Unit.objects.get(code=YITIAOSHAN))
    assert (refused.value.code, refused.value.message) == ("not_village", "一条山镇 is not a village or community.")
    photo.refresh_from_db()
    assert (photo.village, photo.placement) == (None, "none")


def test_a_nearest_placement_can_be_corrected_by_hand(office, batch):
    photo, _d = ingest(office, batch, at(SHUIYUAN))
    placed = services.drone_place(actor=office, photo=photo, village=Unit.objects.get(code=SHIMEN))
    assert (placed.village.code, placed.placement, placed.placement_distance_m) == (SHIMEN, "manual", None)
    assert drone_entries() == {}  # not scored: nothing to feed
    assert AuditEvent.objects.get(action="drone.place", object_id=str(photo.pk)).after["counted"] == ""


# Problems from drone photos -------------------------------------------------------------------------------


def test_a_problem_raised_from_a_photo_carries_its_spot_and_its_display_copy(office, batch, media):
    photo, _d = ingest(office, batch, at(DASHUI, size=(2400, 1800)))
    files = media.names()
    category = Category.objects.get(campaign=campaign_get(), code="garbage")
    problem = services.drone_raise_problem(actor=office, photo=photo, category=category,
                                           description="  村口垃圾堆放  ")
    problem = Problem.objects.get(pk=problem.pk)
    photo.refresh_from_db()  # raising the problem made the display copy: it is the evidence
    assert (problem.source, problem.village.code, problem.town.code, problem.category.code, problem.description) == (
        "drone", DASHUI, "620423103000", "garbage", "村口垃圾堆放")
    assert (problem.lat, problem.lon, problem.status, problem.reported_by_id) == (
        photo.lat, photo.lon, "dispatched", office.pk)
    evidence = list(problem.problem_photos.all())
    assert [p.kind for p in evidence] == ["before"]
    copy = evidence[0].photo
    # The field photo's size is its display copy's, as for every field photo.
    assert (copy.display_name, copy.thumb_name, copy.sha256, copy.width, copy.height, copy.source_bytes) == (
        photo.display_name, photo.thumb_name, photo.sha256, 2048, 1536, photo.original_bytes)
    assert (copy.village_id, copy.uploaded_by_id, copy.lat, copy.lon, copy.location_source, copy.taken_at) == (
        photo.village_id, office.pk, photo.lat, photo.lon, "exif", photo.taken_at)
    # The same stored files, nothing copied: only the display copy was made (as opening the photo would).
    assert media.names() == sorted([*files, photo.display_name])
    assert AuditEvent.objects.filter(action="problem.report", object_id=str(problem.pk)).count() == 1


def test_an_unplaced_photo_cannot_raise_a_problem(office, batch):
    photo, _d = ingest(office, batch, aerial_jpeg(at=in_week(WEEK)))
    before = (Problem.objects.count(), Photo.objects.count())
    with pytest.raises(Refused) as refused:
        services.drone_raise_problem(actor=office, photo=photo, category=Category.objects.get(
            campaign=campaign_get(), code="garbage"), description="垃圾")
    assert (refused.value.code, refused.value.message) == ("not_placed", "Place the photo on a village first.")
    assert (Problem.objects.count(), Photo.objects.count()) == before


# Who may do it -------------------------------------------------------------------------------------------


def test_the_county_admin_may_ingest_and_score(users, batch):
    photo, duplicate = ingest(users["county_admin"], batch, at(SHUIYUAN))
    assert (duplicate, photo.uploaded_by_id) == (False, users["county_admin"].pk)
    assert services.drone_score(actor=users["county_admin"], photo=photo, score=3).score == 3


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_may_upload_score_place_or_raise(users, office, batch, media, role):
    actor = users[role]
    photo, _d = ingest(office, batch, at(DASHUI))
    files = media.names()
    events = AuditEvent.objects.count()
    category = Category.objects.get(campaign=campaign_get(), code="garbage")
    attempts = [
        lambda: services.batch_create(actor=actor, campaign=campaign_get(), week=WEEK),
        lambda: ingest(actor, batch, at(SHUIYUAN, seed=9)),
        lambda: services.drone_score(actor=actor, photo=photo, score=1),
        lambda: services.drone_place(actor=actor, photo=photo, village=Unit.objects.get(code=SHUIYUAN)),
        lambda: services.drone_raise_problem(actor=actor, photo=photo, category=category, description="垃圾"),
        lambda: services.upload_open(actor=actor, batch=batch, key="k", filename="DJI_0001.JPG", size=100),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    photo.refresh_from_db()
    assert (photo.score, photo.village.code, photo.placement) == (None, DASHUI, "nearest")
    assert AuditEvent.objects.count() == events
    assert (Batch.objects.filter(week=WEEK).count(), DronePhoto.objects.filter(batch=batch).count()) == (1, 1)
    assert not Upload.objects.filter(created_by=actor).exists()
    assert media.names() == files
    assert drone_entries() == {}


# The audit trail -----------------------------------------------------------------------------------------


def test_upload_score_and_place_are_audited_with_their_values(office, batch):
    lat, lon = point(SHUIYUAN)
    photo, _d = ingest(office, batch, aerial_jpeg(gps=(lat, lon), at=in_week(WEEK)), "DJI_0042.JPG")
    upload = AuditEvent.objects.get(action="drone.upload", object_id=str(photo.pk))
    assert (upload.actor_id, upload.object_type, upload.before) == (office.pk, "drone_photo", None)
    assert upload.after == {
        "sha256": photo.sha256, "batch": batch.pk, "file": "DJI_0042.JPG", "village": SHUIYUAN,
        "placement": "nearest", "lat": photo.lat, "lon": photo.lon,
        "taken_at": timezone.make_aware(in_week(WEEK)).isoformat(), "week": WEEK, "outside_week": False}
    services.drone_score(actor=office, photo=photo, score=2, flags=["stacking"])
    score = AuditEvent.objects.filter(action="drone.score", object_id=str(photo.pk)).get()
    assert (score.before, score.after) == (
        {"score": None, "flags": [], "village": SHUIYUAN, "placement": "nearest"},
        {"score": 2, "flags": ["stacking"], "village": SHUIYUAN, "placement": "nearest", "counted": "fed"})
    services.drone_place(actor=office, photo=photo, village=Unit.objects.get(code=SHIMEN))
    place = AuditEvent.objects.filter(action="drone.place", object_id=str(photo.pk)).get()
    assert (place.before, place.after) == (
        {"score": 2, "flags": ["stacking"], "village": SHUIYUAN, "placement": "nearest"},
        {"score": 2, "flags": ["stacking"], "village": SHIMEN, "placement": "manual", "counted": "fed"})
    feed = AuditEvent.objects.filter(action="ranking.drone_feed", object_id=f"{campaign_get().slug}/{WEEK}")
    assert [e.after["villages"] for e in feed.order_by("seq")] == [1, 1]


def test_a_score_in_a_published_week_is_kept_but_not_counted(office, media):
    campaign = campaign_get()
    week = weeks.add_weeks(weeks.week_of(timezone.localdate()), -1)  # published by the demo
    round_ = ranking_selectors.round_live(campaign, week)
    assert round_.status == "published"
    entries = drone_entries(week)
    late = services.batch_create(actor=office, campaign=campaign, week=week, name="late")
    photo, _d = ingest(office, late, at(SHUIYUAN, week=week))
    scored = services.drone_score(actor=office, photo=photo, score=5)
    assert Entry.objects.filter(round__campaign=campaign, round__week=week, source="drone").count() == len(entries)
    assert (scored.score, drone_entries(week)) == (5, entries)
    assert ranking_selectors.round_live(campaign, week).status == "published"
    event = AuditEvent.objects.get(action="drone.score", object_id=str(photo.pk))
    assert event.after["counted"] == "closed"


# Resumable uploads ---------------------------------------------------------------------------------------


def chunks(data: bytes, count: int) -> list[bytes]:
    size = -(-len(data) // count)
    return [data[i:i + size] for i in range(0, len(data), size)]


def part_file(upload: Upload) -> Path:
    return services._upload_path(upload)


def open_upload(actor, batch, data: bytes, key: str = "DJI_0001.JPG:1234:1700000000", name: str = "DJI_0001.JPG"):
    return services.upload_open(actor=actor, batch=batch, key=key, filename=name, size=len(data))


def test_chunks_in_order_store_the_photo(office, batch, media):
    data = at(SHUIYUAN)
    upload = open_upload(office, batch, data)
    assert (upload.status, upload.received, upload.size, upload.filename, upload.photo) == (
        "open", 0, len(data), "DJI_0001.JPG", None)
    parts = chunks(data, 3)
    offset = 0
    for part in parts[:-1]:
        upload = services.upload_append(actor=office, upload=upload, offset=offset, data=part)
        offset += len(part)
        assert (upload.status, upload.received) == ("open", offset)
        assert part_file(upload).read_bytes() == data[:offset]
    upload = services.upload_append(actor=office, upload=upload, offset=offset, data=parts[-1])
    photo = DronePhoto.objects.get(sha256=hashlib.sha256(data).hexdigest())
    assert (upload.status, upload.received, upload.photo_id, upload.message) == ("stored", len(data), photo.pk, "")
    assert (photo.batch_id, photo.filename, photo.village.code) == (batch.pk, "DJI_0001.JPG", SHUIYUAN)
    assert default_storage.open(photo.original_name).read() == data
    assert not part_file(upload).exists()
    # A chunk arriving after the end changes nothing.
    late = services.upload_append(actor=office, upload=upload, offset=0, data=parts[0])
    assert (late.status, late.photo_id) == ("stored", photo.pk)
    assert DronePhoto.objects.filter(batch=batch).count() == 1


def test_a_chunk_sent_twice_is_ignored(office, batch):
    data = at(SHUIYUAN)
    first, second = chunks(data, 2)
    upload = open_upload(office, batch, data)
    upload = services.upload_append(actor=office, upload=upload, offset=0, data=first)
    again = services.upload_append(actor=office, upload=upload, offset=0, data=first)
    assert (again.received, again.status) == (len(first), "open")
    assert part_file(upload).read_bytes() == first
    done = services.upload_append(actor=office, upload=upload, offset=len(first), data=second)
    assert done.status == "stored"
    assert DronePhoto.objects.get(pk=done.photo_id).sha256 == hashlib.sha256(data).hexdigest()


def test_a_gap_is_refused_with_what_the_server_holds(office, batch):
    data = at(SHUIYUAN)
    first, second = chunks(data, 2)
    upload = open_upload(office, batch, data)
    services.upload_append(actor=office, upload=upload, offset=0, data=first[:1000])
    with pytest.raises(Refused) as refused:
        services.upload_append(actor=office, upload=upload, offset=len(first), data=second)
    assert (refused.value.code, refused.value.params, refused.value.message) == (
        "offset", {"received": 1000}, "The server holds 1000 bytes of “DJI_0001.JPG”; send from there.")
    upload.refresh_from_db()
    assert (upload.received, upload.status) == (1000, "open")
    assert part_file(upload).read_bytes() == first[:1000]


def test_the_same_key_resumes_the_same_upload(office, batch):
    data = at(SHUIYUAN)
    first, second = chunks(data, 2)
    upload = open_upload(office, batch, data)
    services.upload_append(actor=office, upload=upload, offset=0, data=first)
    resumed = open_upload(office, batch, data)
    assert (resumed.pk, resumed.received, resumed.status) == (upload.pk, len(first), "open")
    done = services.upload_append(actor=office, upload=resumed, offset=resumed.received, data=second)
    assert done.status == "stored"
    # Another key is another upload.
    other = open_upload(office, batch, data, key="DJI_0001.JPG:1234:1700000999")
    assert (other.pk != upload.pk, other.received) == (True, 0)
    assert Upload.objects.filter(batch=batch).count() == 2


def test_a_stored_file_chosen_again_is_a_duplicate_not_stored_twice(office, batch):
    data = at(SHUIYUAN)
    upload = open_upload(office, batch, data)
    stored = services.upload_append(actor=office, upload=upload, offset=0, data=data)
    assert stored.status == "stored"
    again = open_upload(office, batch, data)
    assert (again.pk, again.status, again.received, again.photo_id) == (upload.pk, "duplicate", len(data),
                                                                         stored.photo_id)
    assert again.message == "Already uploaded as “DJI_0001.JPG” (same content)."
    upload.refresh_from_db()
    assert upload.status == "stored"  # the record of the upload that stored it stays
    assert DronePhoto.objects.filter(batch=batch).count() == 1


def test_a_size_change_or_a_longer_file_is_refused(office, batch):
    data = at(SHUIYUAN)
    upload = open_upload(office, batch, data)
    with pytest.raises(Refused) as changed:
        services.upload_open(actor=office, batch=batch, key="DJI_0001.JPG:1234:1700000000", filename="DJI_0001.JPG",
                             size=len(data) + 1)
    assert (changed.value.code, changed.value.message) == (
        "size_changed", "“DJI_0001.JPG” changed size since its upload began; start it again.")
    with pytest.raises(Refused) as longer:
        services.upload_append(actor=office, upload=upload, offset=0, data=data + b"\x00")
    assert (longer.value.code, longer.value.message) == ("overflow", "“DJI_0001.JPG” is longer than announced.")
    upload.refresh_from_db()
    assert (upload.received, upload.size, upload.status) == (0, len(data), "open")
    assert not part_file(upload).exists()


def test_an_empty_or_too_large_file_is_refused_before_any_byte(office, batch):
    with pytest.raises(Refused) as empty:
        services.upload_open(actor=office, batch=batch, key="a", filename="DJI_0001.JPG", size=0)
    assert (empty.value.code, empty.value.message) == ("empty", "The file “DJI_0001.JPG” is empty.")
    with pytest.raises(Refused) as large:
        services.upload_open(actor=office, batch=batch, key="b", filename="DJI_0001.JPG",
                             size=60 * 1024 * 1024 + 1)
    assert (large.value.code, large.value.message) == ("too_large", "“DJI_0001.JPG” is 60.0 MB; the limit is 60 MB.")
    assert not Upload.objects.filter(batch=batch).exists()


def test_the_last_chunk_of_a_file_that_is_no_photo_refuses_it_and_removes_the_part(office, batch, media):
    data = not_a_photo()
    first, second = chunks(data, 2)
    upload = open_upload(office, batch, data, name="notes.JPG")
    services.upload_append(actor=office, upload=upload, offset=0, data=first)
    assert part_file(upload).exists()
    done = services.upload_append(actor=office, upload=upload, offset=len(first), data=second)
    assert (done.status, done.photo, done.received, done.message) == (
        "refused", None, len(data), f"“notes.JPG”: {NOT_A_PHOTO}")
    assert Upload.objects.get(pk=upload.pk).status == "refused"
    assert not DronePhoto.objects.filter(batch=batch).exists()
    assert not part_file(upload).exists()
    assert media.names() == []


def test_a_duplicate_upload_points_at_the_first_photo(office, batch):
    data = at(SHUIYUAN)
    first, _d = ingest(office, batch, data, "DJI_0001.JPG")
    upload = open_upload(office, batch, data, key="again", name="DJI_0001 (1).JPG")
    done = services.upload_append(actor=office, upload=upload, offset=0, data=data)
    assert (done.status, done.photo_id, done.message) == (
        "duplicate", first.pk, "Already uploaded as “DJI_0001.JPG” (same content).")
    assert DronePhoto.objects.filter(batch=batch).count() == 1
    assert not part_file(upload).exists()


def test_only_the_uploader_may_append_to_an_upload(users, office, batch):
    data = at(SHUIYUAN)
    upload = open_upload(office, batch, data)
    with pytest.raises(PermissionDenied):
        services.upload_append(actor=users["county_admin"], upload=upload, offset=0, data=data)
    upload.refresh_from_db()
    assert (upload.received, upload.status) == (0, "open")


def test_stale_uploads_are_removed_with_their_parts(office, batch):
    data = at(SHUIYUAN)
    stale = open_upload(office, batch, data, key="stale")
    services.upload_append(actor=office, upload=stale, offset=0, data=data[:100])
    fresh = open_upload(office, batch, data, key="fresh")
    Upload.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert services.uploads_stale() == 1
    assert list(Upload.objects.filter(batch=batch)) == [fresh]
    assert not part_file(stale).exists()
