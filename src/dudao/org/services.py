"""The one door for changing organisation data: units, people, posts and working groups.

Every function is atomic, checks the actor's rights through dudao.accounts.access and writes one audit
event per changed record with the record's state before and after.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import shapely.geometry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pypinyin import Style, lazy_pinyin

from dudao.accounts import access
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core import bulk, geo
from dudao.core.errors import Refused
from dudao.core.messages import describe
from dudao.core.tables import MAX_BYTES, Problem, Table, TableRefused, read_table, text_problem
from dudao.org import geojson, peoplefile, unitfile
from dudao.org.access import (
    can_edit_person,
    can_manage_people,
    can_manage_posts_at,
    id_chunks,
    people_not_editable,
    phone_for,
    posts_visible_to,
    units_managed_for_posts,
    units_visible_to,
)
from dudao.org.models import Datum, GroupMember, Level, Person, Post, Unit, WorkingGroup
from dudao.org.peoplefile import normalise_phone

Progress = Callable[[int, int], None]


def pinyin_keys(name: str) -> tuple[str, str]:
    """Pinyin initials ("dszc" for 大水䃎村) and the full pinyin, both lower case, for search."""
    syllables = lazy_pinyin(name, errors="ignore")
    initials = "".join(s[0] for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore") if s)
    return initials.lower(), "".join(syllables).lower()


def parent_code(unit: Unit) -> str:
    """The parent's code, or the code outside the campaign that the county names as its parent."""
    return unit.parent.code if unit.parent is not None else unit.external_parent_code


def unit_snapshot(unit: Unit) -> dict:
    return {
        "code": unit.code, "name": unit.name, "official_name": unit.official_name, "level": unit.level,
        "parent_code": parent_code(unit),
        "active": unit.active, "lon": unit.lon, "lat": unit.lat, "point_datum": unit.point_datum,
        "point_synthetic": unit.point_synthetic, "description": unit.description,
    }


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_text(value: str, column: str, max_length: int) -> str:
    """A free-text field from a form: stripped, or Refused saying what is wrong with it."""
    value = value.strip()
    problem = text_problem(value, column, 0, max_length)
    if problem is not None:
        raise Refused(problem.code, describe(problem))
    return value


def units_import(*, actor, data: bytes, filename: str = "", progress: Progress | None = None,
                 max_bytes: int = MAX_BYTES) -> ImportReport:
    """Create or update units from a units file, all or nothing (CONTRACTS §2).

    A unit keeps its row when renamed or moved, so everything that refers to it keeps its history.
    """
    access.require_office(actor)
    try:
        table = read_table(data, filename, max_bytes)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)
    with transaction.atomic():
        stored = {u.code: u for u in Unit.objects.select_related("parent")}
        existing = {
            code: unitfile.Existing(code, u.level, parent_code(u))
            for code, u in stored.items()
        }
        rows, problems = unitfile.parse_units(table, existing)
        if problems:
            return ImportReport(problems=problems)
        report = ImportReport()
        before = {code: unit_snapshot(u) for code, u in stored.items()}
        created = _create_new_units(rows, stored)
        stored_state = {code: _stored_state(u) for code, u in stored.items()}
        total = len(rows)
        changed: list[Unit] = []
        for done, row in enumerate(rows, start=1):
            unit = stored[row.code]
            if row.code not in created:
                _apply_row(unit, row, stored)
            changed.append(unit)
            if progress and (done % 500 == 0 or done == total):
                progress(done, total)
        _recompute_paths(stored)
        # Only rows whose stored fields differ are written: an unchanged re-import writes nothing.
        dirty = [u for code, u in stored.items() if stored_state[code] != _stored_state(u)]
        Unit.objects.bulk_update(dirty, list(UNIT_STORED_FIELDS), batch_size=500)
        changes = []
        for unit in changed:
            after = unit_snapshot(unit)
            old = before.get(unit.code)
            if old is None:
                report.created += 1
                changes.append(Change("unit.create", "unit", unit.code, None, after))
            elif old != after:
                report.updated += 1
                changes.append(Change("unit.update", "unit", unit.code, _diff(old, after, True),
                                      _diff(old, after, False)))
            else:
                report.unchanged += 1
        # Units moved only because an ancestor moved change their path, which is derived: no event.
        audit_record_many(actor=actor, changes=changes)
    return report


UNIT_STORED_FIELDS = ("name", "official_name", "level", "parent", "external_parent_code", "path", "active", "lon",
                      "lat", "point_datum", "point_synthetic", "initials", "pinyin", "description")


def _stored_state(unit: Unit) -> tuple:
    return tuple(getattr(unit, "parent_id" if f == "parent" else f) for f in UNIT_STORED_FIELDS)


def _create_new_units(rows: list[unitfile.UnitRow], stored: dict[str, Unit]) -> set[str]:
    """Create the file's new units complete, parents before children, in as few INSERTs as the tree is deep.
    Returns their codes."""
    pending = [row for row in rows if row.code not in stored]
    in_file = {row.code for row in pending}
    while pending:
        ready = [row for row in pending if row.parent_code in stored or row.parent_code not in in_file]
        if not ready:
            raise RuntimeError("parse_units let a parent cycle through")
        units = []
        for row in ready:
            unit = Unit(code=row.code)
            _apply_row(unit, row, stored)
            parent = unit.parent
            unit.path = (parent.path if parent is not None else "") + unit.code + "/"
            units.append(unit)
        for unit in Unit.objects.bulk_create(units, batch_size=500):
            stored[unit.code] = unit
        done = {row.code for row in ready}
        pending = [row for row in pending if row.code not in done]
    return in_file


def _apply_row(unit: Unit, row: unitfile.UnitRow, stored: dict[str, Unit]) -> None:
    if unit.name != row.name or not unit.pinyin:
        unit.initials, unit.pinyin = pinyin_keys(row.name)  # the slowest step of a row: only when it changes
    unit.name = row.name
    if row.official_name is not None:
        unit.official_name = row.official_name
    unit.level = row.level
    parent = stored.get(row.parent_code)
    unit.parent = parent
    unit.external_parent_code = "" if parent else row.parent_code
    if row.point_given:
        unit.lon, unit.lat, unit.point_datum = row.lon, row.lat, row.datum
    if row.active is not None:
        unit.active = row.active
    if row.point_synthetic is not None:
        unit.point_synthetic = row.point_synthetic
    if row.description is not None:
        unit.description = row.description


def _recompute_paths(stored: dict[str, Unit]) -> None:
    by_pk = {u.pk: u for u in stored.values()}
    memo: dict[int, str] = {}

    def path_of(unit: Unit) -> str:
        if unit.pk in memo:
            return memo[unit.pk]
        parent = by_pk.get(unit.parent_id) if unit.parent_id else None
        memo[unit.pk] = (path_of(parent) if parent else "") + unit.code + "/"
        return memo[unit.pk]

    for unit in stored.values():
        unit.path = path_of(unit)


def _diff(old: dict, new: dict, take_old: bool) -> dict:
    source = old if take_old else new
    return {key: source[key] for key in new if old.get(key) != new.get(key)}


# How far a boundary may reach beyond the county: past its outermost unit points (villages at the edge own land
# beyond their point), or past the county's own imported boundary (drawing slack).
EXTENT_MARGIN_POINTS_M = 15_000
EXTENT_MARGIN_BOUNDARY_M = 1_000


def _county_extent(units: dict[str, Unit]) -> tuple[float, float, float, float] | None:
    """The WGS-84 box a boundary must fall in: the counties' stored boundaries if every county has one, else
    the units' points, widened by a margin; None when nothing has a position (nothing to check against)."""
    counties = [u for u in units.values() if u.level == Level.COUNTY]
    if counties and all(c.boundary for c in counties):
        corners = []
        for county in counties:
            box = shapely.geometry.shape(county.boundary).bounds
            datum = county.boundary_datum or Datum.WGS84
            corners += [geo.to_wgs84(box[0], box[1], datum), geo.to_wgs84(box[2], box[3], datum)]
        return geo.box_around(corners, EXTENT_MARGIN_BOUNDARY_M)
    points = [geo.to_wgs84(u.lon, u.lat, u.point_datum) for u in units.values()
              if u.lon is not None and u.lat is not None]
    return geo.box_around(points, EXTENT_MARGIN_POINTS_M)


def unit_boundaries_import(*, actor, data: bytes, datum: str, synthetic: bool = False) -> ImportReport:
    """Set the boundaries of the units named in a GeoJSON FeatureCollection, all or nothing.

    ``datum`` states the file's datum (wgs84 or gcj02, as for points: drones record WGS-84, Chinese web maps
    GCJ-02). Boundaries are stored in WGS-84 (``boundary_datum`` says so): every vertex is converted once here,
    so that maps and placement draw them as they are. The audit event records the datum the file was in.
    ``synthetic`` marks schematic boundaries (the demo's): maps label them as not the real divisions.
    Refusals are numbered by feature: see ``org.geojson``.
    """
    access.require_office(actor)
    if datum not in Datum.values:
        raise ValueError(datum)
    with transaction.atomic():
        units = {u.code: u for u in Unit.objects.select_for_update()}
        boundaries, problems = geojson.parse_boundaries(data, set(units), datum, _county_extent(units))
        if problems:
            return ImportReport(problems=problems)
        report = ImportReport()
        changes = []
        stored = []
        for boundary in boundaries:
            unit = units[boundary.code]
            if (unit.boundary, unit.boundary_datum, unit.boundary_synthetic) == \
                    (boundary.geometry, Datum.WGS84, synthetic):
                report.unchanged += 1
                continue
            before = {"boundary_datum": unit.boundary_datum, "boundary_synthetic": unit.boundary_synthetic,
                      "boundary": unit.boundary}
            unit.boundary, unit.boundary_datum, unit.boundary_synthetic = boundary.geometry, Datum.WGS84, synthetic
            stored.append(unit)
            report.updated += 1
            changes.append(Change("unit.boundary", "unit", unit.code, before,
                                  {"boundary_datum": Datum.WGS84, "boundary_synthetic": synthetic,
                                   "boundary": boundary.geometry, "file_datum": datum}))
        now = timezone.now()
        for unit in stored:
            unit.updated_at = now
        Unit.objects.bulk_update(stored, ["boundary", "boundary_datum", "boundary_synthetic", "updated_at"],
                                 batch_size=500)
        audit_record_many(actor=actor, changes=changes)
    return report


def units_export_rows(*, actor, chinese: bool = False) -> tuple[list[str], list[list[str]]]:
    units = units_visible_to(actor).select_related("parent").order_by("path")
    return unitfile.export_rows([unit_snapshot(u) for u in units], chinese=chinese)


def unit_update(*, actor, unit: Unit, **fields) -> Unit:
    """Change a unit's names, point or active flag from the web form."""
    access.require_office(actor)
    allowed = {"name", "official_name", "active", "lon", "lat", "point_datum", "point_synthetic", "boundary",
               "boundary_datum", "description"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        old = unit_snapshot(unit) | {"boundary": unit.boundary}
        if "name" in fields:
            fields["name"] = check_text(fields["name"], "name", 100)
        if "official_name" in fields:
            fields["official_name"] = check_text(fields["official_name"], "official_name", 200)
        if "description" in fields:
            fields["description"] = check_text(fields["description"], "description", 500)
        for key, value in fields.items():
            setattr(unit, key, value)
        if (unit.lon is None) != (unit.lat is None) or (unit.lon is not None and not unit.point_datum):
            raise Refused("point_incomplete", _("A point needs a longitude, a latitude and a datum."))
        unit.initials, unit.pinyin = pinyin_keys(unit.name)
        unit.save()
        new = unit_snapshot(unit) | {"boundary": unit.boundary}
        if old != new:
            audit_record(actor=actor, action="unit.update", object_type="unit", object_id=unit.code,
                         before=_diff(old, new, True), after=_diff(old, new, False))
    return unit


# People and posts -------------------------------------------------------------------------------------


def person_snapshot(person: Person) -> dict:
    return {"name": person.name, "phone": person.phone, "synthetic": person.synthetic}


def post_snapshot(post: Post, unit: Unit | None = None) -> dict:
    """``unit``: the post's unit when the caller has it at hand (an import), to save reading it."""
    return {
        "person": post.person_id, "unit": (unit or post.unit).code, "role": post.role, "title": post.title,
        "start_date": post.start_date.isoformat(),
        "end_date": post.end_date.isoformat() if post.end_date else None,
    }


@dataclass(frozen=True)
class FirstPost:
    unit: Unit
    role: str
    start_date: dt.date
    title: str = ""


def person_save(*, actor, person: Person | None, name: str, phone: str, first_post: FirstPost | None = None,
                synthetic: bool = False) -> Person:
    """Create a person (with their first post) or change one's name and phone.

    Township staff must give the first post, inside their township: a person without a post in their area
    would be outside it the moment they were created.
    """
    if not can_manage_people(actor) or (person is not None and not can_edit_person(actor, person)):
        raise PermissionDenied
    if person is None and first_post is None and not access.can_read_all(actor):
        raise Refused("first_post_required",
                      _("Give the person's first post: a unit in your area, the post and its start date."))
    name = check_text(name, "name_person", 50)
    normalised = normalise_phone(phone)
    if not name:
        raise Refused("name_required", pgettext("person", "The name is empty."))
    if normalised is None:
        raise Refused("bad_phone", _("The phone number is not an 11-digit mobile number."))
    phone = normalised
    with transaction.atomic():
        clash = Person.objects.filter(phone=phone)
        if person is not None:
            clash = clash.exclude(pk=person.pk)
        if clash.exists():
            raise Refused("phone_taken", _("Another person already has this phone number."))
        if person is None:
            person = Person.objects.create(name=name, phone=phone, synthetic=synthetic)
            audit_record(actor=actor, action="person.create", object_type="person", object_id=str(person.pk),
                         after=person_snapshot(person))
            if first_post is not None:
                post_create(actor=actor, person=person, unit=first_post.unit, role=first_post.role,
                            title=first_post.title, start_date=first_post.start_date)
            return person
        person = Person.objects.select_for_update().get(pk=person.pk)
        old = person_snapshot(person)
        person.name, person.phone = name, phone
        person.save()
        if old != person_snapshot(person):
            audit_record(actor=actor, action="person.update", object_type="person", object_id=str(person.pk),
                         before=old, after=person_snapshot(person))
    return person


def post_overlaps(post: Post, others: list[Post]) -> bool:
    """Whether the post's dates meet those of another of ``others`` (the same person's posts of the same role at the
    same unit): one person holds one post once at a time."""
    far = dt.date.max
    return any(other is not post and post.start_date <= (other.end_date or far)
               and other.start_date <= (post.end_date or far) for other in others)


def _check_overlap(person: Person, unit: Unit, role: str, start: dt.date, end: dt.date | None,
                   exclude: int | None = None) -> None:
    others = Post.objects.filter(person=person, unit=unit, role=role)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if post_overlaps(Post(person=person, unit=unit, role=role, start_date=start, end_date=end), list(others)):
        raise Refused("post_overlap", _("%(name)s already holds this post at %(unit)s for part of that time.")
                      % {"name": person.name, "unit": unit.name})


def post_create(*, actor, person: Person, unit: Unit, role: str, title: str = "", start_date: dt.date,
                end_date: dt.date | None = None) -> Post:
    if not can_manage_posts_at(actor, unit):
        raise PermissionDenied
    if end_date is not None and end_date < start_date:
        raise Refused("dates_reversed", _("The end date is before the start date."))
    title = check_text(title, "title", 50)
    with transaction.atomic():
        _check_overlap(person, unit, role, start_date, end_date)
        post = Post.objects.create(person=person, unit=unit, role=role, title=title,
                                   start_date=start_date, end_date=end_date)
        audit_record(actor=actor, action="post.create", object_type="post", object_id=str(post.pk),
                     after=post_snapshot(post))
    return post


def post_end(*, actor, post: Post, end_date: dt.date) -> Post:
    """Close a post: the person stops holding it after end_date (history stays)."""
    if not can_manage_posts_at(actor, post.unit):
        raise PermissionDenied
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("unit").get(pk=post.pk)
        if end_date < post.start_date:
            raise Refused("dates_reversed", _("The end date is before the start date."))
        old = post_snapshot(post)
        post.end_date = end_date
        post.save(update_fields=["end_date"])
        audit_record(actor=actor, action="post.end", object_type="post", object_id=str(post.pk),
                     before=old, after=post_snapshot(post))
    return post


# Working groups ---------------------------------------------------------------------------------------


def group_snapshot(group: WorkingGroup) -> dict:
    return {
        "name": group.name, "kind": group.kind, "duties": group.duties, "active": group.active,
        "towns": sorted(group.towns.values_list("code", flat=True)) if group.pk else [],
    }


def group_save(*, actor, group: WorkingGroup | None, campaign, kind: str, name: str, duties: str = "",
               towns: list[Unit] | None = None, active: bool = True) -> WorkingGroup:
    access.require_office(actor)
    name = check_text(name, "name", 100)
    if not name:
        raise Refused("name_required", _("The name is empty."))
    if towns and any(t.level != "town" for t in towns):
        raise Refused("not_a_town", _("Only townships can be assigned to a group."))
    with transaction.atomic():
        clash = WorkingGroup.objects.filter(campaign=campaign, name=name.strip())
        if group is not None:
            clash = clash.exclude(pk=group.pk)
        if clash.exists():
            raise Refused("group_name_taken", _("A group with this name already exists."))
        old = group_snapshot(group) if group else None
        if group is None:
            group = WorkingGroup(campaign=campaign)
        group.kind, group.name, group.duties, group.active = kind, name.strip(), duties.strip(), active
        group.save()
        group.towns.set(towns or [])
        new = group_snapshot(group)
        if old != new:
            audit_record(actor=actor, action="group.create" if old is None else "group.update",
                         object_type="group", object_id=str(group.pk), before=old, after=new)
    return group


def group_member_set(*, actor, group: WorkingGroup, person: Person, role: str) -> GroupMember:
    access.require_office(actor)
    with transaction.atomic():
        member = GroupMember.objects.filter(group=group, person=person).first()
        old = {"person": person.pk, "role": member.role} if member else None
        if member is None:
            member = GroupMember.objects.create(group=group, person=person, role=role)
        else:
            member.role = role
            member.save(update_fields=["role"])
        new = {"person": person.pk, "role": role}
        if old != new:
            audit_record(actor=actor, action="group.member_set", object_type="group", object_id=str(group.pk),
                         before=old, after=new)
    return member


def group_member_remove(*, actor, member: GroupMember) -> None:
    access.require_office(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="group.member_remove", object_type="group",
                     object_id=str(member.group_id), before={"person": member.person_id, "role": member.role})
        member.delete()


def people_import(*, actor, data: bytes, filename: str = "", progress: Progress | None = None,
                  max_bytes: int = MAX_BYTES, synthetic: bool = False) -> ImportReport:
    """Create or update people and their posts from the template sheet, all or nothing.

    People are matched by phone; posts by (person, unit, post, start date), whose title and end date are
    updated. Posts may only be placed at units the actor manages.
    """
    if not can_manage_people(actor):
        raise PermissionDenied
    try:
        table = read_table(data, filename, max_bytes)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)
    try:
        return _people_import_rows(actor, table, progress, synthetic)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)


@transaction.atomic
def _people_import_rows(actor, table: Table, progress: Progress | None, synthetic: bool) -> ImportReport:
    """In bulk: every lookup is read once before the rows are walked (units, people, their posts), and people and
    posts are written with a few INSERTs and UPDATEs, so that a province's people import in seconds."""
    managed = units_managed_for_posts(actor).only("pk", "code", "name", "path")
    units = {u.code: u for chunk in id_chunks(sorted(peoplefile.unit_codes(table)))
             for u in managed.filter(code__in=chunk)}
    rows, problems = peoplefile.parse_people(table, set(units))
    if not access.can_read_all(actor):
        # Township staff manage people through their posts: a row without one would leave its area at once.
        problems += [Problem("post_required", r.row) for r in rows if not r.unit_code]
    if problems:
        raise TableRefused(sorted(problems, key=lambda p: p.row))
    phones = sorted({r.phone for r in rows})
    people: dict[str, Person] = {}
    for chunk in id_chunks(phones):
        people.update((p.phone, p) for p in Person.objects.filter(phone__in=chunk))
    refused = people_not_editable(actor, list(people.values()))
    if refused:
        row = next(r for r in rows if r.phone in people and people[r.phone].pk in refused)
        raise TableRefused([Problem("bad_phone_scope", row.row, {"phone": row.phone})])
    report = ImportReport()
    changes: list[Change] = []
    # People: the new ones created in one go, renamed ones updated in one go.
    new_people = {}
    for row in rows:
        found = people.get(row.phone)
        if found is None and row.phone not in new_people:
            new_people[row.phone] = Person(name=row.name, phone=row.phone, synthetic=synthetic)
    renamed: dict[str, dict] = {}
    for row in rows:
        person = people.get(row.phone)
        if person is not None and person.name != row.name:
            renamed.setdefault(row.phone, person_snapshot(person))
            person.name = row.name
    for person in bulk.insert(list(new_people.values())):
        people[person.phone] = person
        report.created += 1
        changes.append(Change("person.create", "person", str(person.pk), None, person_snapshot(person)))
    now = timezone.now()
    for phone, old in renamed.items():
        person = people[phone]
        person.updated_at = now
        report.updated += 1
        changes.append(Change("person.update", "person", str(person.pk), old, person_snapshot(person)))
    Person.objects.bulk_update([people[phone] for phone in renamed], ["name", "updated_at"], batch_size=500)
    # Posts: those of the people already stored, read once; each row's post is found, checked and kept in memory.
    held: dict[tuple[int, int, str], list[Post]] = {}
    old_ids = sorted(p.pk for phone, p in people.items() if phone not in new_people)
    for chunk in id_chunks(old_ids):
        for post in Post.objects.filter(person_id__in=chunk):
            held.setdefault((post.person_id, post.unit_id, post.role), []).append(post)
    created_posts: list[Post] = []
    updated_posts: dict[int, tuple[Post, dict]] = {}
    for done, row in enumerate(rows, start=1):
        person = people[row.phone]
        if row.unit_code and row.start_date:
            unit = units[row.unit_code]
            same = held.setdefault((person.pk, unit.pk, row.role), [])
            post = next((p for p in same if p.start_date == row.start_date), None)
            if post is None:
                # By id: the people are stored by now, and the ids skip the related objects' checks (a province).
                post = Post(person_id=person.pk, unit_id=unit.pk, role=row.role, title=row.title,
                            start_date=row.start_date, end_date=row.end_date)
                if post_overlaps(post, same):
                    raise TableRefused([Problem("post_overlap", row.row, {"name": person.name, "unit": unit.name})])
                same.append(post)
                created_posts.append(post)
                report.created += 1
            elif post.pk is not None and (post.title, post.end_date) != (row.title, row.end_date):
                before = updated_posts.get(post.pk, (post, post_snapshot(post, unit)))[1]
                post.title, post.end_date = row.title, row.end_date
                updated_posts[post.pk] = (post, before)
                report.updated += 1
            else:
                report.unchanged += 1
        if progress and (done % 500 == 0 or done == len(rows)):
            progress(done, len(rows))
    unit_of = {unit.pk: unit for unit in units.values()}
    for post in bulk.insert(created_posts):
        changes.append(Change("post.create", "post", str(post.pk), None, post_snapshot(post, unit_of[post.unit_id])))
    Post.objects.bulk_update([post for post, _before in updated_posts.values()], ["title", "end_date"],
                             batch_size=500)
    for post, before in updated_posts.values():
        changes.append(Change("post.update", "post", str(post.pk), before, post_snapshot(post, unit_of[post.unit_id])))
    audit_record_many(actor=actor, changes=changes)
    return report


def people_export_rows(*, actor, chinese: bool = True) -> tuple[list[str], list[list[str]]]:
    """Every visible post (current and past) in the template's format; phones masked where the actor may
    not see them."""
    header = peoplefile.HEADERS_ZH if chinese else peoplefile.HEADERS_EN
    rows = []
    for post in posts_visible_to(actor).select_related("person", "unit").order_by(
            "unit__path", "role", "start_date", "person__name"):
        rows.append([
            post.person.name, phone_for(actor, post.person), post.unit.code, post.unit.name,
            peoplefile.ROLE_NAMES_ZH[post.role] if chinese else post.role, post.title,
            post.start_date.isoformat(), post.end_date.isoformat() if post.end_date else "",
        ])
    return header, rows
