"""The Open311 GeoReport v2 answers (http://wiki.open311.org/GeoReport_v2) for the problems the office marked
public (problems.access.problems_public): the fields of the specification, none of the problem's personal data
(who reported, rectified or verified it, the timeline's notes), the description's phone numbers masked. A photo only
through the exposure board: media_url is the public copy (regions destroyed, no EXIF) of the first photo of the
latest published exposure or positive item composed from the problem, else null; never the problem's own photos."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from dudao.core.errors import Refused
from dudao.exposure.selectors import problem_media
from dudao.problems import lifecycle
from dudao.problems.access import problems_public
from dudao.problems.models import Category, Problem, Status

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Every field of a service request in GeoReport v2, in the specification's order.
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
STATUSES = ("open", "closed")
DEFAULT_DAYS = 90  # without a start_date: the requests of the last 90 days (the specification's default)
MAX_REQUESTS = 1000  # at most this many, newest first
NUMBER = re.compile(r"^(\d{4})-(\d{6,})$")
# A phone number in free text: 7 digits or more, maybe split by spaces or hyphens, maybe after +86.
PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?\d(?:[\s-]?\d){6,}(?!\d)")


def mask_phones(text: str) -> str:
    return PHONE.sub("***", text)


def status_of(problem: Problem) -> str:
    return "closed" if problem.status in lifecycle.FINISHED else "open"


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def request_row(problem: Problem, media_url: str | None = None) -> dict:
    """One service request: every field of REQUEST_FIELDS, nothing else."""
    address = " ".join(name for name in (problem.town.name if problem.town_id != problem.village_id else "",
                                         problem.village.name) if name)
    updated = getattr(problem, "updated", None) or problem.reported_at
    return {
        "service_request_id": problem.number,
        "status": status_of(problem),
        "status_notes": str(Status(problem.status).label),
        "service_name": problem.category.name,
        "service_code": problem.category.code,
        "description": mask_phones(problem.description),
        "agency_responsible": problem.town.name,
        "service_notice": None,
        "requested_datetime": _when(problem.reported_at),
        "updated_datetime": _when(updated),
        "expected_datetime": _when(problem.deadline),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": problem.lat,
        "long": problem.lon,
        "media_url": media_url,
    }


def _rows(problems: list[Problem], site: str) -> list[dict]:
    """The service requests, each with its media_url (see the module's docstring)."""
    media = problem_media(p.pk for p in problems)
    return [request_row(p, site + reverse("public_item_photo", args=media[p.pk]) if p.pk in media else None)
            for p in problems]


def service_row(category: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name, "description": category.name,
            "metadata": False, "type": "realtime", "keywords": "", "group": ""}


def public_problems(campaign) -> QuerySet[Problem]:
    return (problems_public().filter(campaign=campaign).select_related("category", "village", "town")
            .annotate(updated=Max("events__at")))


@dataclass(frozen=True)
class Filters:
    numbers: list[str] | None  # service_request_id's request numbers (2026-000123), or None
    service_codes: list[str]
    statuses: list[str]
    start: dt.datetime
    end: dt.datetime


def _moment(value: str, name: str, end_of_day: bool = False) -> dt.datetime:
    """A w3c datetime (2026-03-01T08:00:00+08:00, or a date: its start, or its end for end_date)."""
    text = value.strip().replace(" ", "+")  # a "+" of an offset arrives as a space when not escaped
    moment = None
    try:
        day = parse_date(text) if len(text) == 10 else None
        if day is not None:
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
        else:
            moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise Refused("bad_date", _("The parameter %(name)s is not a date and time (e.g. 2026-03-01T08:00:00+08:00): "
                                    "“%(value)s”.") % {"name": name, "value": value[:40]})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_filters(params, codes: set[str], now: dt.datetime | None = None) -> Filters:
    """requests.json's standard parameters: service_request_id (several separated by commas; the others are then
    ignored), service_code (several), status (open, closed), start_date and end_date (requested_datetime between
    them; by default the last 90 days). Refused with a translated message naming the parameter."""
    now = now or timezone.now()
    numbers = None
    if params.get("service_request_id", "").strip():
        numbers = _list(params["service_request_id"])
        for number in numbers:
            if NUMBER.match(number) is None:
                raise Refused("bad_id", _("The parameter service_request_id holds “%(value)s”, which is not a request "
                                          "number (e.g. 2026-000123).") % {"value": number[:40]})
    service_codes = _list(params.get("service_code", ""))
    unknown = [code for code in service_codes if code not in codes]
    if unknown:
        raise Refused("bad_service_code", _("The parameter service_code names an unknown service: %(codes)s.")
                      % {"codes": ", ".join(c[:40] for c in unknown)})
    statuses = _list(params.get("status", ""))
    wrong = [s for s in statuses if s not in STATUSES]
    if wrong:
        raise Refused("bad_status", _("The parameter status must be open or closed, not “%(value)s”.")
                      % {"value": ", ".join(s[:20] for s in wrong)})
    end = _moment(params["end_date"], "end_date", end_of_day=True) if params.get("end_date", "").strip() else now
    start = (_moment(params["start_date"], "start_date") if params.get("start_date", "").strip()
             else end - dt.timedelta(days=DEFAULT_DAYS))
    if start > end:
        raise Refused("bad_range", _("The parameter start_date is after end_date."))
    return Filters(numbers, service_codes, statuses, start, end)


def requests_matching(campaign, filters: Filters, site: str = "") -> list[dict]:
    rows = public_problems(campaign)
    if filters.numbers is not None:
        wanted = set(filters.numbers)
        rows = rows.filter(pk__in={_pk(number) for number in wanted})
        return _rows([p for p in rows.order_by("-reported_at", "-pk") if p.number in wanted], site)
    if filters.service_codes:
        rows = rows.filter(category__code__in=filters.service_codes)
    if set(filters.statuses) == {"closed"}:
        rows = rows.filter(status__in=lifecycle.FINISHED)
    elif set(filters.statuses) == {"open"}:
        rows = rows.exclude(status__in=lifecycle.FINISHED)
    rows = rows.filter(reported_at__gte=filters.start, reported_at__lte=filters.end)
    return _rows(list(rows.order_by("-reported_at", "-pk")[:MAX_REQUESTS]), site)


def _pk(number: str) -> int:
    match = NUMBER.match(number)
    assert match is not None
    return int(match.group(2))


def request_one(campaign, number: str, site: str = "") -> dict | None:
    """The public problem with this number (2026-000123), or None."""
    if NUMBER.match(number) is None:
        return None
    problem = public_problems(campaign).filter(pk=_pk(number)).first()
    if problem is None or problem.number != number:
        return None
    return _rows([problem], site)[0]
