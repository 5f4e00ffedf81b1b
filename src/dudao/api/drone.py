"""Drone imagery endpoints: batches, resumable uploads, photos, scoring, placing, raising problems, coverage.
Reads through accounts.access, writes through dudao.drone.services."""

import datetime as dt
import uuid

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from dudao.accounts import access
from dudao.api.errors import answers
from dudao.api.paging import offset_query
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.drone import selectors as drone_selectors
from dudao.drone import services
from dudao.drone.access import drone_photos_visible_to
from dudao.drone.models import Batch, DronePhoto, Upload
from dudao.org.access import unit_visible_or_404
from dudao.problems.models import Category

router = Router(tags=["drone"])


class BatchIn(Schema):
    week: str
    name: str = ""


class BatchOut(Schema):
    id: int
    week: str
    name: str
    photos: int
    created_at: dt.datetime


class UploadIn(Schema):
    key: str
    filename: str
    size: int


class UploadOut(Schema):
    id: uuid.UUID
    filename: str
    size: int
    received: int
    status: str
    message: str
    photo: int | None


class DronePhotoOut(Schema):
    id: int
    batch: int
    filename: str
    taken_at: dt.datetime | None
    lat: float | None
    lon: float | None
    altitude_m: float | None
    relative_altitude_m: float | None
    gimbal_pitch: float | None
    gimbal_yaw: float | None
    village: str | None
    village_name: str | None
    placement: str
    placement_distance_m: float | None
    week: str
    outside_week: bool
    score: int | None
    flags: list[str]
    metadata_problems: list[str]
    url: str
    thumb_url: str


class ScoreIn(Schema):
    score: int | None
    flags: list[str] = []


class PlaceIn(Schema):
    village: str | None


class RaiseIn(Schema):
    category: str
    description: str


class Raised(Schema):
    problem: int
    number: str


class CoverageVillage(Schema):
    code: str
    name: str
    town: str
    photos: int


class CoverageOut(Schema):
    week: str
    flown: list[CoverageVillage]
    not_flown: list[CoverageVillage]


def _office(request) -> None:
    if not access.is_office(request.user):
        raise HttpError(403, _("You may not see or change this."))


def _refused(error: Refused) -> HttpError:
    return HttpError(409 if error.code == "offset" else 422, error.message)


def _photo_out(photo: DronePhoto) -> DronePhotoOut:
    return DronePhotoOut(
        id=photo.pk, batch=photo.batch_id, filename=photo.filename, taken_at=photo.taken_at, lat=photo.lat,
        lon=photo.lon, altitude_m=photo.altitude_m, relative_altitude_m=photo.relative_altitude_m,
        gimbal_pitch=photo.gimbal_pitch, gimbal_yaw=photo.gimbal_yaw,
        village=photo.village.code if photo.village else None,
        village_name=photo.village.name if photo.village else None, placement=photo.placement,
        placement_distance_m=photo.placement_distance_m, week=photo.week, outside_week=photo.outside_week,
        score=photo.score, flags=photo.flags, metadata_problems=photo.metadata_problems,
        url=reverse("drone_display", args=[photo.pk]), thumb_url=reverse("drone_thumb", args=[photo.pk]))


def _upload_out(upload: Upload) -> UploadOut:
    return UploadOut(id=upload.pk, filename=upload.filename, size=upload.size, received=upload.received,
                     status=upload.status, message=upload.message, photo=upload.photo_id)


@router.post("/drone/batches", response=answers({201: BatchOut}, 403, 422),
             summary="Start a week's batch of drone photos (office)")
def batch_create(request, payload: BatchIn):
    _office(request)
    try:
        batch = services.batch_create(actor=request.user, campaign=campaign_get(), week=payload.week,
                                      name=payload.name)
    except Refused as error:
        raise _refused(error) from None
    return Status(201, BatchOut(id=batch.pk, week=batch.week, name=batch.name, photos=0, created_at=batch.created_at))


@router.get("/drone/batches", response=answers(list[BatchOut], 403, 422), summary="The campaign's drone batches")
def batches(request, week: str = ""):
    _office(request)
    rows = Batch.objects.filter(campaign=campaign_get()).annotate(photo_count=Count("photos"))
    if week:
        rows = rows.filter(week=week)
    return [BatchOut(id=b.pk, week=b.week, name=b.name, photos=b.photo_count, created_at=b.created_at)
            for b in rows]


@router.post("/drone/batches/{batch_id}/uploads", response=answers(UploadOut, 403, 404, 422),
             summary="Open (or resume) the upload of one file",
             description="The same key (the browser's name + size + modification time) returns the upload begun "
                         "before, with how many bytes the server holds: send the rest from there.")
def upload_open(request, batch_id: int, payload: UploadIn):
    _office(request)
    batch = get_object_or_404(Batch, pk=batch_id, campaign=campaign_get())
    try:
        return _upload_out(services.upload_open(actor=request.user, batch=batch, key=payload.key,
                                                filename=payload.filename, size=payload.size))
    except Refused as error:
        raise _refused(error) from None


@router.put("/drone/uploads/{upload_id}", response=answers(UploadOut, 403, 404, 409, 422),
            summary="Send one chunk (the raw request body) at an offset",
            description="offset must equal the bytes the server holds (else 409 with the right number in the "
                        "message and GET gives it); the last chunk ingests the photo: status stored, duplicate or "
                        "refused (with the reason).")
def upload_chunk(request, upload_id: uuid.UUID, offset: int = Query(..., ge=0)):
    _office(request)
    upload = get_object_or_404(Upload, pk=upload_id, created_by=request.user)
    try:
        return _upload_out(services.upload_append(actor=request.user, upload=upload, offset=offset,
                                                  data=request.body))
    except Refused as error:
        raise _refused(error) from None


@router.get("/drone/uploads/{upload_id}", response=answers(UploadOut, 403, 404, 422), summary="How far an upload got")
def upload_state(request, upload_id: uuid.UUID):
    _office(request)
    return _upload_out(get_object_or_404(Upload, pk=upload_id, created_by=request.user))


@router.get("/drone/photos", response=answers(list[DronePhotoOut], 422), summary="Drone photos in the caller's area")
def photos(request, week: str = "", batch: int | None = None, village: str = "", state: str = "",
           limit: int = Query(500, ge=1, le=5000), offset: int = offset_query()):
    rows = drone_photos_visible_to(request.user).select_related("village")
    if week:
        rows = rows.filter(batch__week=week)
    if batch is not None:
        rows = rows.filter(batch_id=batch)
    if village:
        rows = rows.filter(village__code=village)
    if state == "unscored":
        rows = rows.filter(score__isnull=True, village__isnull=False)
    elif state == "scored":
        rows = rows.filter(score__isnull=False)
    elif state == "unplaced":
        rows = rows.filter(village__isnull=True)
    elif state == "outside_week":
        rows = rows.filter(outside_week=True)
    return [_photo_out(p) for p in rows[offset: offset + limit]]


def _photo(request, photo_id: int) -> DronePhoto:
    return get_object_or_404(drone_photos_visible_to(request.user).select_related("village", "batch"),
                             pk=photo_id)


@router.get("/drone/photos/{photo_id}", response=answers(DronePhotoOut, 404, 422), summary="One drone photo")
def photo(request, photo_id: int):
    return _photo_out(_photo(request, photo_id))


@router.post("/drone/photos/{photo_id}/score", response=answers(DronePhotoOut, 403, 404, 422),
             summary="Score 1–5 (null clears) with rubric flags; the week's drone ranking follows")
def score(request, photo_id: int, payload: ScoreIn):
    _office(request)
    try:
        return _photo_out(services.drone_score(actor=request.user, photo=_photo(request, photo_id),
                                               score=payload.score, flags=payload.flags))
    except Refused as error:
        raise _refused(error) from None


@router.post("/drone/photos/{photo_id}/place", response=answers(DronePhotoOut, 403, 404, 422),
             summary="Place a photo on a village by hand")
def place(request, photo_id: int, payload: PlaceIn):
    _office(request)
    village = None
    if payload.village:
        village = unit_visible_or_404(request.user, payload.village)
        if not village.is_ranked:
            raise HttpError(422, _("%(name)s is not a village or community.") % {"name": village.name})
    try:
        return _photo_out(services.drone_place(actor=request.user, photo=_photo(request, photo_id), village=village))
    except Refused as error:
        raise _refused(error) from None


@router.post("/drone/photos/{photo_id}/problem", response=answers({201: Raised}, 403, 404, 422),
             summary="Raise a problem at the photo's spot, with the photo")
def raise_problem(request, photo_id: int, payload: RaiseIn):
    _office(request)
    category = Category.objects.filter(campaign=campaign_get(), code=payload.category, active=True).first()
    if category is None:
        raise HttpError(422, _("The category is not in use in this campaign."))
    try:
        problem = services.drone_raise_problem(actor=request.user, photo=_photo(request, photo_id),
                                               category=category, description=payload.description)
    except Refused as error:
        raise _refused(error) from None
    return Status(201, Raised(problem=problem.pk, number=problem.number))


@router.get("/drone/coverage", response=answers(CoverageOut, 422),
            summary="Which villages the week's drone photos cover")
def coverage(request, week: str):
    try:
        from dudao.core import weeks

        weeks.parse_week(week)
    except ValueError:
        raise HttpError(422, _("The week must look like 2026-W10.")) from None
    found = drone_selectors.coverage(campaign_get(), week, user=request.user)

    def row(v) -> CoverageVillage:
        return CoverageVillage(code=v.code, name=v.name, town=v.parent.code if v.parent else "",
                               photos=found.photos.get(v.pk, 0))
    return CoverageOut(week=week, flown=[row(v) for v in found.flown], not_flown=[row(v) for v in found.not_flown])


