"""Every write of the problem loop: one function per transition, each atomic, audit-logged and on the timeline
(the order of the loop is dudao.problems.lifecycle's; who may move it is dudao.problems.access's); and the campaign
office's settings of the loop: the categories (days to rectify, duplicate radius and window) and the working
calendar's exceptions to Monday–Friday (holidays, and weekend days worked in their place, 调休).

A settings change applies from the moment it is saved: a problem keeps the deadline it was given when it was
dispatched, and reports are checked for duplicates with the values in force when they arrive.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.accounts import access
from dudao.accounts.actors import actor_label, actor_user, recorded_by
from dudao.accounts.models import Role
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core import geo
from dudao.core.errors import Refused
from dudao.org.access import UNSET, area_roots, can_report_at, town_of
from dudao.org.models import Unit
from dudao.photos.services import check_position, key_reused, photos_for
from dudao.problems import lifecycle, notices
from dudao.problems.access import can_transition, problem_sources_for
from dudao.problems.models import CalendarDay, Category, PhotoKind, Problem, ProblemEvent, ProblemPhoto, Source

# Reports from these roles are registered and dispatched at once (即刻反馈): they are the campaign's own eyes.
DISPATCH_AT_ONCE = {Role.COUNTY_ADMIN, Role.OFFICE, Role.INSPECTOR}
DEFAULT_CATEGORIES = [
    # code, name (zh-hans: the campaign's own words), working days to rectify
    ("garbage", "垃圾治理", 0),
    ("sewage", "污水治理", 0),
    ("toilet", "厕所革命", 1),
    ("stacking", "乱堆乱放", 0),
    ("building", "乱搭乱建", 3),
    ("posting", "乱贴乱画", 0),
    ("upkeep", "长效管护", 1),
    ("other", "其他", 0),
]


def categories_ensure(campaign) -> list[Category]:
    """The default problem categories, created once per campaign (by `dudao init`)."""
    with transaction.atomic():
        existing = set(Category.objects.filter(campaign=campaign).values_list("code", flat=True))
        missing = [(position, code, name, days) for position, (code, name, days) in enumerate(DEFAULT_CATEGORIES)
                   if code not in existing]
        if missing and not existing:
            Category.objects.bulk_create([Category(campaign=campaign, code=code, name=name, working_days=days,
                                                   position=position) for position, code, name, days in missing])
            audit_record(actor=access.SYSTEM, action="problem.categories", object_type="campaign",
                         object_id=campaign.slug, after={"created": [[c, n, d] for _p, c, n, d in missing]})
    return list(Category.objects.filter(campaign=campaign, active=True))


def is_working_day_factory(start: dt.date, days: int = 90):
    """Monday-Friday with the working calendar's exceptions (holidays, worked weekends), from ``start`` on."""
    exceptions = dict(CalendarDay.objects.filter(date__gte=start, date__lte=start + dt.timedelta(days=days))
                      .values_list("date", "working"))

    def is_working(day: dt.date) -> bool:
        if day in exceptions:
            return exceptions[day]
        return lifecycle.default_is_working(day)
    return is_working


def deadline_for(category: Category, start: dt.datetime) -> dt.datetime:
    local = timezone.localtime(start)
    return lifecycle.deadline(local, category.working_days, is_working_day_factory(local.date()))


def _snapshot(problem: Problem) -> dict:
    return {"status": problem.status, "village": problem.village.code, "category": problem.category.code,
            "deadline": problem.deadline.isoformat() if problem.deadline else None,
            "rework": problem.rework_count}


def _event(problem: Problem, actor, transition: str, before: str, note: str, at: dt.datetime) -> ProblemEvent:
    return ProblemEvent.objects.create(problem=problem, transition=transition, from_status=before,
                                       to_status=problem.status, at=at, note=note, **recorded_by("actor", actor))


def find_duplicate(category: Category, village: Unit, lat: float | None, lon: float | None,
                   at: dt.datetime) -> Problem | None:
    """An earlier open problem of the same category within the category's radius and time window. A radius or
    window of 0 turns duplicate detection off for the category."""
    if category.duplicate_radius_m == 0 or category.duplicate_hours == 0:
        return None
    since = at - dt.timedelta(hours=category.duplicate_hours)
    candidates = (Problem.objects.filter(category=category, reported_at__gte=since, reported_at__lte=at)
                  .exclude(status__in=lifecycle.FINISHED).order_by("reported_at"))
    for other in candidates:
        if lat is None or lon is None or other.lat is None or other.lon is None:
            if other.village_id == village.pk and (lat is None or other.lat is None):
                return other
            continue
        if geo.distance_m(lon, lat, other.lon, other.lat) <= category.duplicate_radius_m:
            return other
    return None


def problem_report(*, actor, campaign, village: Unit, category: Category, description: str,
                   source: str = "", lat: float | None = None, lon: float | None = None,
                   accuracy_m: float | None = None, photo_ids: list[int] | tuple = (), inspection=None, item=None,
                   client_key: str | None = None, grid: Unit | None = None) -> Problem:
    """Report a problem. The office's and inspectors' reports are registered and dispatched at once, unless
    they look like a duplicate: those, and reports from villages and townships, wait to be registered.
    ``grid``: the village's grid it lies in (grid staff must name one of theirs)."""
    if grid is not None and (grid.level != "grid" or not grid.path.startswith(village.path)):
        raise Refused("grid_outside_village", _("The grid %(grid)s does not lie in %(village)s.")
                      % {"grid": grid.name, "village": village.name})
    if not can_report_at(actor, village, grid):
        raise PermissionDenied
    client_key = (client_key or "").strip() or None
    if client_key is not None:
        existing = Problem.objects.filter(reported_by_id=actor.pk, client_key=client_key).first()
        if existing is not None:
            if existing.village_id != village.pk or existing.category_id != category.pk:
                raise key_reused(client_key)
            return existing
    description = description.strip()
    if not description:
        raise Refused("description_required", _("Describe the problem."))
    if category.campaign_id != campaign.pk or not category.active:
        raise Refused("bad_category", _("The category is not in use in this campaign."))
    sources = problem_sources_for(actor)
    source = source or (sources[0] if sources else Source.OFFICE)
    if source not in Source.values:
        raise Refused("bad_source", _("The source “%(source)s” is unknown.") % {"source": source})
    if source not in sources and not (source == Source.INSPECTION and inspection):
        raise Refused("source_not_yours", _("You cannot report a problem as found by “%(source)s”.")
                      % {"source": Source(source).label})
    photos = photos_for(actor=actor, ids=list(photo_ids), village=village)
    if (lat is None or lon is None) and photos:
        lat, lon = photos[0].lat, photos[0].lon
    check_position(campaign, lat, lon)
    town = town_of(village)
    try:
        with transaction.atomic():
            # The duplicate check and the insert act as one: reports of one category wait for each other here
            # (the category's row locked until this report commits), so two reports of the same heap arriving
            # at once do not both find nothing and both get dispatched. SQLite's transactions take the write lock
            # when they begin, which serializes them already.
            list(Category.objects.select_for_update().filter(pk=category.pk).values_list("pk", flat=True))
            now = timezone.now()  # after the wait: a report that went first is earlier than this one
            duplicate = find_duplicate(category, village, lat, lon, now)
            problem = Problem.objects.create(
                campaign=campaign, category=category, village=village, town=town or village, grid=grid,
                source=source, description=description, lat=lat, lon=lon, accuracy_m=accuracy_m, inspection=inspection,
                item=item, reported_at=now, possible_duplicate_of=duplicate, **recorded_by("reported_by", actor),
                client_key=client_key)
            first = _event(problem, actor, "report", "", "", now)
            ProblemPhoto.objects.bulk_create([ProblemPhoto(problem=problem, photo=photo, kind=PhotoKind.BEFORE,
                                                           event=first) for photo in photos])
            audit_record(actor=actor, action="problem.report", object_type="problem", object_id=str(problem.pk),
                         after=_snapshot(problem) | {"source": source, "photos": [p.pk for p in photos],
                                                     "grid": grid.code if grid else None,
                                                     "duplicate_of": duplicate.pk if duplicate else None})
            if access.effective_role(actor) in DISPATCH_AT_ONCE and duplicate is None:
                # Part of the report itself (the reporter's right to report was checked above).
                _move(actor, problem, "register", "", as_part_of_report=True)
                _move(actor, problem, "dispatch", "", as_part_of_report=True)
    except IntegrityError:
        existing = Problem.objects.filter(reported_by_id=actor.pk, client_key=client_key).first()
        if client_key is None or existing is None:
            raise
        return existing
    return problem


def _refusal(transition: str, problem: Problem) -> Refused:
    return Refused("transition_refused",
                   _("Problem %(number)s is %(status)s: it cannot be %(transition)s.")
                   % {"number": problem.number, "status": problem.get_status_display(),
                      "transition": TRANSITION_LABELS[transition]})


TRANSITION_LABELS = {
    "register": gettext_lazy("registered"), "dispatch": gettext_lazy("dispatched"),
    "rectify": gettext_lazy("rectified"), "verify": gettext_lazy("verified"),
    "return": gettext_lazy("returned for rework"), "close": gettext_lazy("closed"),
    "cancel": gettext_lazy("cancelled"),
}


def _move(actor, problem: Problem, transition: str, note: str, photo_ids: list[int] | tuple = (),
          as_part_of_report: bool = False) -> Problem:
    """Check and apply one transition to a locked problem (inside a transaction)."""
    try:
        new_status = lifecycle.next_status(problem.status, transition)
    except lifecycle.TransitionRefused:
        raise _refusal(transition, problem) from None
    if transition in ("verify", "return") and problem.rectified_by_id is not None \
            and problem.rectified_by_id == getattr(actor, "pk", None):
        raise Refused("rectifier_verifies", _("You rectified this problem: someone else must verify it."))
    if not as_part_of_report and not can_transition(actor, problem, transition):
        raise PermissionDenied
    note = note.strip()
    if transition in ("return", "cancel") and not note:
        raise Refused("reason_required", _("Give the reason."))
    photos = photos_for(actor=actor, ids=list(photo_ids), village=problem.village,
                        not_before=problem.reported_at) if photo_ids else []
    used = set(ProblemPhoto.objects.filter(problem=problem, photo__in=photos).values_list("photo_id", flat=True))
    if used:
        raise Refused("photo_reused", _("The photos %(ids)s are already part of this problem; take a new one.")
                      % {"ids": ", ".join(map(str, sorted(used)))})
    if transition == "rectify" and not photos:
        raise Refused("after_photo_required", _("Rectification needs at least one photo of the result."))
    before = _snapshot(problem)
    old_status = problem.status
    now = timezone.now()
    problem.status = new_status
    if transition == "dispatch":
        problem.dispatched_at = now
        problem.deadline = deadline_for(problem.category, now)
    elif transition == "rectify":
        problem.rectified_at = now
        problem.rectified_by, problem.rectified_by_label = actor_user(actor), actor_label(actor)
        problem.first_rectified_at = problem.first_rectified_at or now
    elif transition == "verify":
        problem.verified_at = now
    elif transition == "return":
        problem.rework_count += 1
    elif transition in ("close", "cancel"):
        problem.closed_at = now
    problem.save()
    event = _event(problem, actor, transition, old_status, note, now)
    if photos:
        ProblemPhoto.objects.bulk_create([ProblemPhoto(problem=problem, photo=photo, kind=PhotoKind.AFTER,
                                                       event=event) for photo in photos])
    audit_record(actor=actor, action=f"problem.{transition}", object_type="problem", object_id=str(problem.pk),
                 before=before, after=_snapshot(problem) | {"note": note, "photos": [p.pk for p in photos]})
    if transition == "dispatch":
        notices.tell(problem, notices.DISPATCHED)
    elif transition == "return":
        notices.tell(problem, notices.RETURNED, note)
    elif transition == "rectify":
        notices.tell(problem, notices.RECTIFIED)
    return problem


def _transition(actor, problem: Problem, transition: str, note: str = "", photo_ids=()) -> Problem:
    with transaction.atomic():
        locked = (Problem.objects.select_for_update().select_related("category", "village", "town")
                  .get(pk=problem.pk))
        return _move(actor, locked, transition, note, photo_ids)


def problem_register(*, actor, problem: Problem, note: str = "") -> Problem:
    """立案: the township or the office accepts the report as a case."""
    return _transition(actor, problem, "register", note)


def problem_dispatch(*, actor, problem: Problem, note: str = "") -> Problem:
    """派遣: sent to the village with a deadline; the village's and township's staff are told at once."""
    return _transition(actor, problem, "dispatch", note)


def problem_rectify(*, actor, problem: Problem, photo_ids: list[int], note: str = "") -> Problem:
    """处置: the village reports the problem fixed, with at least one after-photo."""
    return _transition(actor, problem, "rectify", note, photo_ids)


def problem_verify(*, actor, problem: Problem, note: str = "") -> Problem:
    """核查: someone other than the rectifier confirms the fix on the spot or from the photos."""
    return _transition(actor, problem, "verify", note)


def problem_return(*, actor, problem: Problem, note: str) -> Problem:
    """Not fixed: back to the village for rework (counted); the deadline stands."""
    return _transition(actor, problem, "return", note)


def problem_close(*, actor, problem: Problem, note: str = "") -> Problem:
    """结案."""
    return _transition(actor, problem, "close", note)


def problem_cancel(*, actor, problem: Problem, note: str) -> Problem:
    """Not a problem, or a duplicate: closed without rectification, with the reason."""
    return _transition(actor, problem, "cancel", note)


def allowed_for(user, problem: Problem, roots=UNSET) -> list[str]:
    """The transitions this user may take on the problem now (the buttons to show); pass ``roots``
    (area_roots) when asking about many problems."""
    if roots is UNSET:
        roots = area_roots(user)
    rectifier = problem.rectified_by_id is not None and problem.rectified_by_id == getattr(user, "pk", None)
    return [t for t in lifecycle.allowed(problem.status)
            if can_transition(user, problem, t, roots) and not (rectifier and t in ("verify", "return"))]


def problem_set_public(*, actor, problem: Problem, public: bool) -> Problem:
    """Mark the problem public (served by the public Open311 interface, without any personal data) or take it
    back; the office only. Setting what is already set changes nothing and records nothing."""
    access.require_office(actor)
    with transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        if locked.public == bool(public):
            return locked
        locked.public = bool(public)
        locked.save(update_fields=["public"])
        audit_record(actor=actor, action="problem.public" if public else "problem.unpublic", object_type="problem",
                     object_id=str(locked.pk), before={"public": not locked.public}, after={"public": locked.public})
    return locked


TRANSITION_FUNCTIONS: dict[str, Callable[..., Problem]] = {
    "register": problem_register, "dispatch": problem_dispatch, "rectify": problem_rectify,
    "verify": problem_verify, "return": problem_return, "close": problem_close, "cancel": problem_cancel,
}


def problems_overdue_notify(*, now: dt.datetime | None = None) -> list[Problem]:
    """Tell the village and township once about each problem that has passed its deadline unrectified."""
    now = now or timezone.now()
    told = []
    with transaction.atomic():
        due = (Problem.objects.select_for_update().select_related("category", "village", "town")
               .filter(status__in=lifecycle.AWAITING_VILLAGE, deadline__lt=now, overdue_notified_at__isnull=True))
        for problem in due:
            problem.overdue_notified_at = now
            problem.save(update_fields=["overdue_notified_at"])
            notices.tell(problem, notices.OVERDUE)
            told.append(problem)
        if told:
            audit_record(actor=access.SYSTEM, action="problem.overdue", object_type="problems", object_id="",
                         after={"problems": [p.pk for p in told]})
    return told


# The office's settings: categories and the working calendar ----------------------------------------------------


CODE_PATTERN = re.compile(r"[a-z0-9_-]{1,30}")
NAME_MAX = 50
NOTE_MAX = 50
WORKING_DAYS_MAX = 30
RADIUS_MAX_M = 5000
HOURS_MAX = 720
POSITION_MAX = 999
# The words of a calendar line: 休 (a day off) or 班 (a day worked), in Chinese or English.
HOLIDAY_WORDS = frozenset({"休", "假", "休息", "放假", "holiday", "off", "rest"})
WORKING_WORDS = frozenset({"班", "上班", "补班", "working", "work", "workday"})
DATE_PATTERN = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")



def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# Categories ---------------------------------------------------------------------------------------------------


def category_errors(*, code: str, name: str, working_days, duplicate_radius_m, duplicate_hours,
                    position=None) -> dict[str, tuple[str, str]]:
    """What is wrong with these values, by field: (refusal code, translated message). Empty when all is well."""
    errors: dict[str, tuple[str, str]] = {}
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = ("bad_code", _("The code must be 1 to 30 characters, each a lower-case letter a-z, a digit, "
                                        "“-” or “_”."))
    if not name:
        errors["name"] = ("name_required", _("Give the category a name."))
    elif len(name) > NAME_MAX:
        errors["name"] = ("name_too_long", _("The name is longer than %(max)s characters.") % {"max": NAME_MAX})
    if not _whole(working_days, 0, WORKING_DAYS_MAX):
        errors["working_days"] = ("bad_working_days", _("The days to rectify must be a whole number from 0 to "
                                                        "%(max)s.") % {"max": WORKING_DAYS_MAX})
    if not _whole(duplicate_radius_m, 0, RADIUS_MAX_M):
        errors["duplicate_radius_m"] = ("bad_radius", _("The duplicate radius must be a whole number of metres "
                                                        "from 0 to %(max)s.") % {"max": RADIUS_MAX_M})
    if not _whole(duplicate_hours, 0, HOURS_MAX):
        errors["duplicate_hours"] = ("bad_hours", _("The duplicate window must be a whole number of hours from 0 "
                                                    "to %(max)s.") % {"max": HOURS_MAX})
    if position is not None and not _whole(position, 0, POSITION_MAX):
        errors["position"] = ("bad_position", _("The position must be a whole number from 0 to %(max)s.")
                              % {"max": POSITION_MAX})
    return errors


def _category_snapshot(category: Category) -> dict:
    return {"code": category.code, "name": category.name, "working_days": category.working_days,
            "duplicate_radius_m": category.duplicate_radius_m, "duplicate_hours": category.duplicate_hours,
            "active": category.active, "position": category.position}


def category_save(*, actor, campaign, code: str, name: str, working_days: int, duplicate_radius_m: int,
                  duplicate_hours: int, active: bool = True, position: int | None = None) -> Category:
    """Create the campaign's category with this code, or update the one that has it (the code never changes).

    ``working_days`` 0 means by the end of the same working day. A duplicate radius or window of 0 turns
    duplicate detection off for the category. Problems already dispatched keep their deadlines: new values apply
    to problems dispatched afterwards. ``position`` None keeps an existing category's place and puts a new one
    last. Refused (with a message for each wrong field in ``params["errors"]``) when a value is out of range."""
    access.require_office(actor)
    code = (code or "").strip()
    name = (name or "").strip()
    errors = category_errors(code=code, name=name, working_days=working_days, duplicate_radius_m=duplicate_radius_m,
                             duplicate_hours=duplicate_hours, position=position)
    if errors:
        first_code, first_message = next(iter(errors.values()))
        raise Refused(first_code, first_message, errors={field: message for field, (_c, message) in errors.items()})
    values = {"name": name, "working_days": working_days, "duplicate_radius_m": duplicate_radius_m,
              "duplicate_hours": duplicate_hours, "active": bool(active)}
    object_id = f"{campaign.slug}/{code}"
    with transaction.atomic():
        category = Category.objects.select_for_update().filter(campaign=campaign, code=code).first()
        if category is None:
            if position is None:
                last = Category.objects.filter(campaign=campaign).aggregate(last=Max("position"))["last"]
                position = 0 if last is None else min(last + 1, POSITION_MAX)
            try:
                with transaction.atomic():
                    category = Category.objects.create(campaign=campaign, code=code, position=position, **values)
            except IntegrityError:
                raise Refused("category_exists", _("The category %(code)s was created by someone else at the same "
                                                   "time; open it and try again.") % {"code": code}) from None
            audit_record(actor=actor, action="problem.category", object_type="problem_category",
                         object_id=object_id, after=_category_snapshot(category))
            return category
        before = _category_snapshot(category)
        for field, value in values.items():
            setattr(category, field, value)
        if position is not None:
            category.position = position
        after = _category_snapshot(category)
        if after != before:
            category.save()
            audit_record(actor=actor, action="problem.category", object_type="problem_category",
                         object_id=object_id, before=before, after=after)
    return category


# The working calendar -----------------------------------------------------------------------------------------


def _day_snapshot(day: CalendarDay | None) -> dict | None:
    return None if day is None else {"working": day.working, "note": day.note}


def _note_error(note: str) -> str | None:
    if len(note) > NOTE_MAX:
        return _("The note is longer than %(max)s characters.") % {"max": NOTE_MAX}
    return None


def calendar_set(*, actor, date: dt.date, working: bool, note: str = "") -> CalendarDay:
    """Make ``date`` a working day or a day off, whatever the day of the week (a holiday, or a weekend day
    worked in its place). Problems already dispatched keep their deadlines; the change applies to problems
    dispatched afterwards."""
    access.require_office(actor)
    note = (note or "").strip()
    error = _note_error(note)
    if error:
        raise Refused("note_too_long", error)
    with transaction.atomic():
        before = _day_snapshot(CalendarDay.objects.select_for_update().filter(date=date).first())
        after = {"working": bool(working), "note": note}
        if before == after:
            return CalendarDay.objects.get(date=date)
        day, _created = CalendarDay.objects.update_or_create(date=date, defaults=after)
        audit_record(actor=actor, action="problem.calendar", object_type="calendar_day", object_id=date.isoformat(),
                     before=before, after=after)
    return day


def calendar_clear(*, actor, date: dt.date) -> None:
    """Remove the exception on ``date``: the day is again a working day Monday to Friday and a day off at the
    weekend. Nothing happens when there is none. Problems already dispatched keep their deadlines."""
    access.require_office(actor)
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        if day is None:
            return
        before = _day_snapshot(day)
        day.delete()
        audit_record(actor=actor, action="problem.calendar", object_type="calendar_day", object_id=date.isoformat(),
                     before=before, after=None)


@dataclass(frozen=True)
class CalendarImport:
    created: int
    updated: int
    unchanged: int


def _rows_errors(numbered: list[tuple[int, dt.date, bool, str]], repeated: str) -> list[tuple[int, str]]:
    """The errors of already-read rows (long notes, repeated dates: ``repeated`` names where the date was
    first given): (line or row number, message)."""
    errors = []
    first_seen: dict[dt.date, int] = {}
    for number, date, _working, note in numbered:
        error = _note_error(note)
        if error is None and date in first_seen:
            error = repeated % {"date": date.isoformat(), "first": first_seen[date]}
        first_seen.setdefault(date, number)
        if error:
            errors.append((number, error))
    return errors


def _refuse_rows(errors: list[tuple[int, str]], label: str) -> Refused:
    """One refusal for all the errors, in line order; ``label`` places a message on its row or line."""
    errors = sorted(errors, key=lambda error: error[0])
    return Refused("calendar_refused", _("Refused: %(count)s problem(s) found, nothing was written.")
                   % {"count": len(errors)}, errors=[label % {"row": n, "line": n, "message": m} for n, m in errors],
                   lines=[n for n, _m in errors])


def calendar_import(*, actor, rows: list[tuple[dt.date, bool, str]]) -> CalendarImport:
    """Set the exceptions of a list (typically the year's holidays and worked weekends as the State Council
    publishes them): each row is (date, working, note). All or nothing: Refused with the errors of all rows in
    ``params["errors"]``. Dates not in the list keep what they have. Problems already dispatched keep their
    deadlines; the change applies to problems dispatched afterwards."""
    access.require_office(actor)
    if not rows:
        raise Refused("calendar_empty", _("The list is empty: give one date per line."), errors=[])
    cleaned = [(number, date, bool(working), (note or "").strip())
               for number, (date, working, note) in enumerate(rows, start=1)]
    errors = _rows_errors(cleaned, _("%(date)s is already given in row %(first)s."))
    if errors:
        raise _refuse_rows(errors, _("Row %(row)s: %(message)s"))
    created: list[CalendarDay] = []
    updated: list[CalendarDay] = []
    changes: list[Change] = []
    with transaction.atomic():
        existing = {day.date: day for day in
                    CalendarDay.objects.select_for_update().filter(date__in=[date for _n, date, _w, _t in cleaned])}
        for _number, date, working, note in cleaned:
            after = {"working": working, "note": note}
            day = existing.get(date)
            before = _day_snapshot(day)
            if before == after:
                continue
            if day is None:
                created.append(CalendarDay(date=date, working=working, note=note))
            else:
                day.working, day.note = working, note
                updated.append(day)
            changes.append(Change("problem.calendar", "calendar_day", date.isoformat(), before, after))
        CalendarDay.objects.bulk_create(created)
        CalendarDay.objects.bulk_update(updated, ["working", "note"])
        audit_record_many(actor=actor, changes=changes)
    return CalendarImport(created=len(created), updated=len(updated),
                          unchanged=len(cleaned) - len(created) - len(updated))


def calendar_parse(text: str) -> list[tuple[dt.date, bool, str]]:
    """Read a pasted or filed list, one day a line: the date (YYYY-MM-DD), 休 or 班 (holiday or working), and an
    optional note, separated by spaces or tabs (``2027-01-01 休 元旦``, ``2027-02-07 班 春节调休``). Blank
    lines and lines starting with # are skipped. Refused, with every error and its line number in
    ``params["errors"]``, when any line is wrong."""
    numbered: list[tuple[int, dt.date, bool, str]] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        match = DATE_PATTERN.fullmatch(parts[0])
        date = None
        if match:
            try:
                date = dt.date(*(int(group) for group in match.groups()))
            except ValueError:
                date = None
        if date is None:
            errors.append((number, _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": parts[0]}))
            continue
        if len(parts) < 2:
            errors.append((number, _("After the date, give 休 or 班 (holiday or working).")))
            continue
        word = parts[1].lower()
        if word not in HOLIDAY_WORDS and word not in WORKING_WORDS:
            errors.append((number, _("“%(value)s” must be 休 or 班 (holiday or working).") % {"value": parts[1]}))
            continue
        numbered.append((number, date, word in WORKING_WORDS, parts[2].strip() if len(parts) > 2 else ""))
    errors.extend(_rows_errors(numbered, _("%(date)s is already given on line %(first)s.")))
    if errors:
        raise _refuse_rows(errors, _("Line %(line)s: %(message)s"))
    if not numbered:
        raise Refused("calendar_empty", _("The list is empty: give one date per line."), errors=[])
    return [(date, working, note) for _n, date, working, note in numbered]


def calendar_text(data: bytes) -> str:
    """A calendar file's text: UTF-8 (with or without a BOM) or GB18030, as Windows saves Chinese text."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused("encoding", _("The file is neither UTF-8 nor GB18030 text."))
