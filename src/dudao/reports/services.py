"""Every write of a public report (随手拍): received from anyone (checked, screened and limited per client), then
accepted by the office into the problem loop or declined with a reason the reporter reads. Each is atomic and
audit-logged; the order is dudao.reports.lifecycle's."""

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import require_office
from dudao.accounts.actors import recorded_by
from dudao.audit.services import audit_record
from dudao.core import geo
from dudao.core.errors import Refused, cleaned_text
from dudao.org.models import Unit
from dudao.org.selectors import unit_point_wgs84
from dudao.photos import imaging
from dudao.photos.services import check_position, checked, discard, files_store, photo_from_copy, refusal_message
from dudao.problems.models import Category, Problem, Source
from dudao.problems.services import problem_report, problem_set_public
from dudao.reports import lifecycle
from dudao.reports.models import LookupMiss, Report, Status

# Unambiguous: no 0/O, 1/I/L. 31 ** 10 ≈ 8·10^14 codes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
TEXT_MAX = 500
REASON_MAX = 500
CONTACT = re.compile(r"^\+?[0-9][0-9 \-]{4,18}$")
# Control characters other than the line breaks and the tab a phone's text box sends.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class PublicActor:
    """The anonymous reporter, as the audit log records them."""

    username = "public:report"
    audit_label = "public:report"
    pk = None


PUBLIC = PublicActor()


def client_key(address: str) -> str:
    """The client's address as kept: a keyed hash, enough to count one client's reports, not to name it."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A code as typed: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]", "", text).upper()


def _text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise Refused("text_required", _("Say in a few words what is wrong."))
    if len(text) > TEXT_MAX:
        raise Refused("text_too_long", _("The text has %(length)s characters; at most %(max)s are accepted.")
                      % {"length": len(text), "max": TEXT_MAX})
    if CONTROL.search(text):
        raise Refused("text_control", _("The text contains invisible control characters; type it again."))
    return text


def _contact(contact: str) -> str:
    contact = contact.strip()
    if contact and not CONTACT.match(contact):
        raise Refused("bad_contact", _("“%(contact)s” is not a phone number.") % {"contact": contact[:30]})
    return contact


def villages_of(campaign):
    """The villages and communities a reporter picks from."""
    return Unit.objects.of_campaign(campaign).ranked().filter(active=True).select_related("parent").order_by("path")


def _sent_since(client: str, since: dt.datetime) -> int:
    return Report.objects.filter(client=client, received_at__gte=since).count()


def _too_many() -> Refused:
    limit = settings.REPORTS_PER_HOUR
    return Refused("too_many", _("No more than %(limit)s reports an hour are accepted from one connection; try "
                                 "again later.") % {"limit": limit})


def lookup_misses(client: str) -> int:
    """How many unknown tracking codes the client (``client_key``) tried in the last hour, in any process."""
    return LookupMiss.objects.filter(client=client, at__gte=timezone.now() - dt.timedelta(hours=1)).count()


def lookup_miss_record(client: str) -> None:
    """Count one unknown tracking code tried by the client; forget misses older than an hour. Not audit-logged:
    a guess changes nothing but this counter (like a sign-in attempt)."""
    now = timezone.now()
    with transaction.atomic():
        LookupMiss.objects.filter(at__lt=now - dt.timedelta(hours=1)).delete()
        LookupMiss.objects.create(client=client, at=now)


def max_photo_bytes() -> int:
    return settings.REPORT_PHOTO_MAX_MB * imaging.MIB


def report_submit(*, campaign, address: str, data: bytes | None, size: int, text: str,
                  lat: float | None = None, lon: float | None = None, village_code: str = "",
                  contact: str = "") -> Report:
    """Receive a report from anyone. ``size`` is the upload's size (checked before its bytes are read);
    ``data`` its bytes. Refused, with a translated reason, for each thing wrong."""
    client = client_key(address)
    since = timezone.now() - dt.timedelta(hours=1)
    if _sent_since(client, since) >= settings.REPORTS_PER_HOUR:
        raise _too_many()
    text = _text(text)
    contact = _contact(contact)
    village = None
    if village_code:
        village = villages_of(campaign).filter(code=village_code).first()
        if village is None:
            raise Refused("bad_village", _("Pick a village from the list."))
    if lat is None and lon is None and village is None:
        raise Refused("no_place", _("Say where: use your position or pick a village."))
    check_position(campaign, lat, lon)
    max_bytes = max_photo_bytes()
    if size > max_bytes:
        refused = imaging.ImageRefused("too_large", size_mb=round(size / imaging.MIB, 1),
                                       max_mb=settings.REPORT_PHOTO_MAX_MB)
        raise Refused("photo_too_large", refusal_message(refused))
    if data is None:
        raise Refused("photo_required", _("Add a photo of the problem."))
    processed = checked(data, max_bytes=max_bytes)
    now = timezone.now()
    display_name, thumb_name = files_store(processed, now)
    shot = processed.taken_at
    if shot is not None and timezone.is_naive(shot):
        shot = timezone.make_aware(shot)
    try:
        with transaction.atomic():
            # The photo's own position (EXIF) is neither kept nor served: the reporter says where.
            report = Report.objects.create(
                code=new_code(), campaign=campaign, text=text, lat=lat, lon=lon, village=village, contact=contact,
                display_name=display_name, thumb_name=thumb_name, width=processed.width, height=processed.height,
                sha256=processed.sha256, source_bytes=len(data), source_format=processed.source_format,
                taken_at=shot, client=client, received_at=now)
            audit_record(actor=PUBLIC, action="report.receive", object_type="report", object_id=str(report.pk),
                         after={"status": report.status, "village": village.code if village else None,
                                "lat": lat, "lon": lon, "sha256": report.sha256, "contact": bool(contact)})
            # Counted again once the audit log's lock is held (writers are serialised there until they commit):
            # reports sent at the same moment cannot all pass the count made before.
            if _sent_since(client, since) > settings.REPORTS_PER_HOUR:
                raise _too_many()
    except BaseException:
        discard(display_name, thumb_name)
        raise
    return report


def nearest_village(report: Report, villages: list[Unit] | None = None) -> Unit | None:
    """The village the reporter picked, else the village whose point is nearest the reported position (among
    ``villages``, by default the campaign's: a list of reports passes them once)."""
    if report.village_id is not None:
        return report.village
    if report.lat is None or report.lon is None:
        return None
    best, best_m = None, float("inf")
    for unit in villages if villages is not None else villages_of(report.campaign):
        point = unit_point_wgs84(unit)
        if point is None:
            continue
        metres = geo.distance_m(report.lon, report.lat, point[0], point[1])
        if metres < best_m:
            best, best_m = unit, metres
    return best


def _refuse_move(report: Report, transition: str) -> None:
    try:
        lifecycle.next_status(report.status, transition)
    except lifecycle.TransitionRefused:
        raise Refused("bad_transition", _("The report %(code)s is already %(status)s.")
                      % {"code": report.code, "status": Status(report.status).label}) from None


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def report_accept(*, actor, report: Report, village: Unit, category: Category, public: bool = False) -> Problem:
    """Turn the report into a problem of the village, with the report's photo as its evidence (before); ``public``
    also marks the problem public, for Open311 (problems.services.problem_set_public: no personal data)."""
    require_office(actor)
    if not villages_of(report.campaign).filter(pk=village.pk).exists():
        raise Refused("bad_village", _("Pick a village from the list."))
    with transaction.atomic():
        report = _locked(report)
        _refuse_move(report, "accept")
        evidence = photo_from_copy(actor=actor, village=village, display_name=report.display_name,
                                   thumb_name=report.thumb_name, width=report.width, height=report.height,
                                   sha256=report.sha256, source_bytes=report.source_bytes,
                                   source_format=report.source_format, taken_at=report.taken_at, lat=report.lat,
                                   lon=report.lon)
        problem = problem_report(actor=actor, campaign=report.campaign, village=village, category=category,
                                 description=report.text, source=Source.PUBLIC, lat=report.lat, lon=report.lon,
                                 photo_ids=[evidence.pk], client_key=f"report-{report.code}")
        if public:
            problem = problem_set_public(actor=actor, problem=problem, public=True)
        _decided(report, actor, "accept", problem=problem)
        audit_record(actor=actor, action="report.accept", object_type="report", object_id=str(report.pk),
                     before={"status": lifecycle.RECEIVED},
                     after={"status": report.status, "problem": problem.pk, "village": village.code,
                            "category": category.code, "public": problem.public})
    return problem


def _decided(report: Report, actor, transition: str, **fields) -> None:
    """The office's decision on a locked report: its next status, when and by whom, and the decision's fields."""
    fields = {"status": lifecycle.next_status(report.status, transition), "decided_at": timezone.now(),
              **recorded_by("decided_by", actor), **fields}
    for field, value in fields.items():
        setattr(report, field, value)
    report.save(update_fields=list(fields))


def report_decline(*, actor, report: Report, reason: str) -> Report:
    """Decline the report; the reporter reads the reason on the status page."""
    require_office(actor)
    reason = cleaned_text(reason, code="reason", maximum=REASON_MAX, empty=_("Give the reason the reporter will read."),
                          too_long=_("The reason has %(length)s characters; at most %(max)s are accepted."))
    with transaction.atomic():
        report = _locked(report)
        _refuse_move(report, "decline")
        _decided(report, actor, "decline", reason=reason)
        audit_record(actor=actor, action="report.decline", object_type="report", object_id=str(report.pk),
                     before={"status": lifecycle.RECEIVED}, after={"status": report.status, "reason": reason})
    return report
