"""Storing field photos: checked by content, re-encoded without EXIF, placed, stored once per idempotency key."""

import contextlib
import contextvars
import datetime as dt
import hashlib
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.audit.services import audit_record
from dudao.core.errors import Refused
from dudao.org.access import can_report_at
from dudao.org.models import Unit
from dudao.org.selectors import campaign_area
from dudao.photos import imaging
from dudao.photos.models import LocationSource, Photo

# The photos stored inside stored_atomically(): their files go if the transaction is rolled back.
_stored_here: contextvars.ContextVar[list | None] = contextvars.ContextVar("stored_here", default=None)


@contextlib.contextmanager
def stored_atomically():
    """One transaction for photo uploads and what uses them (a report, a rectification): if anything in it is
    refused, the photos' rows are rolled back and their files deleted, so nothing is half-stored."""
    created: list[Photo] = []
    token = _stored_here.set(created)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for photo in created:
            discard(photo.display_name, photo.thumb_name)
        raise
    finally:
        _stored_here.reset(token)


def refusal_message(refused: imaging.ImageRefused | Any) -> str:
    """The translated reason for an image refusal (field photos and drone photos share the codes)."""
    p = refused.params
    messages = {
        "empty": _("The file is empty."),
        "too_large": _("The photo is %(size)s MB; the limit is %(max)s MB.") % {
            "size": p.get("size_mb"), "max": p.get("max_mb")},
        "not_image": _("The file is not a photo (JPEG, PNG or WebP), whatever its name says."),
        "unsupported_format": _("%(format)s images are not accepted; send a JPEG, PNG or WebP photo.") % {
            "format": p.get("format")},
        "too_many_pixels": _("The image is %(width)s × %(height)s pixels, more than %(max)s megapixels.") % {
            "width": p.get("width"), "height": p.get("height"), "max": p.get("max_mp")},
        "corrupt": _("The photo is damaged or incomplete; take or send it again."),
    }
    return messages.get(refused.code, _("The file is not a photo (JPEG, PNG or WebP), whatever its name says."))


def key_reused(client_key: str) -> Refused:
    return Refused("key_reused", _("The key %(key)s was already used for something else; the phone must send a new "
                                   "key for new content.") % {"key": client_key})


def check_position(campaign, lat: float | None, lon: float | None) -> None:
    """Refuse a position that is not a number pair inside the county's area (no position at all is allowed)."""
    if (lat is None) != (lon is None):
        raise Refused("half_position", _("Give both the latitude and the longitude, or neither."))
    if lat is None or lon is None:
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Refused("bad_position", _("The position %(lat)s, %(lon)s is not a latitude and longitude.")
                      % {"lat": lat, "lon": lon})
    area = campaign_area(campaign)
    if area is not None and not area.contains(lon, lat):
        raise Refused("outside_county", _("The position %(lat).5f, %(lon).5f lies outside the county.")
                      % {"lat": lat, "lon": lon})


def checked(data: bytes, *, max_bytes: int = imaging.MAX_BYTES) -> imaging.Processed:
    """The upload checked by its content and re-encoded (no EXIF, GPS included, in what is kept), or Refused with
    a translated reason (``photo_<code>``)."""
    try:
        return imaging.process(data, max_bytes=max_bytes)
    except imaging.ImageRefused as refused:
        raise Refused(f"photo_{refused.code}", refusal_message(refused), **refused.params) from None


def files_store(processed: imaging.Processed, now: dt.datetime) -> tuple[str, str]:
    """Store a re-encoded photo's display copy and thumbnail; their storage names. Delete them with discard()
    if what they were stored for is refused."""
    stem = f"photos/{now:%Y/%m}/{uuid.uuid4().hex}"
    display_name = default_storage.save(f"{stem}.jpg", ContentFile(processed.display))
    thumb_name = default_storage.save(f"{stem}-thumb.jpg", ContentFile(processed.thumb))
    return display_name, thumb_name


def photo_upload(*, actor, campaign, village: Unit, data: bytes, client_key: str | None = None,
                 lat: float | None = None, lon: float | None = None, accuracy_m: float | None = None,
                 taken_at: dt.datetime | None = None, grid: Unit | None = None) -> Photo:
    """Store one photo for a village (in ``grid``, one of its grids: grid staff must name theirs).
    ``lat``/``lon``/``accuracy_m``/``taken_at`` are the phone's own readings, used when the photo carries no EXIF
    position or time (phone browsers often strip it)."""
    if not can_report_at(actor, village, grid):
        raise PermissionDenied
    client_key = (client_key or "").strip() or None
    if client_key is not None:
        existing = Photo.objects.filter(uploaded_by=actor, client_key=client_key).first()
        if existing is not None:
            # A retry is answered from what is stored, without decoding the photo again.
            if existing.sha256 != hashlib.sha256(data).hexdigest() or existing.village_id != village.pk:
                raise key_reused(client_key)
            return existing
    processed = checked(data)
    if processed.lat is not None and processed.lon is not None:
        lat, lon, source = processed.lat, processed.lon, LocationSource.EXIF
    elif lat is not None and lon is not None:
        source = LocationSource.DEVICE
    else:
        raise Refused("no_location", _("The photo has no location, and the phone sent none: turn on location "
                                       "(GPS) and take the photo again."))
    check_position(campaign, lat, lon)
    shot = processed.taken_at
    if shot is not None and timezone.is_naive(shot):
        shot = timezone.make_aware(shot)
    now = timezone.now()
    display_name, thumb_name = files_store(processed, now)
    try:
        with transaction.atomic():
            photo = Photo.objects.create(
                sha256=processed.sha256, display_name=display_name, thumb_name=thumb_name, width=processed.width,
                height=processed.height, source_bytes=len(data), source_format=processed.source_format,
                taken_at=shot or taken_at, lat=lat, lon=lon,
                accuracy_m=accuracy_m if source == LocationSource.DEVICE else None, location_source=source,
                village=village, uploaded_by=actor, uploaded_at=now, client_key=client_key)
            audit_record(actor=actor, action="photo.upload", object_type="photo", object_id=str(photo.pk),
                         after={"sha256": photo.sha256, "village": village.code, "lat": lat, "lon": lon,
                                "location": source, "bytes": len(data)})
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it; keep that one.
        discard(display_name, thumb_name)
        existing = Photo.objects.filter(uploaded_by=actor, client_key=client_key).first()
        if existing is None:
            raise
        return existing
    except BaseException:
        discard(display_name, thumb_name)
        raise
    collected = _stored_here.get()
    if collected is not None:
        collected.append(photo)
    return photo


def discard(*names: str) -> None:
    for name in names:
        default_storage.delete(name)


def photos_for(*, actor, ids: list[int], village: Unit | None = None,
               not_before: dt.datetime | None = None) -> list[Photo]:
    """The caller's own photos with these ids, taken for ``village`` and uploaded after ``not_before`` (an
    inspection, a report or a rectification may only attach those)."""
    photos = list(Photo.objects.filter(pk__in=ids, uploaded_by_id=actor.pk))
    if len(photos) != len(set(ids)):
        missing = sorted(set(ids) - {p.pk for p in photos})
        raise Refused("unknown_photo", _("The photos %(ids)s were not uploaded by you.")
                      % {"ids": ", ".join(map(str, missing))})
    if village is not None:
        elsewhere = sorted(p.pk for p in photos if p.village_id != village.pk)
        if elsewhere:
            raise Refused("photo_elsewhere", _("The photos %(ids)s were taken for another village than %(village)s.")
                          % {"ids": ", ".join(map(str, elsewhere)), "village": village.name})
    if not_before is not None:
        older = sorted(p.pk for p in photos if p.uploaded_at < not_before)
        if older:
            raise Refused("photo_too_old", _("The photos %(ids)s were taken before the problem was reported.")
                          % {"ids": ", ".join(map(str, older))})
    return photos


def photo_from_copy(*, actor, village: Unit, display_name: str, thumb_name: str, width: int, height: int,
                    sha256: str, source_bytes: int, source_format: str, taken_at, lat: float | None,
                    lon: float | None) -> Photo:
    """A field photo made from a copy Dudao already re-encoded (a drone photo raised as a problem's evidence):
    the same stored files, a row of the actor's own. Call inside the caller's transaction."""
    photo = Photo.objects.create(
        sha256=sha256, display_name=display_name, thumb_name=thumb_name, width=width, height=height,
        source_bytes=source_bytes, source_format=source_format, taken_at=taken_at, lat=lat, lon=lon,
        location_source=LocationSource.EXIF if lat is not None else "", village=village, uploaded_by=actor,
        uploaded_at=timezone.now())
    audit_record(actor=actor, action="photo.copy", object_type="photo", object_id=str(photo.pk),
                 after={"sha256": sha256, "village": village.code, "lat": lat, "lon": lon})
    return photo
