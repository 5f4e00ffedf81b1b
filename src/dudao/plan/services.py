"""Every write of the plan: departments and their responsible people, the actions file (all or nothing), the
fan-out of tasks to the townships, a township's own tasks, progress reports with photos, the evidence mapping,
archiving and deleting actions, the overdue notices. Each is atomic and audit-logged."""

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM, require_office
from dudao.accounts.actors import recorded_by
from dudao.audit.services import Change, audit_record, audit_record_many
from dudao.core.errors import Refused, cleaned_text
from dudao.core.tables import MAX_BYTES, TableRefused, read_table
from dudao.notices.services import check_file
from dudao.org.models import Person, PostRole, Unit
from dudao.org.services import ImportReport as UnitsReport
from dudao.photos.services import checked, discard, files_store
from dudao.plan import access, actionfile, notices, selectors
from dudao.plan.models import (
    Action,
    Department,
    DepartmentPost,
    Document,
    DocumentKind,
    DocumentVersion,
    Milestone,
    Progress,
    ProgressPhoto,
    Task,
)

NOTE_MAX = 2000
TITLE_MAX = 100
PHOTOS_MAX = 6


def towns_of(campaign):
    return Unit.objects.of_campaign(campaign).towns().filter(active=True).order_by("path")


# Departments -----------------------------------------------------------------------------------------------------


def department_save(*, actor, campaign, name: str, duties: str = "", position: int = 0,
                    synthetic: bool = False, department: Department | None = None) -> Department:
    require_office(actor)
    name = cleaned_text(name, code="name", empty=_("The name is empty."), maximum=actionfile.DEPARTMENT_MAX)
    duties = cleaned_text(duties, code="duties", maximum=2000)
    with transaction.atomic():
        clash = Department.objects.filter(campaign=campaign, name=name)
        if department is not None:
            clash = clash.exclude(pk=department.pk)
        if clash.exists():
            raise Refused("department_name_taken", _("A department with this name already exists."))
        before = None if department is None else {"name": department.name, "duties": department.duties}
        department = department or Department(campaign=campaign, synthetic=synthetic)
        department.name, department.duties, department.position = name, duties, position
        department.save()
        after = {"name": name, "duties": duties}
        if before != after:
            audit_record(actor=actor, action="department.create" if before is None else "department.update",
                         object_type="department", object_id=str(department.pk), before=before, after=after)
    return department


def department_post_add(*, actor, department: Department, person: Person, role: str, title: str,
                        start_date: dt.date, end_date: dt.date | None = None) -> DepartmentPost:
    """A person responsible at a department from a date; the post they held in the same role before ends the day
    before (a handover keeps the history)."""
    require_office(actor)
    if end_date is not None and end_date < start_date:
        raise Refused("dates_reversed", _("The end date is before the start date."))
    with transaction.atomic():
        earlier = DepartmentPost.objects.filter(department=department, role=role, start_date__lt=start_date,
                                                end_date__isnull=True)
        for post in earlier:
            post.end_date = start_date - dt.timedelta(days=1)
            post.save(update_fields=["end_date"])
        post = DepartmentPost.objects.create(department=department, person=person, role=role, title=title,
                                             start_date=start_date, end_date=end_date)
        audit_record(actor=actor, action="department.post", object_type="department", object_id=str(department.pk),
                     after={"person": person.pk, "role": role, "title": title, "start": start_date.isoformat(),
                            "end": end_date.isoformat() if end_date else None,
                            "ended": [p.pk for p in earlier]})
    return post


# The actions file ------------------------------------------------------------------------------------------------


@dataclass
class ImportReport(UnitsReport):
    """What an import of actions did (the units import's counts and problems, and its own)."""

    tasks_created: int = 0
    new_departments: list[str] = field(default_factory=list)


def _town_keys(campaign) -> dict[str, str]:
    keys: dict[str, str] = {}
    for town in towns_of(campaign):
        keys[town.name] = town.code
        keys[town.code] = town.code
    return keys


def action_snapshot(action: Action) -> dict:
    return {
        "no": action.no, "name": action.name, "lead": action.lead.name,
        "support": sorted(d.name for d in action.support.all()), "target": action.target,
        "target_value": actionfile.number_text(action.target_value), "target_unit": action.target_unit,
        "start": action.start.isoformat(), "deadline": action.deadline.isoformat(),
        "towns": None if action.all_towns else sorted(t.code for t in action.towns.all()),
        "milestones": [f"{m.date.isoformat()} {m.text}" for m in action.milestones.all()],
    }


def task_share(action: Action, count: int) -> Decimal | None:
    """Each township's share of the action's target: split evenly, rounded up (to whole numbers when the target
    is whole)."""
    if action.target_value is None or count == 0:
        return None
    value = Decimal(action.target_value)
    step = Decimal("1") if value == value.to_integral_value() else Decimal("0.01")
    return (value / count).quantize(step, rounding=ROUND_CEILING)


def _fan_out(actor, action: Action, towns: list[Unit], now) -> int:
    """One task per township the action applies to; tasks of townships it no longer applies to go unless they
    carry reports (then they stay, as history). The shares and dates follow the action."""
    share = task_share(action, len(towns))
    existing = {t.town_id: t for t in Task.objects.filter(action=action, own=False)}
    created = 0
    for town in towns:
        task = existing.pop(town.pk, None)
        if task is None:
            Task.objects.create(action=action, town=town, owner_role=PostRole.TOWN_DEPUTY, target_value=share,
                                target_unit=action.target_unit, start=action.start, deadline=action.deadline,
                                created_at=now, **recorded_by("created_by", actor))
            created += 1
        elif (task.target_value, task.target_unit, task.start, task.deadline) != (
                share, action.target_unit, action.start, action.deadline):
            task.target_value, task.target_unit, task.start, task.deadline = (share, action.target_unit,
                                                                              action.start, action.deadline)
            task.save(update_fields=["target_value", "target_unit", "start", "deadline"])
    for task in existing.values():
        if not task.reports.exists():
            task.delete()
    return created


def actions_import(*, actor, campaign, data: bytes, filename: str = "", create_departments: bool = False,
                   max_bytes: int = MAX_BYTES) -> ImportReport:
    """Create or update the battle map's actions from a file (CONTRACTS §5), by number, all or nothing; each action
    fans out to its townships as tasks."""
    require_office(actor)
    try:
        table = read_table(data, filename, max_bytes, max_rows=2000)
    except TableRefused as refused:
        return ImportReport(problems=refused.problems)
    now = timezone.now()
    with transaction.atomic():
        departments = {d.name: d for d in Department.objects.filter(campaign=campaign)}
        rows, problems, new = actionfile.parse_actions(table, set(departments), _town_keys(campaign),
                                                       create_departments)
        if problems:
            return ImportReport(problems=problems)
        report = ImportReport(new_departments=new)
        position = max((d.position for d in departments.values()), default=0)
        for name in new:
            position += 1
            departments[name] = Department.objects.create(campaign=campaign, name=name, position=position)
        changes = [Change("department.create", "department", str(departments[n].pk), None, {"name": n})
                   for n in new]
        towns = list(towns_of(campaign))
        town_by_code = {t.code: t for t in towns}
        stored = {a.no: a for a in Action.objects.filter(campaign=campaign).select_related("lead")}
        for row in rows:
            action = stored.get(row.no)
            before = action_snapshot(action) if action else None
            if action is None:
                action = Action(campaign=campaign, no=row.no, created_at=now)
            action.name, action.lead = row.name, departments[row.lead]
            action.target, action.target_value, action.target_unit = row.target, row.target_value, row.target_unit
            action.start, action.deadline, action.all_towns = row.start, row.deadline, row.towns is None
            action.updated_at = now
            action.save()
            action.support.set([departments[name] for name in row.support])
            applies = towns if row.towns is None else [town_by_code[code] for code in row.towns]
            action.towns.set([] if row.towns is None else applies)
            action.milestones.all().delete()
            Milestone.objects.bulk_create([Milestone(action=action, date=day, text=text)
                                           for day, text in row.milestones])
            after = action_snapshot(action)
            if before is None:
                report.created += 1
                changes.append(Change("action.create", "action", str(row.no), None, after))
            elif before != after:
                report.updated += 1
                changes.append(Change("action.update", "action", str(row.no), before, after))
            else:
                report.unchanged += 1
            report.tasks_created += _fan_out(actor, action, applies, now)
        audit_record_many(actor=actor, changes=changes)
    return report


def actions_export_rows(*, campaign, chinese: bool = False) -> tuple[list[str], list[list[str]]]:
    header = actionfile.HEADERS_ZH if chinese else actionfile.HEADERS_EN
    rows = []
    for action in selectors.actions(campaign, archived=None):
        rows.append(actionfile.export_row(
            no=action.no, name=action.name, lead=action.lead.name,
            support=[d.name for d in action.support.all()], target=action.target,
            target_value=action.target_value, target_unit=action.target_unit, start=action.start,
            deadline=action.deadline, towns=None if action.all_towns else [t.name for t in action.towns.all()],
            milestones=[(m.date, m.text) for m in action.milestones.all()]))
    return header, rows


def action_archive(*, actor, action: Action, archived: bool = True) -> Action:
    require_office(actor)
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.archived != archived:
            action.archived, action.updated_at = archived, timezone.now()
            action.save(update_fields=["archived", "updated_at"])
            audit_record(actor=actor, action="action.archive" if archived else "action.restore",
                         object_type="action", object_id=str(action.no), before={"archived": not archived},
                         after={"archived": archived})
    return action


def action_delete(*, actor, action: Action) -> None:
    """Delete an action and its tasks: refused when a township reported progress on it or evidence counts under it
    (archive it instead)."""
    require_office(actor)
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if Progress.objects.filter(task__action=action).exists() or selectors.evidence_exists(action):
            raise Refused("action_has_evidence", _("Action %(no)s has progress or evidence linked to it: archive it "
                                                   "instead of deleting it.") % {"no": action.no})
        before = action_snapshot(action)
        Task.objects.filter(action=action).delete()
        action.delete()
        audit_record(actor=actor, action="action.delete", object_type="action", object_id=str(before["no"]),
                     before=before)


def action_map_evidence(*, actor, action: Action, categories: list, items: list) -> Action:
    """Which problem categories and checklist items measure the action (evidence, not re-entry)."""
    require_office(actor)
    if any(c.campaign_id != action.campaign_id for c in categories) or any(
            i.checklist.campaign_id != action.campaign_id for i in items):
        raise Refused("foreign_evidence", _("Pick categories and checklist items of this campaign."))
    with transaction.atomic():
        before = {"categories": sorted(c.code for c in action.categories.all()),
                  "items": sorted(i.pk for i in action.checklist_items.all())}
        action.categories.set(categories)
        action.checklist_items.set(items)
        after = {"categories": sorted(c.code for c in categories), "items": sorted(i.pk for i in items)}
        if before != after:
            audit_record(actor=actor, action="action.evidence", object_type="action", object_id=str(action.no),
                         before=before, after=after)
    return action


# Tasks -------------------------------------------------------------------------------------------------------------


def _value(raw: str, code: str) -> Decimal | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return actionfile.parse_value(raw)
    except ValueError:
        raise Refused(code, _("“%(value)s” is not a number (at most two decimals, not negative).")
                      % {"value": raw}) from None


def task_own_add(*, actor, action: Action, town: Unit, title: str, deadline: dt.date, target_value: str = "",
                 target_unit: str = "", owner_role: str = PostRole.TOWN_DEPUTY) -> Task:
    """A township's own task under a county action (its own method, 中泉镇's "2468"), tracked like the others."""
    if not access.can_add_own(actor, town):
        raise PermissionDenied
    if action.archived or not selectors.applies_to(action, town):
        raise Refused("not_applicable", _("This action does not apply to your township."))
    title = cleaned_text(title, code="title", empty=_("Give the task a title."), maximum=TITLE_MAX)
    value = _value(target_value, "target_value")
    target_unit = cleaned_text(target_unit, code="target_unit", maximum=actionfile.UNIT_MAX)
    if value is not None and not target_unit:
        raise Refused("target_unit_required", _("A target value needs its unit of measure."))
    if owner_role not in PostRole.values:
        raise Refused("bad_owner", _("Pick the post that owns the task."))
    today = timezone.localdate()
    if deadline < today:
        raise Refused("deadline_past", _("The deadline is in the past."))
    with transaction.atomic():
        task = Task.objects.create(action=action, town=town, own=True, title=title, owner_role=owner_role,
                                   target_value=value, target_unit=target_unit, start=today, deadline=deadline,
                                   created_at=timezone.now(), **recorded_by("created_by", actor))
        audit_record(actor=actor, action="task.create", object_type="task", object_id=str(task.pk),
                     after={"action": action.no, "town": town.code, "title": title, "deadline": deadline.isoformat(),
                            "target_value": actionfile.number_text(value), "target_unit": target_unit,
                            "owner_role": owner_role})
    return task


def task_progress_report(*, actor, task: Task, value: str = "", note: str = "", photos: Sequence[bytes] = (),
                         completes: bool = False) -> Progress:
    """A township reports on its task: a figure toward the target (what this report adds), a note, photos
    (checked and re-encoded). Refused on a done task; the task is done once the township says so or its progress
    reaches the target."""
    if not access.can_report(actor, task):
        raise PermissionDenied
    figure = _value(value, "value")
    note = cleaned_text(note, code="note", maximum=NOTE_MAX)
    if figure is None and not note and not photos and not completes:
        raise Refused("empty_report", _("Give a figure, a note or a photo."))
    if len(photos) > PHOTOS_MAX:
        raise Refused("photo_count", _("At most %(max)s photos per report.") % {"max": PHOTOS_MAX})
    now = timezone.now()
    processed = [checked(data) for data in photos]
    stored = [files_store(p, now) for p in processed]
    try:
        with transaction.atomic():
            task = Task.objects.select_for_update().select_related("action").get(pk=task.pk)
            if selectors.task_done(task):
                raise Refused("task_done", _("This task is done: no more progress can be reported on it."))
            progress = Progress.objects.create(task=task, value=figure, note=note, completes=completes,
                                               reported_at=now, **recorded_by("reported_by", actor))
            for p, (display, thumb) in zip(processed, stored, strict=True):
                ProgressPhoto.objects.create(progress=progress, display_name=display, thumb_name=thumb,
                                             width=p.width, height=p.height, sha256=p.sha256)
            fields = []
            if figure is not None:
                task.reported += figure
                fields.append("reported")
            if completes or selectors.task_reached_target(task):
                task.completed_at = now
                fields.append("completed_at")
            if fields:
                task.save(update_fields=fields)
            audit_record(actor=actor, action="task.progress", object_type="task", object_id=str(task.pk),
                         after={"progress": progress.pk, "value": actionfile.number_text(figure), "note": note,
                                "photos": [p.sha256 for p in processed], "completed": task.completed_at is not None})
    except BaseException:
        for names in stored:
            discard(*names)
        raise
    return progress


def tasks_overdue_notify(*, now: dt.datetime | None = None) -> list[Task]:
    """Tell the owners of each task that passed its deadline undone, once (the daily check)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    told = []
    with transaction.atomic():
        due = (Task.objects.select_for_update().select_related("action", "town")
               .filter(action__archived=False, completed_at__isnull=True, deadline__lt=today,
                       overdue_notified_at__isnull=True))
        for task in due:
            if selectors.task_done(task):
                continue
            task.overdue_notified_at = now
            task.save(update_fields=["overdue_notified_at"])
            notices.tell_overdue(task, today, selectors.progress_text(task))
            told.append(task)
        if told:
            audit_record(actor=SYSTEM, action="task.overdue", object_type="tasks", object_id="",
                         after={"tasks": [t.pk for t in told]})
    return told


# Documents ---------------------------------------------------------------------------------------------------------


def _audience(roles: list[str]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen or any(role not in access.AUDIENCE for role in chosen):
        raise Refused("audience", _("Pick the roles the document is addressed to."))
    return chosen


def _store_version(actor, document: Document, data: bytes, note: str, number: int) -> DocumentVersion:
    kind = check_file(data)
    name = default_storage.save(f"plan/{uuid.uuid4().hex}.{kind}", ContentFile(data))
    try:
        with transaction.atomic():
            version = DocumentVersion.objects.create(
                document=document, number=number, file_name=name, file_kind=kind, file_bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(), note=note, uploaded_at=timezone.now(),
                **recorded_by("uploaded_by", actor))
            audit_record(actor=actor, action="document.version", object_type="document", object_id=str(document.pk),
                         after={"version": number, "sha256": version.sha256, "kind": kind, "note": note})
    except BaseException:
        default_storage.delete(name)
        raise
    return version


def document_add(*, actor, campaign, kind: str, title: str, audience: list[str], data: bytes,
                 note: str = "") -> Document:
    """A campaign document with its first version."""
    require_office(actor)
    if kind not in DocumentKind.values:
        raise Refused("document_kind", _("Pick the kind of document."))
    title = cleaned_text(title, code="title", empty=_("Give the document a title."), maximum=TITLE_MAX)
    note = cleaned_text(note, code="note", maximum=200)
    roles = _audience(audience)
    with transaction.atomic():
        document = Document.objects.create(campaign=campaign, kind=kind, title=title, audience=roles,
                                           created_at=timezone.now(), **recorded_by("created_by", actor))
        audit_record(actor=actor, action="document.create", object_type="document", object_id=str(document.pk),
                     after={"kind": kind, "title": title, "audience": roles})
        _store_version(actor, document, data, note, 1)
    return document


def document_version_add(*, actor, document: Document, data: bytes, note: str = "") -> DocumentVersion:
    """A new version of the document's file; the earlier ones stay."""
    require_office(actor)
    note = cleaned_text(note, code="note", maximum=200)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        number = (document.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        return _store_version(actor, document, data, note, number)


def action_from_decision(*, actor, document: Document, no: int, name: str, lead: Department, start: dt.date,
                         deadline: dt.date) -> Action:
    """A meeting decision becomes an action of the battle map, fanned out to every township."""
    require_office(actor)
    if document.kind != DocumentKind.DECISION:
        raise Refused("not_a_decision", _("Only a meeting decision becomes an action."))
    name = cleaned_text(name, code="name", empty=_("The name is empty."), maximum=actionfile.NAME_MAX)
    if no < 1:
        raise Refused("bad_action_no", _("The number must be 1 or more."))
    if deadline < start:
        raise Refused("deadline_before_start", _("The deadline is before the start."))
    if lead.campaign_id != document.campaign_id:
        raise Refused("foreign_department", _("Pick a department of this campaign."))
    now = timezone.now()
    with transaction.atomic():
        if Action.objects.filter(campaign=document.campaign, no=no).exists():
            raise Refused("action_no_taken", _("Action %(no)s exists already.") % {"no": no})
        action = Action.objects.create(campaign=document.campaign, no=no, name=name, lead=lead, start=start,
                                       deadline=deadline, all_towns=True, source_document=document, created_at=now,
                                       updated_at=now)
        created = _fan_out(actor, action, list(towns_of(document.campaign)), now)
        audit_record(actor=actor, action="action.create", object_type="action", object_id=str(no),
                     after=action_snapshot(action) | {"document": document.pk, "tasks": created})
    return action
