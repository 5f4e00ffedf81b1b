"""Writes of the grids: a grid person's daily round, and the accounts of the grids' people opened in bulk."""

import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.actors import recorded_by
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_snapshot
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core.errors import Refused
from dudao.grids.access import can_open_grid_accounts, can_patrol
from dudao.grids.models import Patrol
from dudao.org.models import GRID_POST_ROLES, Level, Person, Post, Unit
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
            user.set_password(password)
            users.append(user)
            opened.append(OpenedAccount(post.person.phone, post.person.name, post.unit.name, password))
        User.objects.bulk_create(users, batch_size=500)
        audit_record_many(actor=actor, changes=[
            Change("user.create", "user", user.username, None, user_snapshot(user) | {"password_changed": True})
            for user in users])
    return opened
