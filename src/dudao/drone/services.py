"""Drone imagery: resumable uploads, ingest (metadata, placement, display copies), scoring, reassigning, raising
problems, and the week's drone source fed from the scores. The office does all of it (access.is_office);
every change is audit-logged."""

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.accounts.actors import actor_label, actor_user
from dudao.audit.services import audit_record
from dudao.core import geo, weeks
from dudao.core.errors import Refused
from dudao.drone import aerial, placement
from dudao.drone.models import Batch, DronePhoto, Flag, Placement, Upload
from dudao.drone.selectors import week_scores
from dudao.org.models import Unit
from dudao.org.selectors import campaign_area
from dudao.ranking import services as ranking_services
from dudao.ranking.models import SourceName

CHUNK_MAX = 8 * 1024 * 1024



def batch_create(*, actor, campaign, week: str, name: str = "") -> Batch:
    access.require_office(actor)
    try:
        weeks.parse_week(week)
    except ValueError:
        raise Refused("bad_week", _("“%(week)s” is not an ISO week like 2026-W10.") % {"week": week}) from None
    with transaction.atomic():
        batch = Batch.objects.create(campaign=campaign, week=week, name=name.strip()[:100] or week,
                                     created_by=actor, created_at=timezone.now())
        audit_record(actor=actor, action="drone.batch", object_type="drone_batch", object_id=str(batch.pk),
                     after={"week": week, "name": batch.name})
    return batch


# Resumable uploads ---------------------------------------------------------------------------------------


def _upload_path(upload: Upload) -> Path:
    return Path(settings.UPLOAD_DIR) / f"{upload.pk}.part"


def upload_open(*, actor, batch: Batch, key: str, filename: str, size: int) -> Upload:
    """Start an upload, or find the one this browser started for the same file (to resume it)."""
    access.require_office(actor)
    if size <= 0:
        raise Refused("empty", _("The file “%(name)s” is empty.") % {"name": filename})
    if size > aerial.MAX_BYTES:
        raise Refused("too_large", _("“%(name)s” is %(size)s MB; the limit is %(max)s MB.") % {
            "name": filename, "size": round(size / 1024 / 1024, 1), "max": aerial.MAX_BYTES // 1024 // 1024})
    key = key.strip()[:300] or f"{filename}:{size}"
    upload, _created = Upload.objects.get_or_create(
        batch=batch, created_by=actor, key=key,
        defaults={"filename": Path(filename).name[:255], "size": size, "created_at": timezone.now()})
    if upload.size != size:
        raise Refused("size_changed", _("“%(name)s” changed size since its upload began; start it again.")
                      % {"name": filename})
    if upload.status == "stored" and upload.photo is not None:
        # The same file chosen again after it was stored: this time it is a duplicate (the answer says so; the
        # upload keeps its record as the one that stored the photo), so it is not counted as stored twice.
        upload.status = "duplicate"
        upload.message = _("Already uploaded as “%(name)s” (same content).") % {"name": upload.photo.filename}
    return upload


def upload_append(*, actor, upload: Upload, offset: int, data: bytes) -> Upload:
    """Append a chunk at ``offset`` (which must be what the server holds: a chunk sent twice is ignored);
    the last chunk ingests the photo."""
    if upload.created_by_id != actor.pk:
        raise PermissionDenied
    if upload.status != "open":
        return upload
    if len(data) > CHUNK_MAX:
        raise Refused("chunk_too_large", _("A chunk may hold at most %(max)s MB.") % {"max": CHUNK_MAX // 1024 // 1024})
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        if offset + len(data) <= locked.received:
            return locked  # a retry of a chunk already here
        if offset != locked.received:
            raise Refused("offset", _("The server holds %(received)s bytes of “%(name)s”; send from there.")
                          % {"received": locked.received, "name": locked.filename}, received=locked.received)
        if locked.received + len(data) > locked.size:
            raise Refused("overflow", _("“%(name)s” is longer than announced.") % {"name": locked.filename})
        path = _upload_path(locked)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "r+b" if path.exists() else "wb") as part:
            part.truncate(locked.received)  # drop what a broken earlier request may have left
            part.seek(locked.received)
            part.write(data)
        locked.received += len(data)
        locked.save(update_fields=["received"])
    if locked.received == locked.size:
        return _finish(actor, locked)
    return locked


def _finish(actor, upload: Upload) -> Upload:
    path = _upload_path(upload)
    data = path.read_bytes()
    try:
        photo, duplicate = ingest(actor=actor, batch=upload.batch, data=data, filename=upload.filename)
    except Refused as refused:
        upload.status, upload.message = "refused", refused.message[:500]
    else:
        upload.status, upload.photo = ("duplicate" if duplicate else "stored"), photo
        if duplicate:
            upload.message = _("Already uploaded as “%(name)s” (same content).") % {"name": photo.filename}
    upload.save(update_fields=["status", "photo", "message"])
    path.unlink(missing_ok=True)
    return upload


# Ingest --------------------------------------------------------------------------------------------------


@dataclass
class _IndexCache:
    key: tuple = ()
    index: placement.Index | None = None


_cache = _IndexCache()


def village_index(campaign) -> placement.Index:
    """The placement index of the campaign's villages (rebuilt when a unit changes)."""
    units = Unit.objects.ranked().filter(active=True)
    if campaign.county_id:
        units = units.filter(path__startswith=campaign.county.path)
    key = (campaign.pk, units.count(), units.aggregate(m=Max("updated_at"))["m"], settings.DRONE_NEAREST_METRES)
    if _cache.key != key or _cache.index is None:
        villages = []
        for unit in units.only("pk", "lon", "lat", "point_datum", "boundary", "boundary_datum"):
            point = geo.to_wgs84(unit.lon, unit.lat, unit.point_datum) if unit.lon is not None and \
                unit.lat is not None else None
            boundary = placement.boundary_to_wgs84(unit.boundary, unit.boundary_datum or "wgs84") \
                if unit.boundary else None
            villages.append(placement.Village(unit.pk, point, boundary))
        _cache.key, _cache.index = key, placement.Index(villages, nearest_within_m=settings.DRONE_NEAREST_METRES)
    return _cache.index


def _refusal(refused: aerial.AerialRefused, filename: str) -> Refused:
    from dudao.photos.services import refusal_message

    reason = refusal_message(refused)  # the same codes and words as field photos
    # ...except where those name the field photo formats (PNG, WebP), which a drone upload may not be.
    if refused.code == "not_image":
        reason = _("The file is not a photo (JPEG or HEIC), whatever its name says.")
    elif refused.code == "unsupported_format":
        reason = _("%(format)s pictures are not accepted; send the drone's JPEG or HEIC photo.") % {
            "format": refused.params.get("format")}
    return Refused(f"drone_{refused.code}", _("“%(name)s”: %(reason)s") % {"name": filename, "reason": reason})


def ingest(*, actor, batch: Batch, data: bytes, filename: str) -> tuple[DronePhoto, bool]:
    """Store one drone photo (or find it already stored: same content); (photo, was_duplicate)."""
    access.require_office(actor)
    try:
        # Metadata and the thumbnail only: the display copy is made when someone first opens the photo, which
        # keeps a batch of hundreds fast (bench/drone_ingest.py).
        found = aerial.process(data, with_display=False)
    except aerial.AerialRefused as refused:
        raise _refusal(refused, filename) from None
    existing = DronePhoto.objects.filter(campaign=batch.campaign, sha256=found.sha256).first()
    if existing is not None:
        return existing, True
    if found.lat is not None and found.lon is not None:
        area = campaign_area(batch.campaign)
        if area is not None and not area.contains(found.lon, found.lat):
            raise Refused("outside_county", _("“%(name)s” was taken at %(lat).5f, %(lon).5f, outside the county.")
                          % {"name": filename, "lat": found.lat, "lon": found.lon})
        placed = village_index(batch.campaign).place(found.lon, found.lat)
    else:
        placed = placement.Placed(None, "none", None)
    taken_at = found.taken_at
    if taken_at is not None and timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    week = weeks.week_of(timezone.localtime(taken_at).date()) if taken_at else batch.week
    stem = f"drone/{batch.week}/{found.sha256[:2]}/{found.sha256}"
    extension = "heic" if found.source_format == "HEIF" else "jpg"
    names = [default_storage.save(f"{stem}.{extension}", ContentFile(data)), "",
             default_storage.save(f"{stem}-thumb.jpg", ContentFile(found.thumb))]
    try:
        with transaction.atomic():
            photo = DronePhoto.objects.create(
                campaign=batch.campaign, batch=batch, sha256=found.sha256, filename=Path(filename).name[:255],
                original_name=names[0], original_bytes=len(data), source_format=found.source_format,
                display_name=names[1], thumb_name=names[2], width=found.width, height=found.height,
                taken_at=taken_at, lat=found.lat, lon=found.lon, altitude_m=found.altitude_m,
                relative_altitude_m=found.relative_altitude_m, gimbal_pitch=found.gimbal_pitch,
                gimbal_yaw=found.gimbal_yaw, make=found.make[:60], model=found.model[:60],
                metadata_problems=list(found.metadata_problems), village_id=placed.village_id,
                placement=placed.method, placement_distance_m=placed.distance_m, week=week,
                outside_week=week != batch.week, uploaded_by=actor, uploaded_at=timezone.now())
            audit_record(actor=actor, action="drone.upload", object_type="drone_photo", object_id=str(photo.pk),
                         after={"sha256": photo.sha256, "batch": batch.pk, "file": photo.filename,
                                "village": photo.village.code if photo.village else None,
                                "placement": photo.placement, "lat": photo.lat, "lon": photo.lon,
                                "taken_at": taken_at.isoformat() if taken_at else None, "week": week,
                                "outside_week": photo.outside_week})
    except IntegrityError:
        for name in filter(None, names):
            default_storage.delete(name)
        existing = DronePhoto.objects.filter(campaign=batch.campaign, sha256=found.sha256).first()
        if existing is None:
            raise
        return existing, True
    except BaseException:
        for name in filter(None, names):
            default_storage.delete(name)
        raise
    return photo, False


def display_ensure(photo: DronePhoto) -> DronePhoto:
    """The photo with its display copy made (from the kept original) if it has none yet. Derived data, made
    once: two people opening the photo at once store one copy."""
    if photo.display_name:
        return photo
    data = default_storage.open(photo.original_name, "rb").read()
    try:
        display = aerial.display_copy(data)
    except aerial.AerialRefused as refused:  # the original was accepted once; only a damaged store gets here
        raise _refusal(refused, photo.filename) from None
    name = default_storage.save(f"{photo.original_name.rsplit('.', 1)[0]}-display.jpg", ContentFile(display))
    with transaction.atomic():
        locked = DronePhoto.objects.select_for_update(of=("self",)).get(pk=photo.pk)
        if locked.display_name:
            default_storage.delete(name)
        else:
            locked.display_name = name
            locked.save(update_fields=["display_name"])
    photo.display_name = locked.display_name
    return photo


# Review --------------------------------------------------------------------------------------------------


def _feed(actor, photo: DronePhoto) -> str:
    campaign, week = photo.campaign, photo.batch.week
    return ranking_services.source_feed(actor=actor, campaign=campaign, week=week, source=SourceName.DRONE,
                                        scores=lambda: week_scores(campaign, week))


def _snapshot(photo: DronePhoto) -> dict:
    return {"score": photo.score, "flags": photo.flags, "village": photo.village.code if photo.village else None,
            "placement": photo.placement}


def drone_score(*, actor, photo: DronePhoto, score: int | None, flags: list[str] | tuple = ()) -> DronePhoto:
    """Score a photo 1–5 (None clears it) with rubric flags; the week's drone source follows at once."""
    access.require_office(actor)
    if score is not None and not (isinstance(score, int) and 1 <= score <= 5):
        raise Refused("bad_score", _("A drone score is a whole number from 1 to 5."))
    unknown = sorted(set(flags) - set(Flag.values))
    if unknown:
        raise Refused("bad_flag", _("Unknown flags: %(flags)s.") % {"flags": ", ".join(unknown)})
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the outer join to the village.
        locked = (DronePhoto.objects.select_for_update(of=("self",)).select_related("batch", "village", "campaign")
                  .get(pk=photo.pk))
        before = _snapshot(locked)
        locked.score, locked.flags = score, sorted(set(flags))
        locked.scored_by = actor_user(actor) if score is not None else None
        locked.scored_by_label = actor_label(actor) if score is not None else ""
        locked.scored_at = timezone.now()
        locked.save(update_fields=["score", "flags", "scored_by", "scored_by_label", "scored_at"])
        fed = _feed(actor, locked)
        audit_record(actor=actor, action="drone.score", object_type="drone_photo", object_id=str(locked.pk),
                     before=before, after=_snapshot(locked) | {"counted": fed})
    return locked


def drone_place(*, actor, photo: DronePhoto, village: Unit | None) -> DronePhoto:
    """Place (or re-place) a photo on a village by hand; None takes it off."""
    access.require_office(actor)
    if village is not None and not village.is_ranked:
        raise Refused("not_village", _("%(name)s is not a village or community.") % {"name": village.name})
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the outer join to the village.
        locked = (DronePhoto.objects.select_for_update(of=("self",)).select_related("batch", "village", "campaign")
                  .get(pk=photo.pk))
        before = _snapshot(locked)
        locked.village = village
        locked.placement = Placement.MANUAL if village is not None else Placement.NONE
        locked.placement_distance_m = None
        locked.save(update_fields=["village", "placement", "placement_distance_m"])
        fed = _feed(actor, locked) if locked.score is not None else ""
        audit_record(actor=actor, action="drone.place", object_type="drone_photo", object_id=str(locked.pk),
                     before=before, after=_snapshot(locked) | {"counted": fed})
    return locked


def drone_raise_problem(*, actor, photo: DronePhoto, category, description: str):
    """Open a problem in the closed loop at the photo's spot, with the photo (its display copy) as evidence."""
    from dudao.photos import imaging
    from dudao.photos.services import photo_from_copy
    from dudao.problems.models import Source
    from dudao.problems.services import problem_report

    access.require_office(actor)
    village = photo.village
    if village is None:
        raise Refused("not_placed", _("Place the photo on a village first."))
    # A field photo's size is its display copy's (the drone photo's is the original's).
    width, height = imaging.fit((photo.width, photo.height), aerial.DISPLAY_EDGE)
    photo = display_ensure(photo)
    with transaction.atomic():
        evidence = photo_from_copy(actor=actor, village=village, display_name=photo.display_name,
                                   thumb_name=photo.thumb_name, width=width, height=height,
                                   sha256=photo.sha256, source_bytes=photo.original_bytes,
                                   source_format=photo.source_format, taken_at=photo.taken_at, lat=photo.lat,
                                   lon=photo.lon)
        return problem_report(actor=actor, campaign=photo.campaign, village=village, category=category,
                              description=description, source=Source.DRONE, lat=photo.lat, lon=photo.lon,
                              photo_ids=[evidence.pk], client_key=f"drone-{photo.pk}-{uuid.uuid4().hex[:8]}")


def uploads_stale(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Remove unfinished uploads (and their partial files) that nobody resumed."""
    cutoff = timezone.now() - older_than
    stale = list(Upload.objects.filter(status="open", created_at__lt=cutoff))
    for upload in stale:
        _upload_path(upload).unlink(missing_ok=True)
    Upload.objects.filter(pk__in=[u.pk for u in stale]).delete()
    return len(stale)


def original_path_exists(photo: DronePhoto) -> bool:
    return default_storage.exists(photo.original_name)


