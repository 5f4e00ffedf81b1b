"""Storing field photos: checked by content, re-encoded without EXIF, placed, stored once per idempotency key."""

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.audit.services import audit_record
from dudao.core import geo
from dudao.core.errors import Refused
from dudao.org.models import Unit
from dudao.org.selectors import campaign_area_box
from dudao.photos import imaging
from dudao.photos.models import LocationSource, Photo


def refusal_message(refused: imaging.ImageRefused) -> str:
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


def check_position(campaign, lat: float | None, lon: float | None) -> None:
    """Refuse a position that is not a number pair inside the county's area (no position at all is allowed)."""
    if (lat is None) != (lon is None):
        raise Refused("half_position", _("Give both the latitude and the longitude, or neither."))
    if lat is None or lon is None:
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Refused("bad_position", _("The position %(lat)s, %(lon)s is not a latitude and longitude.")
                      % {"lat": lat, "lon": lon})
    box = campaign_area_box(campaign)
    if box is not None and not geo.in_box(lon, lat, box):
        raise Refused("outside_county", _("The position %(lat).5f, %(lon).5f lies outside the county.")
                      % {"lat": lat, "lon": lon})


def photo_upload(*, actor, campaign, village: Unit, data: bytes, client_key: str | None = None,
                 lat: float | None = None, lon: float | None = None, accuracy_m: float | None = None,
                 taken_at: dt.datetime | None = None) -> Photo:
    """Store one photo for a village. ``lat``/``lon``/``accuracy_m``/``taken_at`` are the phone's own readings,
    used when the photo carries no EXIF position or time (phone browsers often strip it)."""
    if not access.can_report_at(actor, village):
        raise PermissionDenied
    client_key = (client_key or "").strip() or None
    if client_key is not None:
        existing = Photo.objects.filter(uploaded_by=actor, client_key=client_key).first()
        if existing is not None:
            return existing
    try:
        processed = imaging.process(data)
    except imaging.ImageRefused as refused:
        raise Refused(f"photo_{refused.code}", refusal_message(refused), **refused.params) from None
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
    stem = f"photos/{now:%Y/%m}/{uuid.uuid4().hex}"
    display_name = default_storage.save(f"{stem}.jpg", ContentFile(processed.display))
    thumb_name = default_storage.save(f"{stem}-thumb.jpg", ContentFile(processed.thumb))
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
        _discard(display_name, thumb_name)
        existing = Photo.objects.filter(uploaded_by=actor, client_key=client_key).first()
        if existing is None:
            raise
        return existing
    except BaseException:
        _discard(display_name, thumb_name)
        raise
    return photo


def _discard(*names: str) -> None:
    for name in names:
        default_storage.delete(name)


def photos_for(*, actor, ids: list[int]) -> list[Photo]:
    """The caller's own photos with these ids (an inspection or rectification may only attach those)."""
    photos = list(Photo.objects.filter(pk__in=ids, uploaded_by_id=actor.pk))
    if len(photos) != len(set(ids)):
        missing = sorted(set(ids) - {p.pk for p in photos})
        raise Refused("unknown_photo", _("The photos %(ids)s were not uploaded by you.")
                      % {"ids": ", ".join(map(str, missing))})
    return photos
