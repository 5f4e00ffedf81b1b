"""The campaign plan (issue 15): departments and the leading body, the actions file in and out, the fan-out of
tasks, townships' progress and own tasks, the standing, evidence, archiving and deleting, the overdue notice."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.core.tables import write_xlsx
from dudao.notifications.models import Notification
from dudao.org.models import GroupKind, Level, Post, PostRole, Unit, WorkingGroup
from dudao.plan import notices, selectors, services, standing
from dudao.plan.models import Action, Department, Progress, ProgressPhoto, Task
from dudao.problems import services as problem_services
from dudao.problems.models import Category, Problem

HEADER = "no,name,lead,support,target,target_value,target_unit,start,deadline,towns,milestones\n"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _english_command_line(monkeypatch):
    """The commands speak the locale's language: English here, so that the tests read their counts."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture
def campaign(db):
    return campaign_get()


@pytest.fixture
def town(users):
    return users["town_staff"].scope_unit


@pytest.fixture
def other_town(town, campaign):
    return services.towns_of(campaign).exclude(pk=town.pk).first()


def task_of(no: int, town) -> Task:
    return Task.objects.get(action__no=no, town=town, own=False)


def export(tmp_path, *args: str, name: str = "out.csv") -> bytes:
    path = tmp_path / name
    call_command("actions", "export", "-o", str(path), *args, stderr=io.StringIO())
    return path.read_bytes()


def run_import(tmp_path, data: bytes, *args: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    err = io.StringIO()
    call_command("actions", "import", *args, str(path), stderr=err)
    return err.getvalue()


# The demo ---------------------------------------------------------------------------------------------------------


def test_the_demo_has_the_18_actions_fanned_out_to_their_townships(campaign):
    actions = list(Action.objects.filter(campaign=campaign).prefetch_related("towns"))
    assert [a.no for a in actions] == list(range(1, 19))
    towns = services.towns_of(campaign).count()
    expected = sum(towns if a.all_towns else a.towns.count() for a in actions)
    assert Task.objects.filter(action__campaign=campaign, own=False).count() == expected
    assert Action.objects.get(no=2).towns.count() == 2 and Task.objects.filter(action__no=2).count() == 2


def test_the_demo_departments_have_dated_responsible_people_and_the_groups_duties(campaign):
    department = Department.objects.get(campaign=campaign, name="住建局")
    post = department.posts.get()
    assert department.synthetic and post.person.synthetic and post.end_date is None
    for kind in (GroupKind.LEADING, GroupKind.OFFICE, GroupKind.SPECIAL, GroupKind.AUDIT):
        assert all(g.duties for g in WorkingGroup.objects.filter(campaign=campaign, kind=kind))


def test_a_new_responsible_person_ends_the_former_post(users, campaign):
    department = Department.objects.get(campaign=campaign, name="住建局")
    former = department.posts.get()
    newcomer = Post.objects.first().person
    services.department_post_add(actor=users["office"], department=department, person=newcomer, role="head",
                                 title="局长", start_date=dt.date(2026, 11, 1))
    former.refresh_from_db()
    assert former.end_date == dt.date(2026, 10, 31)
    assert department.posts.held_between(dt.date(2026, 11, 2)).get().person == newcomer
    with pytest.raises(PermissionDenied):
        services.department_post_add(actor=users["town_staff"], department=department, person=newcomer,
                                     role="head", title="", start_date=dt.date(2026, 12, 1))


# The file in and out ----------------------------------------------------------------------------------------------


def test_export_then_import_gives_the_same_export(tmp_path, campaign):
    first = export(tmp_path)
    assert first.decode().splitlines()[0] == HEADER.strip()
    assert "2026" in first.decode() and "全部" in first.decode()
    message = run_import(tmp_path, first)
    assert "0 created, 0 updated, 18 unchanged" in message
    assert export(tmp_path, name="again.csv") == first


def test_the_excel_and_chinese_export_import_to_the_same(tmp_path, campaign):
    csv_first = export(tmp_path)
    xlsx = export(tmp_path, "--chinese-headers", name="out.xlsx")
    assert xlsx.startswith(b"PK")
    run_import(tmp_path, xlsx, name="in.xlsx")
    assert export(tmp_path, name="again.csv") == csv_first


def test_a_gb18030_file_with_a_rare_character_imports(tmp_path, campaign, town):
    text = HEADER + f"31,大水䃎村巷道清理,住建局,,,5,处,2026-03-01,2026-06-30,{town.name},\n"
    message = run_import(tmp_path, text.encode("gb18030"))
    assert "1 created" in message
    action = Action.objects.get(no=31)
    assert action.name == "大水䃎村巷道清理" and [t.town for t in action.tasks.all()] == [town]
    assert "大水䃎村巷道清理" in export(tmp_path).decode()


def test_importing_updates_by_number_and_fans_out_to_new_townships(tmp_path, campaign, town, other_town):
    run_import(tmp_path, (HEADER + f"40,甲,住建局,,,10,处,2026-03-01,2026-06-30,{town.name},\n").encode())
    assert task_of(40, town).target_value == Decimal("10")
    message = run_import(tmp_path, (HEADER + f"40,甲乙,住建局,,,10,处,2026-03-01,2026-07-31,"
                                             f"{town.name};{other_town.code},\n").encode())
    assert "0 created, 1 updated" in message and "1 township tasks added" in message
    assert (task_of(40, town).target_value, task_of(40, town).deadline) == (Decimal("5"), dt.date(2026, 7, 31))
    assert AuditEvent.objects.filter(action="action.update", object_id="40").count() == 1


def test_a_refused_file_writes_nothing_and_names_each_row(tmp_path, campaign):
    before = (Action.objects.count(), Task.objects.count(), AuditEvent.objects.count())
    text = (HEADER + "41,甲,住建局,,,10,处,2026-03-01,2026-06-30,全部,\n"
                     "42,乙,环卫局,,,10,处,2026-03-01,2026-06-30,全部,\n"
                     "41,丙,住建局,,,10,处,2026-06-01,2026-03-01,全部,\n")
    path = tmp_path / "bad.csv"
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("actions", "import", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == ["Row 3: The department “环卫局” is unknown; add it first or import with --create-departments.",
                     "Row 4: The number 41 appears again (first in row 2).",
                     "Row 4: The deadline 2026-03-01 is before the start 2026-06-01."]
    assert (Action.objects.count(), Task.objects.count(), AuditEvent.objects.count()) == before


def test_create_departments_creates_and_lists_them(tmp_path, campaign):
    message = run_import(tmp_path, (HEADER + "43,甲,环卫局,园林局,,,,2026-03-01,2026-06-30,全部,\n").encode(),
                         "--create-departments")
    assert Department.objects.filter(campaign=campaign, name__in=["环卫局", "园林局"]).count() == 2
    assert "环卫局" in message and "园林局" in message
    assert AuditEvent.objects.filter(action="department.create", after__name="园林局").count() == 1


def test_only_the_office_imports(users, campaign):
    with pytest.raises(PermissionDenied):
        services.actions_import(actor=users["leader"], campaign=campaign, data=b"x")


# Progress ---------------------------------------------------------------------------------------------------------


def test_a_township_reports_progress_with_a_photo(users, town):
    task = task_of(4, town)
    before = task.reported
    progress = services.task_progress_report(actor=users["town_staff"], task=task, value="7", note="清理七处",
                                             photos=[jpeg()])
    task.refresh_from_db()
    assert task.reported == before + 7 and progress.photos.count() == 1
    photo = ProgressPhoto.objects.get(progress=progress)
    assert (photo.width, photo.height) == (320, 240)
    event = AuditEvent.objects.filter(action="task.progress", object_id=str(task.pk)).latest("pk")
    assert event.after["value"] == "7" and event.after["photos"] == [photo.sha256]


def test_a_township_cannot_report_on_another_townships_task(users, other_town):
    with pytest.raises(PermissionDenied):
        services.task_progress_report(actor=users["town_staff"], task=task_of(4, other_town), value="1")


@pytest.mark.parametrize("role", ["office", "leader", "inspector", "village_staff"])
def test_only_the_townships_staff_report(users, town, role):
    with pytest.raises(PermissionDenied):
        services.task_progress_report(actor=users[role], task=task_of(4, town), value="1")


def test_reaching_the_target_makes_the_task_done_and_refuses_more(users, town):
    task = task_of(15, town)  # 120 处 over 11 townships: 11 each
    services.task_progress_report(actor=users["town_staff"], task=task, value="11")
    task.refresh_from_db()
    assert task.done and selectors.task_state(task).standing == standing.DONE
    with pytest.raises(Refused) as refused:
        services.task_progress_report(actor=users["town_staff"], task=task, value="1")
    assert refused.value.code == "task_done"
    assert Progress.objects.filter(task=task).count() == 1


def test_bad_reports_are_refused(users, town):
    task = task_of(15, town)
    for value, code in (("三", "value"), ("-1", "value"), ("", "empty_report")):
        with pytest.raises(Refused) as refused:
            services.task_progress_report(actor=users["town_staff"], task=task, value=value)
        assert refused.value.code == code
    assert Progress.objects.filter(task=task).count() == 0


def test_the_task_follows_whoever_holds_its_owner_post(users, town):
    task = task_of(15, town)
    holder = Post.objects.filter(unit=town, role=PostRole.TOWN_DEPUTY).held_between(timezone.localdate()).get()
    user = users["town_staff"]
    user.person = holder.person
    user.save(update_fields=["person"])
    assert notices.owners(task, timezone.localdate()) == [user]
    Post.objects.filter(pk=holder.pk).update(end_date=timezone.localdate() - dt.timedelta(days=1))
    assert notices.owners(task, timezone.localdate()) == [user]  # nobody holds it: the township's staff
    assert user.scope_unit == town


def test_overdue_tasks_are_told_to_their_owners_once(users, town, campaign):
    past = timezone.localdate() - dt.timedelta(days=2)
    task = task_of(17, town)
    Task.objects.filter(pk=task.pk).update(start=past - dt.timedelta(days=30), deadline=past)
    Task.objects.exclude(pk=task.pk).update(overdue_notified_at=timezone.now())
    told = services.tasks_overdue_notify()
    assert told == [task]
    link = f"/plan/tasks/{task.pk}/"
    note = Notification.objects.filter(kind=notices.TASK_OVERDUE, link=link).get()
    assert (note.recipient, note.params["no"]) == (users["town_staff"], 17)
    assert services.tasks_overdue_notify() == []


def test_own_tasks_of_a_township(users, town, other_town):
    action = Action.objects.get(no=9)
    deadline = timezone.localdate() + dt.timedelta(days=30)
    own = services.task_own_add(actor=users["town_staff"], action=action, town=town, title="2468 工作法：八个清理",
                                deadline=deadline, target_value="8", target_unit="项")
    assert own.own and own.town == town and selectors.task_state(own).standing == standing.ON_TRACK
    services.task_progress_report(actor=users["town_staff"], task=own, value="8")
    own.refresh_from_db()
    assert own.done
    with pytest.raises(PermissionDenied):
        services.task_own_add(actor=users["town_staff"], action=action, town=other_town, title="x",
                              deadline=deadline)
    with pytest.raises(Refused) as refused:
        services.task_own_add(actor=users["town_staff"], action=action, town=town, title="x", deadline=deadline,
                              target_value="3")
    assert refused.value.code == "target_unit_required"
    with pytest.raises(Refused) as refused:
        services.task_own_add(actor=users["town_staff"], action=action, town=town, title="x",
                              deadline=timezone.localdate() - dt.timedelta(days=1))
    assert refused.value.code == "deadline_past"


def test_an_own_task_only_under_an_action_of_the_township(users, town, campaign):
    action = Action.objects.get(no=2)  # 一条山镇 and 芦阳镇 only
    assert not action.tasks.filter(town=town).exists()
    with pytest.raises(Refused) as refused:
        services.task_own_add(actor=users["town_staff"], action=action, town=town, title="x",
                              deadline=timezone.localdate() + dt.timedelta(days=3))
    assert refused.value.code == "not_applicable"


# Evidence ---------------------------------------------------------------------------------------------------------


def _problem(users, town, category_code: str) -> Problem:
    campaign = campaign_get()
    village = Unit.objects.filter(parent=town, level=Level.VILLAGE).first()
    category = Category.objects.get(campaign=campaign, code=category_code)
    return problem_services.problem_report(actor=users["office"], campaign=campaign, village=village,
                                           category=category, description="巷道垃圾", source="inspection")


def test_rectified_problems_of_a_mapped_category_count_toward_the_target(users, town):
    task = task_of(1, town)  # 垃圾 220 处, mapped to the garbage category
    state = selectors.task_state(task)
    problem = _problem(users, town, "garbage")
    Problem.objects.filter(pk=problem.pk).update(status="rectified")  # awaiting verification: not counted yet
    assert selectors.task_state(task).evidence.found == state.evidence.found + 1
    assert selectors.task_state(task).progress == state.progress
    Problem.objects.filter(pk=problem.pk).update(status="verified")
    after = selectors.task_state(task)
    assert after.evidence.rectified == state.evidence.rectified + 1
    assert after.progress == state.progress + 1


def test_evidence_does_not_count_where_the_unit_measures_something_else(users, town):
    action = Action.objects.get(no=8)  # 公里
    services.action_map_evidence(actor=users["office"], action=action,
                                 categories=[Category.objects.get(code="garbage")], items=[])
    task = task_of(8, town)
    assert not selectors.counts_evidence(action)
    assert selectors.task_state(task).evidence.found >= 1
    assert selectors.task_state(task).progress == task.reported


def test_deleting_an_action_with_progress_or_evidence_is_refused(users, town, tmp_path):
    with pytest.raises(Refused) as refused:
        services.action_delete(actor=users["office"], action=Action.objects.get(no=4))  # 喜泉镇 reported
    assert refused.value.code == "action_has_evidence"
    action = Action.objects.get(no=3)
    assert not Progress.objects.filter(task__action=action).exists()
    _problem(users, town, "building")
    with pytest.raises(Refused):
        services.action_delete(actor=users["office"], action=action)
    services.action_archive(actor=users["office"], action=action)
    action.refresh_from_db()
    assert action.archived
    rows = selectors.matrix(campaign_get(), selectors.tasks(campaign_get()), [town])
    assert action.no not in [r.action.no for r in rows] and rows[0].cells[0][0] == town


def test_deleting_an_action_without_evidence(users):
    action = Action.objects.get(no=12)
    assert selectors.evidence_exists(action) is False
    services.action_delete(actor=users["office"], action=action)
    assert not Action.objects.filter(no=12).exists() and not Task.objects.filter(action__no=12).exists()
    assert AuditEvent.objects.filter(action="action.delete", object_id="12").count() == 1
    with pytest.raises(PermissionDenied):
        services.action_delete(actor=users["leader"], action=Action.objects.get(no=13))


def test_the_xlsx_helper_writes_what_the_import_reads(tmp_path, campaign, town):
    data = write_xlsx([("actions", HEADER.strip().split(","),
                        [["44", "甲", "住建局", "", "", "2", "处", "2026-03-01", "2026-06-30", town.code, ""]])])
    run_import(tmp_path, data, name="in.xlsx")
    assert task_of(44, town).target_value == Decimal("2")
