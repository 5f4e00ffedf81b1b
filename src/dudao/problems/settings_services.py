"""The campaign office's settings of the problem loop: the categories (days to rectify, duplicate radius and
window) and the working calendar's exceptions to Monday–Friday (holidays, and weekend days worked in their
place, 调休).

A change applies from the moment it is saved: a problem keeps the deadline it was given when it was dispatched,
and reports are checked for duplicates with the values in force when they arrive. Only the campaign office
(and the county administrator) may change these settings; every change is one transaction with its audit event.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core.errors import Refused
from dudao.problems.models import CalendarDay, Category

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


def _require_office(actor) -> None:
    if not access.is_office(actor):
        raise PermissionDenied


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
    _require_office(actor)
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
    _require_office(actor)
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
    _require_office(actor)
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
    _require_office(actor)
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
