"""Writes of the grids: a grid person's daily round, the accounts of the grids' people opened in bulk, the
households of a grid and the cleaners' courtyard checks."""

import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.accounts.actors import recorded_by
from dudao.accounts.models import Role, User
from dudao.accounts.services import handed_out_password_hash, user_snapshot
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core.errors import Refused, cleaned_text
from dudao.grids.access import can_check_courtyard, can_keep_households, can_open_grid_accounts, can_patrol
from dudao.grids.models import CourtyardCheck, CourtyardResult, Household, Patrol
from dudao.org.models import GRID_POST_ROLES, Level, Person, Post, Unit
from dudao.photos.models import Photo
from dudao.photos.services import check_position

# Letters and digits that cannot be mistaken for one another when read out or copied from paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - the letters, not a password
PASSWORD_LENGTH = 10


def patrol_record(*, actor, campaign, grid: Unit, lat: float | None, lon: float | None,
                  accuracy_m: float | None = None, note: str = "") -> Patrol:
    """巡查: a check-in on the grid person's round, with the phone's position (required) and the time of now."""
    if not can_patrol(actor, grid):
        raise PermissionDenied
    if lat is None or lon is None:
        raise Refused("place_required", _("The round needs the phone's position: turn on location (GPS)."))
    check_position(campaign, lat, lon)
    note = note.strip()
    if len(note) > 200:
        raise Refused("too_long", _("The note is longer than 200 characters."))
    with transaction.atomic():
        patrol = Patrol.objects.create(grid=grid, at=timezone.now(), lat=lat, lon=lon, accuracy_m=accuracy_m,
                                       note=note, **recorded_by("by", actor))
        audit_record(actor=actor, action="grid.patrol", object_type="grid", object_id=grid.code,
                     after={"at": patrol.at.isoformat(), "lat": lat, "lon": lon, "note": note})
    return patrol


@dataclass(frozen=True)
class OpenedAccount:
    username: str  # the person's phone number: what they sign in with
    name: str
    grid: str  # the grid's name
    password: str  # shown once, to be handed to the person


def grid_people(unit: Unit) -> list[Post]:
    """Today's grid posts under the unit (a grid, a village, a township), one per person: their first grid."""
    today = timezone.localdate()
    posts = (Post.objects.held_between(today).filter(role__in=GRID_POST_ROLES, unit__level=Level.GRID,
                                                     unit__path__startswith=unit.path)
             .select_related("person", "unit").order_by("unit__path", "role", "person__name"))
    first: dict[int, Post] = {}
    for post in posts:
        first.setdefault(post.person_id, post)
    return list(first.values())


def grid_accounts_open(*, actor, unit: Unit) -> list[OpenedAccount]:
    """Open a `grid` account for every person holding a grid post under ``unit`` today who has none: the user name
    is their phone number, the password a new random one (returned once, to be handed out). All or nothing: a phone
    number already used by another account refuses the whole batch, naming each such number."""
    if not can_open_grid_accounts(actor, unit):
        raise PermissionDenied
    with transaction.atomic():
        posts = grid_people(unit)
        accounts = {u.username: u for u in User.objects.filter(username__in=[p.person.phone for p in posts])}
        linked = {u.person_id: u for u in User.objects.filter(person_id__in=[p.person_id for p in posts])}
        clashes = []
        todo = []
        for post in posts:
            person: Person = post.person
            by_phone = accounts.get(person.phone)
            by_person = linked.get(person.pk)
            if by_phone is None and by_person is None:
                todo.append(post)
            elif by_phone is not None and (by_phone.person_id != person.pk or by_phone.role != Role.GRID):
                clashes.append(person.phone)
            elif by_person is not None and by_person.role != Role.GRID:
                clashes.append(person.phone)
        if clashes:
            raise Refused("phone_taken", _("These phone numbers are already used by another account: %(phones)s.")
                          % {"phones": "、".join(clashes)})
        opened = []
        users = []
        for post in todo:
            password = "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))
            user = User(username=post.person.phone, role=Role.GRID, scope_unit=post.unit, person=post.person,
                        first_name=post.person.name)
            user.password = handed_out_password_hash(password)
            users.append(user)
            opened.append(OpenedAccount(post.person.phone, post.person.name, post.unit.name, password))
        User.objects.bulk_create(users, batch_size=500)
        audit_record_many(actor=actor, changes=[
            Change("user.create", "user", user.username, None, user_snapshot(user) | {"password_changed": True})
            for user in users])
    return opened


# Households and their courtyards ------------------------------------------------------------------------------

HOUSEHOLD_LABEL_MAX = 40
HEAD_NAME_MAX = 40


def _household_fields(label: str, head_name: str) -> tuple[str, str]:
    label = cleaned_text(label, code="label", maximum=HOUSEHOLD_LABEL_MAX,
                         empty=_("Give the household's house number."),
                         too_long=_("The house number is %(length)s characters long; at most %(max)s are accepted."))
    head_name = cleaned_text(head_name, code="head_name", maximum=HEAD_NAME_MAX,
                             too_long=_("The head's name is %(length)s characters long; at most %(max)s are "
                                        "accepted."))
    return label, head_name


def _household_snapshot(household: Household) -> dict:
    return {"grid": household.grid.code, "label": household.label, "head_name": household.head_name}


def household_add(*, actor, grid: Unit, label: str, head_name: str = "") -> Household:
    """A household of the grid (the village's staff, or a grid person on the spot in their grid)."""
    if not can_keep_households(actor, grid):
        raise PermissionDenied
    label, head_name = _household_fields(label, head_name)
    with transaction.atomic():
        if Household.objects.filter(grid=grid, label=label).exists():
            raise Refused("household_exists", _("%(grid)s already has a household %(label)s.")
                          % {"grid": grid.name, "label": label})
        household = Household.objects.create(grid=grid, label=label, head_name=head_name,
                                             **recorded_by("created_by", actor))
        audit_record(actor=actor, action="household.create", object_type="household", object_id=str(household.pk),
                     after=_household_snapshot(household))
    return household


def households_import(*, actor, village: Unit, text: str) -> list[Household]:
    """Households pasted as lines ``grid, house number[, head's name]`` (the grid by its name or code, one of the
    village's; commas, Chinese commas or tabs). All or nothing: every bad line is named with its number."""
    grids = list(Unit.objects.filter(level=Level.GRID, path__startswith=village.path).order_by("path"))
    for grid in grids:
        if not can_keep_households(actor, grid):
            raise PermissionDenied
    by_key = {grid.code: grid for grid in grids} | {grid.name: grid for grid in grids}
    with transaction.atomic():
        stored = set(Household.objects.filter(grid__in=grids).values_list("grid_id", "label"))
        errors: list[str] = []
        rows: list[Household] = []
        seen: dict[tuple[int, str], int] = {}
        for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            cells = [cell.strip() for cell in line.replace("\t", ",").replace("，", ",").split(",")]
            if not any(cells):
                continue
            if len(cells) not in (2, 3):
                errors.append(_("Line %(line)s: give the grid, the house number and, if you like, the head's "
                                "name.") % {"line": number})
                continue
            grid = by_key.get(cells[0])
            if grid is None:
                errors.append(_("Line %(line)s: %(grid)s is not a grid of %(village)s.")
                              % {"line": number, "grid": cells[0], "village": village.name})
                continue
            try:
                label, head_name = _household_fields(cells[1], cells[2] if len(cells) == 3 else "")
            except Refused as refused:
                errors.append(_("Line %(line)s: %(problem)s") % {"line": number, "problem": refused.message})
                continue
            if (grid.pk, label) in seen:
                errors.append(_("Line %(line)s: the household %(label)s of %(grid)s appears again (first on line "
                                "%(first)s).") % {"line": number, "label": label, "grid": grid.name,
                                                  "first": seen[(grid.pk, label)]})
                continue
            if (grid.pk, label) in stored:
                errors.append(_("Line %(line)s: %(grid)s already has a household %(label)s.")
                              % {"line": number, "grid": grid.name, "label": label})
                continue
            seen[(grid.pk, label)] = number
            rows.append(Household(grid=grid, label=label, head_name=head_name, **recorded_by("created_by", actor)))
        if errors:
            raise Refused("households_invalid", "\n".join(errors), errors=errors)
        if not rows:
            raise Refused("households_empty", _("Paste at least one household."))
        households = Household.objects.bulk_create(rows)
        audit_record_many(actor=actor, changes=[
            Change("household.create", "household", str(h.pk), None, _household_snapshot(h)) for h in households])
    return households


def courtyard_check(*, actor, household: Household, result: str, note: str = "",
                    photo: Photo | None = None) -> CourtyardCheck:
    """A cleaner's mark of a household's courtyard in their grid: clean, or needs work with a photo (their own,
    taken for the household's village: photos.services.photo_upload checked it by content)."""
    if not can_check_courtyard(actor, household):
        raise PermissionDenied
    if result not in CourtyardResult.values:
        raise Refused("bad_result", _("Mark the courtyard clean or needs work."))
    note = cleaned_text(note, code="note", maximum=200,
                        too_long=_("The note is %(length)s characters long; at most %(max)s are accepted."))
    if result == CourtyardResult.NEEDS_WORK and photo is None:
        raise Refused("photo_required", _("A courtyard that needs work needs a photo of what needs work."))
    if photo is not None:
        village_code = household.grid.village_code()
        if photo.village.code != village_code or (actor is not SYSTEM and photo.uploaded_by_id != actor.pk):
            raise Refused("photo_elsewhere", _("The photo was not taken by you for this household's village."))
    with transaction.atomic():
        check = CourtyardCheck.objects.create(household=household, at=timezone.now(), result=result, note=note,
                                              photo=photo, **recorded_by("by", actor))
        audit_record(actor=actor, action="household.courtyard_check", object_type="household",
                     object_id=str(household.pk),
                     after={"grid": household.grid.code, "label": household.label, "result": result, "note": note,
                            "photo": photo.pk if photo is not None else None, "at": check.at.isoformat()})
    return check
