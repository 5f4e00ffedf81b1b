"""Interviews (约谈) through their services (dudao.interviews.services): every transition and every refusal, who
may take which (dudao.accounts.access), overdue flags, the command line and the demo's interviews.

The demo (loaded once for the session) holds the interviews that publishing its weeks created. Each test takes
a few of them and puts them back to a known state first (``fresh``): pending, due in five days, no commitments.
Messages are compared in English.
"""

import ast
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone, translation

from dudao.accounts import access
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role, User
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.interviews import lifecycle, selectors, services
from dudao.interviews.access import interview_parties, interview_people_visible_to, interviews_visible_to
from dudao.interviews.models import Commitment, Interview
from dudao.org.models import Person, Unit
from dudao.problems.models import CalendarDay
from dudao.publication import services as publication

DASHUI = "620423103200"  # 大水䃎村 (demo_village), in 喜泉镇
XIQUAN = "620423103000"  # 喜泉镇 (demo_town)
YITIAOSHAN = "620423100000"  # 一条山镇: another township
STATUSES = ("pending", "scheduled", "held", "closed", "cancelled")
TRANSITIONS = ("schedule", "reschedule", "hold", "close", "cancel")
# The diagram of dudao.interviews.lifecycle, written out: (from, transition) → to.
ALLOWED = {
    ("pending", "schedule"): "scheduled", ("scheduled", "reschedule"): "scheduled", ("scheduled", "hold"): "held",
    ("held", "close"): "closed", ("pending", "cancel"): "cancelled", ("scheduled", "cancel"): "cancelled",
}
COMMITMENT_ALLOWED = {("open", "done"): "done", ("done", "verify"): "verified", ("done", "return"): "open"}
STATUS_LABELS = {"pending": "to be scheduled", "scheduled": "scheduled", "held": "held, commitments open",
                 "closed": "closed", "cancelled": "cancelled"}


def today() -> dt.date:
    return timezone.localdate()


def tomorrow_at(hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(hour, 30)))


def fresh(interview: Interview, **fields) -> Interview:
    """Back to pending, created yesterday, due in five days, with no commitments (test set-up only)."""
    Commitment.objects.filter(interview=interview).delete()
    values = {"status": "pending", "hold_by": today() + dt.timedelta(days=5), "scheduled_for": None, "place": "",
              "interviewer": "", "held_on": None, "minutes": "", "cancel_reason": "", "closed_at": None,
              "created_at": timezone.now() - dt.timedelta(days=1)} | fields
    Interview.objects.filter(pk=interview.pk).update(**values)
    interview.refresh_from_db()
    return interview


@pytest.fixture
def iv(db):
    """Three interviews: of 大水䃎村 (demo_village's), of another unit in 喜泉镇 (demo_town's), of 一条山镇."""
    base = Interview.objects.filter(person__isnull=False, vacant=False).select_related("unit", "village", "round")
    dashui = base.filter(unit__code=DASHUI).order_by("pk").first()
    xiquan = base.filter(unit__path__contains=f"/{XIQUAN}/").exclude(unit__code=DASHUI).order_by("pk").first()
    other = base.filter(unit__path__contains=f"/{YITIAOSHAN}/").order_by("pk").first()
    assert dashui and xiquan and other
    return {"dashui": fresh(dashui), "xiquan": fresh(xiquan), "other": fresh(other)}


@pytest.fixture
def trigger(monkeypatch):
    """The interviews scheduled, in the order the notification trigger heard of them."""
    calls: list[tuple[int, str, dt.datetime | None]] = []

    def record(interview):
        calls.append((interview.pk, interview.status, interview.scheduled_for))

    monkeypatch.setattr(services, "interview_scheduled", record)
    return calls


@pytest.fixture
def office2(db):
    return user_save(actor=SYSTEM, username="office_two", role=Role.OFFICE, scope_unit=None, person=None,
                     display_name="第二办公室", password="jingtai-demo-2026")


def schedule(interview, actor, when=None):
    return services.interview_schedule(actor=actor, interview=interview, scheduled_for=when or tomorrow_at(),
                                       place="县委第二会议室", interviewer="县委副书记 张国栋")


def hold(interview, actor, held_on=None, commitments=None):
    held_on = held_on or today()
    if commitments is None:
        commitments = [services.CommitmentInput("三日内清运垃圾", held_on + dt.timedelta(days=3)),
                       services.CommitmentInput("一周内拆除违建", held_on + dt.timedelta(days=7))]
    return services.interview_hold(actor=actor, interview=interview, held_on=held_on, interviewer="县委副书记 张国栋",
                                   minutes="约谈记录", commitments=commitments)


def held(interview, users) -> list[Commitment]:
    schedule(interview, users["office"])
    hold(interview, users["office"])
    return list(Commitment.objects.filter(interview=interview).order_by("position"))


def refused(call, code: str, message: str | None = None) -> Refused:
    audit_before = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(Refused) as caught:
        call()
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message
    assert AuditEvent.objects.count() == audit_before
    return caught.value


def denied(call) -> None:
    audit_before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        call()
    assert AuditEvent.objects.count() == audit_before


def events(obj_type: str, pk: int) -> list[str]:
    return list(new_events().filter(object_type=obj_type, object_id=str(pk)).values_list("action", flat=True))


_start = {"seq": 0}


@pytest.fixture(autouse=True)
def audit_start(db):
    """The audit log's end before the test: the demo's own events about the same interviews come before it."""
    _start["seq"] = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def new_events():
    return AuditEvent.objects.filter(seq__gt=_start["seq"])


# The pure lifecycle -------------------------------------------------------------------------------------


def test_lifecycle_is_pure():
    source = (Path(__file__).resolve().parents[1] / "src" / "dudao" / "interviews" / "lifecycle.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert imported == {"datetime", "collections.abc", "dudao.core.lifecycle", "dudao.core.workdays"}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("transition", TRANSITIONS)
def test_transition_table(status, transition):
    if (status, transition) in ALLOWED:
        assert lifecycle.next_status(status, transition) == ALLOWED[status, transition]
    else:
        with pytest.raises(lifecycle.TransitionRefused):
            lifecycle.next_status(status, transition)


@pytest.mark.parametrize("status", ("open", "done", "verified"))
@pytest.mark.parametrize("transition", ("done", "verify", "return"))
def test_commitment_transition_table(status, transition):
    if (status, transition) in COMMITMENT_ALLOWED:
        assert lifecycle.next_commitment_status(status, transition) == COMMITMENT_ALLOWED[status, transition]
    else:
        with pytest.raises(lifecycle.TransitionRefused):
            lifecycle.next_commitment_status(status, transition)


def test_who_may_take_which_transition():
    assert lifecycle.allowed("pending", {"office"}) == ["schedule", "cancel"]
    assert lifecycle.allowed("scheduled", {"office"}) == ["reschedule", "hold", "cancel"]
    assert lifecycle.allowed("held", {"office", "unit"}) == []  # closing is the system's
    assert lifecycle.allowed("pending", {"unit"}) == []
    assert lifecycle.allowed("open", {"unit"}, commitment=True) == ["done"]
    assert lifecycle.allowed("done", {"unit"}, commitment=True) == []
    assert lifecycle.allowed("done", {"office"}, commitment=True) == ["verify", "return"]
    assert lifecycle.may("close", {"system"}) and not lifecycle.may("close", {"office", "unit"})
    assert not lifecycle.may("nonsense", {"office"})


def test_overdue_boundaries_and_working_days():
    day = dt.date(2026, 11, 20)  # a Friday
    assert lifecycle.add_working_days(day, 5) == dt.date(2026, 11, 27)
    assert lifecycle.add_working_days(dt.date(2026, 11, 21), 5) == dt.date(2026, 11, 27)  # from a Saturday
    assert lifecycle.add_working_days(day, 5, lambda d: d.weekday() < 5 and d != dt.date(2026, 11, 23)) == \
        dt.date(2026, 11, 30)
    assert lifecycle.interview_overdue("pending", day, day + dt.timedelta(days=1))
    assert lifecycle.interview_overdue("scheduled", day, day + dt.timedelta(days=1))
    assert not lifecycle.interview_overdue("pending", day, day)
    for status in ("held", "closed", "cancelled"):
        assert not lifecycle.interview_overdue(status, day, day + dt.timedelta(days=30))
    assert lifecycle.commitment_overdue("open", day, day + dt.timedelta(days=1))
    assert not lifecycle.commitment_overdue("open", day, day)
    assert not lifecycle.commitment_overdue("done", day, day + dt.timedelta(days=9))
    assert not lifecycle.commitment_overdue("verified", day, day + dt.timedelta(days=9))


def test_hold_and_schedule_problem_codes():
    day = dt.date(2026, 11, 20)
    assert lifecycle.hold_problems(day, day, day, "张", "记录", [("做", day + dt.timedelta(days=1))]) == []
    assert lifecycle.hold_problems(day + dt.timedelta(days=1), day, day, " ", "", []) == [
        ("held_in_future", None), ("interviewer_required", None), ("minutes_required", None),
        ("commitments_required", None)]
    assert lifecycle.hold_problems(day, day, day + dt.timedelta(days=1), "张", "记录",
                                   [("", None), ("做", day)]) == [
        ("held_before_created", None), ("commitment_text_required", 1), ("commitment_due_required", 1),
        ("commitment_due_not_after_held", 2)]
    now = dt.datetime(2026, 11, 20, 15, 0)
    assert lifecycle.schedule_problems(dt.datetime(2026, 11, 20, 9, 0), now, "会议室", "张") == []
    assert lifecycle.schedule_problems(dt.datetime(2026, 11, 19, 23, 0), now, "", " ") == [
        "schedule_in_past", "place_required", "interviewer_required"]
    assert lifecycle.schedule_problems(dt.datetime(2027, 2, 19, 9, 0), now, "会议室", "张") == ["schedule_too_far"]


# The hold-by date --------------------------------------------------------------------------------------


def test_hold_by_default_counts_working_days_with_the_calendar(db):
    friday = dt.date(2026, 9, 25)
    assert services.hold_by_default(friday) == dt.date(2026, 10, 2)
    CalendarDay.objects.bulk_create([CalendarDay(date=dt.date(2026, 10, d), working=False) for d in range(1, 8)]
                                    + [CalendarDay(date=dt.date(2026, 9, 27), working=True)])
    # National Day week off, Sunday 27 September worked: 27, 28, 29, 30 September, then 8 October.
    assert services.hold_by_default(friday) == dt.date(2026, 10, 8)


def test_a_published_interview_is_pending_and_due_five_working_days_later(db):
    latest = Interview.objects.order_by("-pk").first().round
    assert set(Interview.objects.filter(round=latest).values_list("status", flat=True)) == {
        "pending", "scheduled", "cancelled"}  # the demo schedules every fifth and cancels the vacant posts
    interview = Interview.objects.filter(round=latest, status="pending").order_by("-pk").first()
    created = timezone.localtime(interview.created_at).date()
    assert interview.hold_by == services.hold_by_default(created)
    assert services.hold_by_default(created) >= created + dt.timedelta(days=5)


# Schedule and reschedule --------------------------------------------------------------------------------


def test_schedule_by_the_office(iv, users, trigger):
    interview = schedule(iv["dashui"], users["office"])
    interview.refresh_from_db()
    assert (interview.status, interview.place, interview.interviewer) == ("scheduled", "县委第二会议室", "县委副书记 张国栋")
    assert interview.scheduled_for == tomorrow_at()
    assert trigger == [(interview.pk, "scheduled", tomorrow_at())]
    event = new_events().get(object_type="interview", object_id=str(interview.pk), action="interview.schedule")
    assert event.actor_label == "user:demo_office"
    assert (event.before["status"], event.after["status"]) == ("pending", "scheduled")
    assert event.after["place"] == "县委第二会议室"


def test_schedule_later_today_is_accepted(iv, users, trigger):
    now = timezone.localtime()
    interview = services.interview_schedule(actor=users["office"], interview=iv["dashui"],
                                            scheduled_for=now.replace(hour=0, minute=0, second=0, microsecond=0),
                                            place="会议室", interviewer="张")
    assert interview.status == "scheduled"


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_schedules(iv, users, trigger, role):
    denied(lambda: schedule(iv["dashui"], users[role]))
    assert Interview.objects.get(pk=iv["dashui"].pk).status == "pending"
    assert trigger == []


def test_the_county_administrator_and_the_command_line_schedule(iv, users, trigger):
    schedule(iv["dashui"], users["county_admin"])
    schedule(iv["xiquan"], SYSTEM)
    assert new_events().filter(action="interview.schedule", object_id=str(iv["xiquan"].pk)).get() \
        .actor_label == "system:cli"
    assert len(trigger) == 2


@pytest.mark.parametrize(("when", "place", "interviewer", "code", "message"), [
    (-1, "会议室", "张", "schedule_in_past", "The interview cannot be scheduled on a day that has passed."),
    (91, "会议室", "张", "schedule_too_far", "The interview cannot be scheduled more than 90 days ahead."),
    (1, " ", "张", "place_required", "Say where the interview takes place."),
    (1, "会议室", "", "interviewer_required", "Say who conducts the interview."),
    (-3, "", "", "schedule_in_past", "The interview cannot be scheduled on a day that has passed. "
                                     "Say where the interview takes place. Say who conducts the interview."),
])
def test_schedule_refusals(iv, users, trigger, when, place, interviewer, code, message):
    at = timezone.make_aware(dt.datetime.combine(today() + dt.timedelta(days=when), dt.time(10, 0)))
    refused(lambda: services.interview_schedule(actor=users["office"], interview=iv["dashui"], scheduled_for=at,
                                                place=place, interviewer=interviewer), code, message)
    assert Interview.objects.get(pk=iv["dashui"].pk).status == "pending"
    assert trigger == []


@pytest.mark.parametrize(("status", "label"), [("scheduled", "scheduled"), ("held", "held, commitments open"),
                                                ("closed", "closed"), ("cancelled", "cancelled")])
def test_schedule_refused_in_the_wrong_state(iv, users, trigger, status, label):
    interview = fresh(iv["dashui"], status=status, held_on=today())
    refused(lambda: schedule(interview, users["office"]), "transition_refused",
            f"The interview is {label}: it cannot be scheduled.")


def test_a_vacant_post_is_not_scheduled_but_cancelled(iv, users, trigger):
    interview = fresh(iv["dashui"], vacant=True, person=None, post=None)
    refused(lambda: schedule(interview, users["office"]), "vacant",
            "The post was vacant that week: there is nobody to interview. Cancel the interview, giving the reason.")
    services.interview_cancel(actor=users["office"], interview=interview, reason="岗位空缺")
    assert Interview.objects.get(pk=interview.pk).status == "cancelled"


def test_reschedule(iv, users, trigger):
    interview = schedule(iv["dashui"], users["office"])
    later = tomorrow_at(15)
    services.interview_reschedule(actor=users["office"], interview=interview, scheduled_for=later,
                                  place="县政府三楼会议室", interviewer="副县长 李明华", note="书记出差")
    interview.refresh_from_db()
    assert (interview.status, interview.scheduled_for, interview.place, interview.interviewer) == \
        ("scheduled", later, "县政府三楼会议室", "副县长 李明华")
    assert [t[2] for t in trigger] == [tomorrow_at(), later]
    event = new_events().get(action="interview.reschedule", object_id=str(interview.pk))
    assert event.after["note"] == "书记出差" and event.before["place"] == "县委第二会议室"


def test_reschedule_refused_when_pending_and_for_others(iv, users, trigger):
    refused(lambda: services.interview_reschedule(
        actor=users["office"], interview=iv["dashui"], scheduled_for=tomorrow_at(), place="会议室", interviewer="张"),
        "transition_refused", "The interview is to be scheduled: it cannot be rescheduled.")
    schedule(iv["dashui"], users["office"])
    denied(lambda: services.interview_reschedule(actor=users["town_staff"], interview=iv["dashui"],
                                                 scheduled_for=tomorrow_at(), place="会议室", interviewer="张"))


# Hold ---------------------------------------------------------------------------------------------------


def test_hold_records_the_meeting_and_its_commitments(iv, users, trigger):
    interview = schedule(iv["dashui"], users["office"])
    blank = services.CommitmentInput("  ", None)
    hold(interview, users["office"], commitments=[
        services.CommitmentInput(" 三日内清运垃圾 ", today() + dt.timedelta(days=3)), blank,
        services.CommitmentInput("一周内拆除违建", today() + dt.timedelta(days=7))])
    interview.refresh_from_db()
    assert (interview.status, interview.held_on, interview.minutes, interview.interviewer) == \
        ("held", today(), "约谈记录", "县委副书记 张国栋")
    rows = list(Commitment.objects.filter(interview=interview).order_by("position")
                .values_list("position", "text", "due_date", "status"))
    assert rows == [(1, "三日内清运垃圾", today() + dt.timedelta(days=3), "open"),
                    (2, "一周内拆除违建", today() + dt.timedelta(days=7), "open")]
    event = new_events().get(action="interview.hold", object_id=str(interview.pk))
    assert event.after["commitments"] == [["三日内清运垃圾", (today() + dt.timedelta(days=3)).isoformat()],
                                          ["一周内拆除违建", (today() + dt.timedelta(days=7)).isoformat()]]
    assert event.after["held_on"] == today().isoformat()


def test_hold_on_an_earlier_day(iv, users, trigger):
    interview = fresh(iv["dashui"], created_at=timezone.now() - dt.timedelta(days=10))
    schedule(interview, users["office"])
    hold(interview, users["office"], held_on=today() - dt.timedelta(days=4))
    assert Interview.objects.get(pk=interview.pk).held_on == today() - dt.timedelta(days=4)


@pytest.mark.parametrize(("held_on", "commitments", "code", "message"), [
    (1, [("做", 5)], "held_in_future", "The day held cannot lie in the future."),
    (-3, [("做", 5)], "held_before_created", "The day held cannot lie before the interview was created ({created})."),
    (0, [], "commitments_required", "Record at least one commitment with its due date."),
    (0, [("做", 0)], "commitment_due_not_after_held",
     "Commitment 1: the due date must lie after the day the interview was held ({today})."),
    (0, [("做", 3), ("再做", -1)], "commitment_due_not_after_held",
     "Commitment 2: the due date must lie after the day the interview was held ({today})."),
    (0, [("做", None)], "commitment_due_required", "Commitment 1: give its due date."),
    (0, [("", 3)], "commitment_text_required", "Commitment 1: say what was committed."),
])
def test_hold_refusals(iv, users, trigger, held_on, commitments, code, message):
    interview = fresh(iv["dashui"], created_at=timezone.now() - dt.timedelta(days=1))
    created = timezone.localtime(interview.created_at).date()
    schedule(interview, users["office"])
    day = today() + dt.timedelta(days=held_on)
    rows = [services.CommitmentInput(text, None if due is None else day + dt.timedelta(days=due))
            for text, due in commitments]
    refused(lambda: hold(interview, users["office"], held_on=day, commitments=rows), code,
            message.format(created=created.isoformat(), today=today().isoformat()))
    assert Interview.objects.get(pk=interview.pk).status == "scheduled"
    assert not Commitment.objects.filter(interview=interview).exists()


def test_hold_refusal_names_every_problem(iv, users, trigger):
    schedule(iv["dashui"], users["office"])
    error = refused(lambda: services.interview_hold(actor=users["office"], interview=iv["dashui"], held_on=today(),
                                                    interviewer="", minutes=" ", commitments=[]),
                    "interviewer_required")
    assert error.params["codes"] == ["interviewer_required", "minutes_required", "commitments_required"]


def test_hold_refused_when_pending_and_for_others(iv, users, trigger):
    refused(lambda: hold(iv["dashui"], users["office"]), "transition_refused",
            "The interview is to be scheduled: it cannot be recorded as held.")
    schedule(iv["dashui"], users["office"])
    for role in ("leader", "town_staff", "village_staff", "inspector"):
        denied(lambda role=role: hold(iv["dashui"], users[role]))


# Cancel -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheduled", [False, True])
def test_cancel_pending_or_scheduled(iv, users, trigger, scheduled):
    if scheduled:
        schedule(iv["dashui"], users["office"])
    services.interview_cancel(actor=users["office"], interview=iv["dashui"], reason=" 本周排名已更正 ")
    interview = Interview.objects.get(pk=iv["dashui"].pk)
    assert (interview.status, interview.cancel_reason) == ("cancelled", "本周排名已更正")
    assert new_events().get(action="interview.cancel", object_id=str(interview.pk)).after["reason"] == "本周排名已更正"


def test_cancel_refusals(iv, users, trigger):
    refused(lambda: services.interview_cancel(actor=users["office"], interview=iv["dashui"], reason="  "),
            "reason_required", "Give the reason for cancelling the interview.")
    denied(lambda: services.interview_cancel(actor=users["town_staff"], interview=iv["dashui"], reason="x"))
    held(iv["dashui"], users)
    refused(lambda: services.interview_cancel(actor=users["office"], interview=iv["dashui"], reason="x"),
            "transition_refused", "The interview is held, commitments open: it cannot be cancelled.")


# Commitments --------------------------------------------------------------------------------------------


def test_done_by_the_unit_verified_by_the_office_closes_the_interview(iv, users, trigger):
    first, second = held(iv["dashui"], users)
    services.commitment_done(actor=users["village_staff"], commitment=first, note=" 已清运 ")
    services.commitment_done(actor=users["town_staff"], commitment=second, note="已拆除")
    first.refresh_from_db()
    assert (first.status, first.done_note, first.done_by, first.done_by_label) == \
        ("done", "已清运", users["village_staff"], "demo_village")
    services.commitment_verify(actor=users["office"], commitment=first)
    assert Interview.objects.get(pk=iv["dashui"].pk).status == "held"
    services.commitment_verify(actor=users["office"], commitment=second)
    interview = Interview.objects.get(pk=iv["dashui"].pk)
    assert interview.status == "closed"
    second.refresh_from_db()
    assert interview.closed_at == second.verified_at
    assert (second.status, second.verified_by, second.verified_by_label) == ("verified", users["office"],
                                                                             "demo_office")
    assert events("interview", interview.pk) == ["interview.schedule", "interview.hold", "interview.close"]
    assert events("commitment", first.pk) == ["interview.commitment_done", "interview.commitment_verify"]


def test_the_office_may_report_done_but_another_office_user_verifies(iv, users, trigger, office2):
    (first, second) = held(iv["other"], users)
    services.commitment_done(actor=users["office"], commitment=first, note="办公室代为报告")
    refused(lambda: services.commitment_verify(actor=users["office"], commitment=first), "same_user",
            "You reported this commitment done: another office user must check it.")
    refused(lambda: services.commitment_return(actor=users["office"], commitment=first, reason="不行"), "same_user")
    services.commitment_verify(actor=office2, commitment=first)
    assert Commitment.objects.get(pk=first.pk).status == "verified"
    interview = Interview.objects.get(pk=iv["other"].pk)
    assert services.commitment_allowed_for(users["office"], Commitment.objects.get(pk=first.pk), interview) == []
    assert services.commitment_allowed_for(users["office"], second, interview) == ["done"]
    assert services.commitment_allowed_for(users["town_staff"], second, interview) == []


def test_return_reopens_a_commitment(iv, users, trigger):
    first, _second = held(iv["dashui"], users)
    services.commitment_done(actor=users["village_staff"], commitment=first, note="已清运")
    refused(lambda: services.commitment_return(actor=users["office"], commitment=first, reason=" "),
            "reason_required", "Say why the commitment is not fulfilled.")
    services.commitment_return(actor=users["office"], commitment=first, reason="现场仍有垃圾")
    first.refresh_from_db()
    assert (first.status, first.return_note) == ("open", "现场仍有垃圾")
    services.commitment_done(actor=users["village_staff"], commitment=first, note="已彻底清运")
    assert Commitment.objects.get(pk=first.pk).status == "done"


def test_commitment_refusals(iv, users, trigger):
    first, _second = held(iv["dashui"], users)
    refused(lambda: services.commitment_done(actor=users["village_staff"], commitment=first, note=" "),
            "note_required", "Say what was done to fulfil the commitment.")
    refused(lambda: services.commitment_verify(actor=users["office"], commitment=first), "transition_refused",
            "The commitment is open: it cannot be verified.")
    for role in ("leader", "inspector"):
        denied(lambda role=role: services.commitment_done(actor=users[role], commitment=first, note="x"))
    services.commitment_done(actor=users["village_staff"], commitment=first, note="已清运")
    refused(lambda: services.commitment_done(actor=users["village_staff"], commitment=first, note="x"),
            "transition_refused", "The commitment is done, awaiting verification: it cannot be reported done.")
    for role in ("town_staff", "village_staff", "leader", "inspector"):
        denied(lambda role=role: services.commitment_verify(actor=users[role], commitment=first))
        denied(lambda role=role: services.commitment_return(actor=users[role], commitment=first, reason="x"))
    services.commitment_verify(actor=users["office"], commitment=first)
    refused(lambda: services.commitment_verify(actor=users["county_admin"], commitment=first), "transition_refused",
            "The commitment is verified: it cannot be verified.")


def test_only_the_interviewed_units_staff_report_done(iv, users, trigger):
    dashui = held(iv["dashui"], users)[0]
    xiquan = held(iv["xiquan"], users)[0]
    other = held(iv["other"], users)[0]
    denied(lambda: services.commitment_done(actor=users["town_staff"], commitment=other, note="x"))
    denied(lambda: services.commitment_done(actor=users["village_staff"], commitment=other, note="x"))
    denied(lambda: services.commitment_done(actor=users["village_staff"], commitment=xiquan, note="x"))
    services.commitment_done(actor=users["town_staff"], commitment=xiquan, note="镇里完成")
    services.commitment_done(actor=users["town_staff"], commitment=dashui, note="镇里代村完成")
    assert Commitment.objects.filter(pk__in=[xiquan.pk, dashui.pk], status="done").count() == 2


def test_parties_and_allowed_actions_per_role(iv, users):
    interview = iv["dashui"]
    assert interview_parties(users["office"], interview) == {"office", "unit"}
    assert interview_parties(users["county_admin"], interview) == {"office", "unit"}
    assert interview_parties(users["town_staff"], interview) == {"unit"}
    assert interview_parties(users["village_staff"], interview) == {"unit"}
    assert interview_parties(users["village_staff"], iv["xiquan"]) == set()
    assert interview_parties(users["town_staff"], iv["other"]) == set()
    assert interview_parties(users["leader"], interview) == set()
    assert interview_parties(users["inspector"], iv["other"]) == set()
    assert services.allowed_for(users["office"], interview) == ["schedule", "cancel"]
    assert services.allowed_for(users["town_staff"], interview) == []


# Overdue ------------------------------------------------------------------------------------------------


def test_overdue_flags_are_exact(iv, users, trigger):
    day = today()
    pending_late = fresh(iv["dashui"], hold_by=day - dt.timedelta(days=1))
    pending_in_time = fresh(iv["xiquan"], hold_by=day)
    scheduled_late = schedule(fresh(iv["other"]), users["office"])
    Interview.objects.filter(pk=scheduled_late.pk).update(hold_by=day - dt.timedelta(days=2))
    mine = Interview.objects.filter(pk__in=[pending_late.pk, pending_in_time.pk, scheduled_late.pk])
    assert list(selectors.overdue_interviews(mine, day)) == [Interview.objects.get(pk=scheduled_late.pk),
                                                              pending_late]
    assert set(mine.filter(selectors.overdue_q(day)).values_list("pk", flat=True)) == \
        {pending_late.pk, scheduled_late.pk}
    # Held after the hold-by date: no longer overdue; its commitments are.
    hold(Interview.objects.get(pk=scheduled_late.pk), users["office"], commitments=[
        services.CommitmentInput("甲", day + dt.timedelta(days=1)), services.CommitmentInput("乙", day + dt.timedelta(days=2)),
        services.CommitmentInput("丙", day + dt.timedelta(days=3))])
    assert list(selectors.overdue_interviews(mine, day)) == [pending_late]
    a, b, c = Commitment.objects.filter(interview=scheduled_late).order_by("position")
    later = day + dt.timedelta(days=2)  # a's due date has passed, b's is that day (still in time)
    assert list(selectors.overdue_commitments(mine, later)) == [a]
    services.commitment_done(actor=users["office"], commitment=a, note="完成")
    assert list(selectors.overdue_commitments(mine, later)) == []
    assert list(selectors.overdue_commitments(mine, day + dt.timedelta(days=4))) == [b, c]
    assert set(mine.filter(selectors.overdue_q(day + dt.timedelta(days=4))).values_list("pk", flat=True)) == \
        {pending_late.pk, pending_in_time.pk, scheduled_late.pk}
    counted = selectors.counts(mine, day + dt.timedelta(days=4))
    assert counted["overdue"] == {"interviews": 2, "commitments": 2, "any": 3}
    assert counted["status"] == {"pending": 2, "held": 1}


def test_overdue_command_prints_a_tab_separated_table(iv, users, trigger, monkeypatch):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # the command speaks the locale's language
    as_of = today() - dt.timedelta(days=200)  # before anything of the demo is due
    late = fresh(iv["dashui"], hold_by=as_of - dt.timedelta(days=3))
    other = fresh(iv["other"], created_at=timezone.now() - dt.timedelta(days=300))
    schedule(other, users["office"])
    hold(other, users["office"], held_on=as_of - dt.timedelta(days=30), commitments=[
        services.CommitmentInput("清运\t垃圾\n彻底", as_of - dt.timedelta(days=1)),
        services.CommitmentInput("不迟", as_of)])
    # One interview per official covers all of the official's red villages: the line names each, the main first.
    also = Unit.objects.filter(parent=late.village.parent, level="village").exclude(pk=late.village_id).order_by("code")[0]
    late.villages.add(late.village, also)
    out, err = io.StringIO(), io.StringIO()
    call_command("interviews", "overdue", "--date", as_of.isoformat(), stdout=out, stderr=err)
    late = Interview.objects.select_related("round", "village__parent", "person").get(pk=late.pk)
    other = Interview.objects.select_related("round", "village__parent", "person").get(pk=other.pk)
    roles = {"village_head": "village main leader", "village_liaison": "township official in charge of the village",
             "town_head": "township main leader", "town_deputy": "township deputy in charge"}
    assert out.getvalue().splitlines() == [
        "kind\tinterview\tweek\ttownship\tvillage\tperson\tpost\tstatus\tdue\tdays_overdue\twhat",
        f"interview\t{late.pk}\t{late.round.week}\t喜泉镇\t大水䃎村、{also.name}\t{late.person.name}\t{roles[late.role]}\tpending\t"
        f"{(as_of - dt.timedelta(days=3)).isoformat()}\t3\t",
        f"commitment\t{other.pk}\t{other.round.week}\t一条山镇\t{other.village.name}\t{other.person.name}\t"
        f"{roles[other.role]}\topen\t{(as_of - dt.timedelta(days=1)).isoformat()}\t1\t清运 垃圾 彻底",
    ]
    assert err.getvalue().strip() == "1 overdue interview(s), 1 overdue commitment(s)."


def test_overdue_command_refuses_a_bad_date(db, monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    with pytest.raises(CommandError, match="Not a date: 2026-13-01"):
        call_command("interviews", "overdue", "--date", "2026-13-01", stdout=io.StringIO())


# Who sees what ------------------------------------------------------------------------------------------


def test_interviews_visible_per_role(users):
    everything = Interview.objects.count()
    assert everything > 0
    xiquan = Interview.objects.filter(unit__path__contains=f"/{XIQUAN}/").count()
    dashui = Interview.objects.filter(unit__code=DASHUI).count()
    assert 0 < dashui < xiquan < everything
    assert interviews_visible_to(users["county_admin"]).count() == everything
    assert interviews_visible_to(users["office"]).count() == everything
    assert interviews_visible_to(users["leader"]).count() == everything
    assert interviews_visible_to(users["town_staff"]).count() == xiquan
    assert interviews_visible_to(users["village_staff"]).count() == dashui
    assert interviews_visible_to(users["inspector"]).count() == 0
    assert access.is_office(users["office"]) and access.is_office(users["county_admin"])
    assert not any(access.is_office(users[r]) for r in ("leader", "town_staff", "village_staff",
                                                                    "inspector"))


def test_whose_history_each_role_may_open(iv, users):
    town_head = Interview.objects.filter(unit__code=XIQUAN, person__isnull=False).first()
    other = iv["other"]
    people = {role: interview_people_visible_to(users[role]) for role in users}
    assert people["leader"].filter(pk=other.person_id).exists()
    assert people["town_staff"].filter(pk=town_head.person_id).exists()
    assert not people["town_staff"].filter(pk=other.person_id).exists()
    assert people["village_staff"].filter(pk=iv["dashui"].person_id).exists()
    assert not people["village_staff"].filter(pk=town_head.person_id).exists()
    assert not people["inspector"].exists()


# The demo -----------------------------------------------------------------------------------------------


def test_the_demo_has_interviews_in_every_state(db):
    from dudao.demo.interviews import load_interviews

    load_interviews(campaign_get())
    load_interviews(campaign_get())  # idempotent
    statuses = set(Interview.objects.values_list("status", flat=True))
    assert statuses == set(STATUSES)
    assert set(Commitment.objects.values_list("status", flat=True)) == {"open", "done", "verified"}
    day = today()
    assert selectors.overdue_interviews(Interview.objects.filter(status="pending"), day).exists()
    assert selectors.overdue_interviews(Interview.objects.filter(status="scheduled"), day).exists()
    assert Interview.objects.filter(status="scheduled", scheduled_for__gt=timezone.now()).exists()
    assert Interview.objects.filter(status="pending", hold_by__gte=day).exists()
    assert selectors.overdue_commitments(today=day).exists()
    assert Commitment.objects.filter(status="open", due_date__gte=day).exists()
    # Some reported done by the office itself: another office user verifies those.
    office = User.objects.get(username="demo_office")
    assert Commitment.objects.filter(status="done", done_by=office).exists()
    # 大水䃎村's own account reported its commitments done, and the office verified each.
    assert list(Commitment.objects.filter(done_by__username="demo_village").values_list("status", flat=True)) \
        == ["verified", "verified"]
    for interview in Interview.objects.filter(status="closed")[:20]:
        assert not interview.commitments.exclude(status="verified").exists()
    assert not Commitment.objects.filter(interview__status__in=["pending", "scheduled", "cancelled"]).exists()
    assert Unit.objects.filter(code=DASHUI).exists()


def test_a_revised_week_follows_the_earlier_revisions_interviews_and_never_moves_them(db):
    from dudao.bulletins import content
    from dudao.ranking import services as ranking
    from dudao.ranking.models import Round

    campaign = campaign_get()
    old = Round.objects.filter(status="published").order_by("-week_start").first()
    first, second, third, fourth = Interview.objects.filter(round=old, vacant=False).order_by("pk")[:4]
    # One interview per official: a revision follows the official's interview (a vacant post's by its post).
    key = lambda i: ("person", i.person_id) if i.person_id else ("vacant", i.village_id, i.unit_id, i.role)  # noqa: E731
    scheduled_for = tomorrow_at()
    first = fresh(first, status="scheduled", scheduled_for=scheduled_for, place="县政府三楼", interviewer="县委副书记")
    second = fresh(second, status="held", held_on=today(), interviewer="县委副书记", minutes="约谈记录")
    fourth = fresh(fourth, status="cancelled", cancel_reason="调离本岗位")
    third_key = key(third)
    nobody = Person.objects.exclude(pk__in=Interview.objects.filter(person__isnull=False).values("person_id")).first()
    third = fresh(third, person=nobody)  # an interview the revision will not call for
    old_rows = {i.pk: key(i) for i in Interview.objects.filter(round=old)}
    digest_before = content.build(old).digest()

    ranking.ranking_revise(actor=SYSTEM, campaign=campaign, week=old.week, reason="更正一处录入错误")
    ranking.ranking_compute(actor=SYSTEM, campaign=campaign, week=old.week)
    new = publication.round_publish(actor=SYSTEM, campaign=campaign, week=old.week)
    assert new.revision == old.revision + 1

    # The earlier revision keeps every record it listed (its bulletin's content is unchanged) ...
    assert {i.pk: key(i) for i in Interview.objects.filter(round=old)} == old_rows
    assert content.build(Round.objects.get(pk=old.pk)).digest() == digest_before
    # ... and the new one lists each official once, the third's post included again (it is called for).
    new_rows = {key(i): i for i in Interview.objects.filter(round=new)}
    assert len(new_rows) == Interview.objects.filter(round=new).count()
    assert set(new_rows) == (set(old_rows.values()) - {key(third)}) | {third_key}
    took_over = new_rows[key(first)]
    assert (took_over.status, took_over.scheduled_for, took_over.place, took_over.hold_by) == (
        "scheduled", scheduled_for, "县政府三楼", first.hold_by)
    first.refresh_from_db()
    assert (first.status, first.cancel_reason) == ("cancelled", translation.gettext(
        "Superseded by revision %(revision)s of the week (interview %(number)s).") % {
        "revision": new.revision, "number": took_over.pk})
    standing = new_rows[key(second)]
    assert (standing.status, standing.cancel_reason) == ("cancelled", translation.gettext(
        "Held under revision %(revision)s of the week (interview %(number)s).") % {
        "revision": old.revision, "number": second.pk})
    second.refresh_from_db()
    assert second.status == "held"
    assert (new_rows[key(fourth)].status, new_rows[key(fourth)].cancel_reason) == ("cancelled", "调离本岗位")
    third.refresh_from_db()
    assert (third.status, third.cancel_reason) == ("cancelled", translation.gettext(
        "The week's ranking was revised (revision %(revision)s) and no longer calls for this interview."
    ) % {"revision": new.revision})
    assert new_rows[third_key].status == "pending"
    followed = AuditEvent.objects.filter(action="interview.follow_revision").values_list("after", flat=True)
    assert sorted(a["follows"] for a in followed) == sorted(pk for pk in old_rows if pk != third.pk)
    assert AuditEvent.objects.filter(action="interview.cancel",
                                     object_id__in=[str(first.pk), str(third.pk)]).count() == 2
