"""Writes of the people mobilised and the publicity on the ground: each checks the actor's rights, refuses bad
input with a message naming the field, writes in one transaction with its audit events."""

import datetime as dt
import re

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.actors import recorded_by
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core.errors import Refused, cleaned_text
from dudao.mobilise.access import can_record_for, can_record_van, can_register_at
from dudao.mobilise.models import Activity, ActivityKind, Broadcast, VanTour, Volunteer, VolunteerKind
from dudao.org.models import Level, Person, Unit
from dudao.org.peoplefile import normalise_phone
from dudao.org.services import person_snapshot

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_TIMES = 24


def parse_times(text: str) -> list[str]:
    """The broadcast times of a day, "07:30,12:00,19:00" (also with Chinese commas or spaces): sorted, each once;
    Refused naming the first that is not HH:MM."""
    items = [item.strip() for item in re.split(r"[,，、\s]+", text) if item.strip()]
    if not items:
        raise Refused("times_required", _("Times: give at least one time of day, as HH:MM (e.g. 07:30,12:00)."))
    for item in items:
        if not TIME_RE.match(item):
            raise Refused("bad_time", _("Times: “%(item)s” is not a time of day as HH:MM (e.g. 07:30).")
                          % {"item": item})
    times = sorted(set(items))
    if len(times) > MAX_TIMES:
        raise Refused("too_many_times", _("Times: at most %(max)s times a day.") % {"max": MAX_TIMES})
    return times


def _required(value, code: str, message: str):
    if value is None:
        raise Refused(code, message)
    return value


def _not_future(day: dt.date, code: str, message: str) -> None:
    if day > timezone.localdate():
        raise Refused(code, message)


def volunteer_snapshot(volunteer: Volunteer) -> dict:
    return {"person": volunteer.person_id, "kind": volunteer.kind, "village": volunteer.village.code,
            "grid": volunteer.grid.code if volunteer.grid is not None else None, "since": volunteer.since.isoformat(),
            "synthetic": volunteer.synthetic}


def volunteer_register(*, actor, campaign, village: Unit, name: str, phone: str, kind: str, since: dt.date | None,
                       grid: Unit | None = None, synthetic: bool = False) -> Volunteer:
    """Register a party member, an activist or a reserve cadre with their village (and grid). The person is found by
    the phone number (the same name must be given) or created."""
    if not can_register_at(actor, village):
        raise PermissionDenied
    if kind not in VolunteerKind.values:
        raise Refused("bad_kind", _("Kind: choose party member, activist or reserve cadre."))
    if grid is not None and (grid.level != Level.GRID or not grid.path.startswith(village.path)):
        raise Refused("grid_outside_village", _("Grid: %(grid)s is not a grid of %(village)s.")
                      % {"grid": grid.name, "village": village.name})
    name = cleaned_text(name, code="name", maximum=50, empty=_("Name: give the person's name."))
    normalised = normalise_phone(phone)
    if normalised is None:
        raise Refused("bad_phone", _("Phone: not an 11-digit mobile number."))
    since = _required(since, "since_required", _("Since: give the date (YYYY-MM-DD)."))
    _not_future(since, "since_future", _("Since: the date is in the future."))
    with transaction.atomic():
        person = Person.objects.filter(phone=normalised).first()
        changes = []
        if person is None:
            person = Person.objects.create(name=name, phone=normalised, synthetic=synthetic)
            changes.append(Change("person.create", "person", str(person.pk), None, person_snapshot(person)))
        elif person.name != name:
            raise Refused("phone_other_name", _("Phone: this number belongs to a person of another name."))
        if Volunteer.objects.filter(campaign=campaign, person=person, kind=kind).exists():
            raise Refused("already_registered", _("%(name)s is already registered as %(kind)s.")
                          % {"name": name, "kind": VolunteerKind(kind).label})
        volunteer = Volunteer.objects.create(campaign=campaign, person=person, kind=kind, village=village, grid=grid,
                                             since=since, synthetic=synthetic, **recorded_by("by", actor))
        changes.append(Change("volunteer.register", "volunteer", str(volunteer.pk), None,
                              volunteer_snapshot(volunteer)))
        audit_record_many(actor=actor, changes=changes)
    return volunteer


def activity_record(*, actor, volunteer: Volunteer, kind: str, date: dt.date | None, households: int | None = None,
                    note: str = "", synthetic: bool = False) -> Activity:
    """Record what a mobilised person did on a day: once per person, kind and day."""
    if not can_record_for(actor, volunteer):
        raise PermissionDenied
    if kind not in ActivityKind.values:
        raise Refused("bad_kind", _("Activity: choose cleanup, problem report or leaflet visit."))
    date = _required(date, "date_required", _("Date: give the day (YYYY-MM-DD)."))
    _not_future(date, "date_future", _("Date: the day is in the future."))
    if date < volunteer.since:
        raise Refused("before_since", _("Date: the day is before %(name)s was registered (%(since)s).")
                      % {"name": volunteer.person.name, "since": volunteer.since.isoformat()})
    if kind == ActivityKind.LEAFLET_VISIT:
        if households is None or households < 1:
            raise Refused("households_required", _("Households: a leaflet visit counts the households, at least 1."))
    elif households is not None:
        raise Refused("households_not_leaflets", _("Households: counted for leaflet visits only."))
    note = cleaned_text(note, code="note", maximum=200)
    refused = Refused("already_recorded", _("%(name)s's %(kind)s on %(date)s is already recorded.")
                      % {"name": volunteer.person.name, "kind": ActivityKind(kind).label, "date": date.isoformat()})
    if Activity.objects.filter(volunteer=volunteer, kind=kind, date=date).exists():
        raise refused
    try:
        with transaction.atomic():
            activity = Activity.objects.create(volunteer=volunteer, kind=kind, date=date, households=households,
                                               note=note, synthetic=synthetic, **recorded_by("by", actor))
            audit_record(actor=actor, action="activity.record", object_type="activity", object_id=str(activity.pk),
                         after={"volunteer": volunteer.pk, "kind": kind, "date": date.isoformat(),
                                "households": households, "note": note})
    except IntegrityError:  # the same record made by someone else at the same moment
        raise refused from None
    return activity


def broadcast_schedule(*, actor, campaign, village: Unit, place: str, times: str, text: str,
                       date_from: dt.date | None, date_to: dt.date | None, synthetic: bool = False) -> Broadcast:
    """A loudspeaker's schedule: where, at what times each day, what text, from and to which day."""
    if not can_register_at(actor, village):
        raise PermissionDenied
    place = cleaned_text(place, code="place", maximum=100, empty=_("Place: say where the loudspeaker is."))
    parsed = parse_times(times)
    text = cleaned_text(text, code="text", maximum=2000, empty=_("Text: give what is broadcast."))
    date_from = _required(date_from, "from_required", _("From: give the first day (YYYY-MM-DD)."))
    date_to = _required(date_to, "to_required", _("To: give the last day (YYYY-MM-DD)."))
    if date_to < date_from:
        raise Refused("to_before_from", _("To: the last day is before the first."))
    with transaction.atomic():
        broadcast = Broadcast.objects.create(campaign=campaign, village=village, place=place, times=",".join(parsed),
                                             text=text, date_from=date_from, date_to=date_to, synthetic=synthetic,
                                             **recorded_by("by", actor))
        audit_record(actor=actor, action="broadcast.schedule", object_type="broadcast", object_id=str(broadcast.pk),
                     after={"village": village.code, "place": place, "times": broadcast.times, "text": text,
                            "from": date_from.isoformat(), "to": date_to.isoformat()})
    return broadcast


def van_tour_record(*, actor, campaign, unit: Unit, starts_at: dt.datetime | None, ends_at: dt.datetime | None,
                    route: str, synthetic: bool = False) -> VanTour:
    """A publicity van's tour through a township or a village."""
    if not can_record_van(actor, unit):
        raise PermissionDenied
    starts_at = _required(starts_at, "start_required", _("Start: give the day and time."))
    ends_at = _required(ends_at, "end_required", _("End: give the day and time."))
    if ends_at <= starts_at:
        raise Refused("end_before_start", _("End: the tour ends before it starts."))
    route = cleaned_text(route, code="route", maximum=500, empty=_("Route: say where the van went."))
    with transaction.atomic():
        tour = VanTour.objects.create(campaign=campaign, unit=unit, starts_at=starts_at, ends_at=ends_at, route=route,
                                      synthetic=synthetic, **recorded_by("by", actor))
        audit_record(actor=actor, action="van_tour.record", object_type="van_tour", object_id=str(tour.pk),
                     after={"unit": unit.code, "start": starts_at.isoformat(), "end": ends_at.isoformat(),
                            "route": route})
    return tour
