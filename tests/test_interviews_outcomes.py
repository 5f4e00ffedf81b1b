"""The outcome of a held interview (问责追究, issue 15 item 8): the office records it against the interviewed person
and their post - no further action, circulated criticism, an admonishment talk, or accountability with its
decision's reference (文号) and date - once per interview and person; a correction is a revision that keeps the
record it supersedes. Every rule and refusal, the audit trail, the person's history (the interviews' history page
and the organisation's person page), the counts per township, the access matrix of the page and its POST, and the
demo's synthetic outcomes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core.errors import Refused
from dudao.interviews import lifecycle, selectors, services
from dudao.interviews.models import Interview, Outcome

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DASHUI = "620423103200"  # 大水䃎村 (demo_village), in 喜泉镇
XIQUAN = "620423103000"  # 喜泉镇 (demo_town)
YITIAOSHAN = "620423100000"  # 一条山镇
ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
OFFICE = {"county_admin", "office"}


def today() -> dt.date:
    return timezone.localdate()


def held(interview: Interview, status: str = "held", days_ago: int = 3) -> Interview:
    """The interview as held ``days_ago`` days ago (its commitments, if any, stay as they are)."""
    Interview.objects.filter(pk=interview.pk).update(
        status=status, held_on=today() - dt.timedelta(days=days_ago), interviewer="县委副书记 张国栋",
        minutes="约谈记录", created_at=timezone.now() - dt.timedelta(days=days_ago + 2), cancel_reason="")
    interview.refresh_from_db()
    return interview


def without_outcome():
    return (Interview.objects.filter(person__isnull=False, vacant=False, post__isnull=False, outcomes__isnull=True)
            .select_related("unit", "village", "village__parent", "round", "person", "post").order_by("pk"))


@pytest.fixture
def iv(db):
    """Three interviews without an outcome, held three days ago: of 大水䃎村's own officials, of 喜泉镇's head or
    deputy, and of a village of 一条山镇."""
    base = without_outcome()
    return {
        "dashui": held(base.filter(unit__code=DASHUI).first()),
        "xiquan_town": held(base.filter(unit__code=XIQUAN).first()),
        "other": held(base.filter(unit__path__contains=f"/{YITIAOSHAN}/").first()),
    }


def refused(code: str, call) -> Refused:
    outcomes, events = Outcome.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.code == code
    assert (Outcome.objects.count(), AuditEvent.objects.count()) == (outcomes, events)  # nothing written
    return caught.value


# The pure rule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "reference", "decided_days", "expected"), [
    ("none", "", None, []),
    ("criticism", "", None, []),
    ("admonishment", "", None, []),
    ("accountability", "景纪发〔2026〕3号", 0, []),
    ("accountability", "景纪发〔2026〕3号", -3, []),  # the day held itself
    ("accountability", "", None, ["reference_required", "decided_on_required"]),
    ("accountability", "  ", 0, ["reference_required"]),
    ("accountability", "景纪发〔2026〕3号", None, ["decided_on_required"]),
    ("accountability", "景纪发〔2026〕3号", 1, ["decided_on_in_future"]),
    ("accountability", "景纪发〔2026〕3号", -4, ["decided_on_before_held"]),
    ("criticism", "景通〔2026〕1号", None, ["decided_on_required"]),  # naming a decision takes both
    ("criticism", "", 0, ["reference_required"]),
    ("criticism", "景通〔2026〕1号", 0, []),
    ("reprimand", "", None, ["kind_unknown"]),
])
def test_outcome_problems(kind, reference, decided_days, expected):
    now = dt.date(2026, 12, 7)
    decided = None if decided_days is None else now + dt.timedelta(days=decided_days)
    assert lifecycle.outcome_problems(kind, reference, decided, now - dt.timedelta(days=3), now) == expected


# Recording -------------------------------------------------------------------------------------------------


def test_the_office_records_an_outcome_against_the_person_and_post(iv, users):
    interview = iv["other"]
    outcome = services.outcome_record(actor=users["office"], interview=interview, kind="accountability",
                                      reference=" 景纪发〔2026〕3号 ", decided_on=today(), note=" 给予党内警告 ")
    stored = Outcome.objects.get(pk=outcome.pk)
    assert (stored.interview_id, stored.person_id, stored.post_id, stored.kind, stored.reference, stored.decided_on,
            stored.note, stored.supersedes_id, stored.recorded_by_id, stored.recorded_by_label, stored.synthetic) == (
        interview.pk, interview.person_id, interview.post_id, "accountability", "景纪发〔2026〕3号", today(),
        "给予党内警告", None, users["office"].pk, "demo_office", False)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.object_id, event.before, event.after) == (
        "interview.outcome_record", "outcome", str(outcome.pk), None,
        {"interview": interview.pk, "person": interview.person_id, "post": interview.post_id,
         "kind": "accountability", "reference": "景纪发〔2026〕3号", "decided_on": today().isoformat(),
         "note": "给予党内警告", "supersedes": None, "synthetic": False})


@pytest.mark.parametrize("kind", ["none", "criticism", "admonishment"])
def test_the_other_outcomes_need_no_decision(iv, users, kind):
    outcome = services.outcome_record(actor=users["county_admin"], interview=iv["dashui"], kind=kind)
    assert (outcome.kind, outcome.reference, outcome.decided_on) == (kind, "", None)


def test_a_closed_interview_was_held_too(iv, users):
    interview = held(iv["dashui"], status="closed")
    assert services.outcome_record(actor=users["office"], interview=interview, kind="none").kind == "none"


@pytest.mark.parametrize(("reference", "decided", "code", "message"), [
    ("", 0, "reference_required", "Give the decision's reference (文号): accountability needs it, and so does any "
                                  "outcome that names a decision."),
    ("景纪发〔2026〕3号", None, "decided_on_required", "Give the decision's date: accountability needs it, and so does "
                                                 "any outcome that names a decision."),
    ("景纪发〔2026〕3号", 1, "decided_on_in_future", "The decision's date cannot lie in the future."),
])
def test_accountability_is_refused_without_its_decision(iv, users, reference, decided, code, message):
    from django.utils import translation

    decided_on = None if decided is None else today() + dt.timedelta(days=decided)
    with translation.override("en"):
        refusal = refused(code, lambda: services.outcome_record(
            actor=users["office"], interview=iv["other"], kind="accountability", reference=reference,
            decided_on=decided_on))
    assert refusal.message == message


def test_a_decision_before_the_day_held_is_refused(iv, users):
    from django.utils import translation

    interview = iv["other"]
    with translation.override("en"):
        refusal = refused("decided_on_before_held", lambda: services.outcome_record(
            actor=users["office"], interview=interview, kind="criticism", reference="景通〔2026〕1号",
            decided_on=interview.held_on - dt.timedelta(days=1)))
    assert refusal.message == ("The decision's date cannot lie before the day the interview was held "
                               f"({interview.held_on:%Y-%m-%d}).")


def test_an_unknown_kind_is_refused(iv, users):
    refused("kind_unknown", lambda: services.outcome_record(actor=users["office"], interview=iv["other"],
                                                            kind="reprimand"))


@pytest.mark.parametrize("status", ["pending", "scheduled", "cancelled"])
def test_only_a_held_interview_takes_an_outcome(iv, users, status):
    from django.utils import translation

    interview = iv["other"]
    Interview.objects.filter(pk=interview.pk).update(status=status, held_on=None)
    interview.refresh_from_db()
    with translation.override("en"):
        refusal = refused("not_held", lambda: services.outcome_record(actor=users["office"], interview=interview,
                                                                      kind="none"))
        label = interview.get_status_display()
    assert refusal.message == f"The interview is {label}: an outcome is recorded only once it was held."


def test_once_per_interview_and_person(iv, users):
    services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    refused("already_recorded", lambda: services.outcome_record(actor=users["county_admin"],
                                                                interview=iv["other"], kind="none"))


def test_the_database_keeps_one_first_record_per_interview_and_person(iv, users):
    first = services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    with pytest.raises(IntegrityError), transaction.atomic():
        Outcome.objects.create(interview=first.interview, person_id=first.person_id, kind="none",
                               recorded_by_label="x", recorded_at=timezone.now())


def test_the_database_refuses_accountability_without_its_decision(iv):
    interview = iv["other"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Outcome.objects.create(interview=interview, person_id=interview.person_id, kind="accountability",
                               reference="", decided_on=today(), recorded_by_label="x", recorded_at=timezone.now())


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff", "village_staff"])
def test_only_the_office_records(iv, users, role):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.outcome_record(actor=users[role], interview=iv["dashui"], kind="none")
    assert (Outcome.objects.filter(interview=iv["dashui"]).count(), AuditEvent.objects.count()) == (0, events)


def test_the_command_line_records_as_the_system(iv):
    outcome = services.outcome_record(actor=SYSTEM, interview=iv["other"], kind="none")
    assert (outcome.recorded_by_id, outcome.recorded_by_label) == (None, "system:cli")


# Revising ---------------------------------------------------------------------------------------------------


def test_a_revision_supersedes_and_keeps_the_record(iv, users):
    first = services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    second = services.outcome_revise(actor=users["county_admin"], outcome=first, kind="accountability",
                                     reference="景纪发〔2026〕5号", decided_on=today(), reason=" 经复核，升级为问责 ")
    assert list(Outcome.objects.filter(interview=iv["other"]).order_by("pk").values_list(
        "kind", "supersedes_id", "revise_reason", "recorded_by_label")) == [
        ("criticism", None, "", "demo_office"),
        ("accountability", first.pk, "经复核，升级为问责", "demo_admin")]
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.before["kind"], event.after["kind"], event.after["supersedes"],
            event.after["reason"]) == ("interview.outcome_revise", str(second.pk), "criticism", "accountability",
                                       first.pk, "经复核，升级为问责")
    third = services.outcome_revise(actor=users["office"], outcome=second, kind="admonishment", reason="再次复核")
    assert third.supersedes_id == second.pk
    # Only the record in force counts.
    assert list(Outcome.objects.filter(selectors.current_outcomes_q(), interview=iv["other"])) == [third]


def test_a_revision_says_why(iv, users):
    first = services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    refused("reason_required", lambda: services.outcome_revise(actor=users["office"], outcome=first, kind="none",
                                                               reason="  "))


def test_a_revision_follows_the_same_rules(iv, users):
    first = services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    refused("reference_required", lambda: services.outcome_revise(
        actor=users["office"], outcome=first, kind="accountability", decided_on=today(), reason="复核"))


def test_a_revised_record_is_not_revised_again(iv, users):
    first = services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    services.outcome_revise(actor=users["office"], outcome=first, kind="none", reason="复核")
    refused("already_revised", lambda: services.outcome_revise(actor=users["office"], outcome=first,
                                                               kind="admonishment", reason="再次"))


@pytest.mark.parametrize("role", ["leader", "town_staff"])
def test_only_the_office_revises(iv, users, role):
    first = services.outcome_record(actor=users["office"], interview=iv["dashui"], kind="criticism")
    with pytest.raises(PermissionDenied):
        services.outcome_revise(actor=users[role], outcome=first, kind="none", reason="复核")
    assert Outcome.objects.filter(interview=iv["dashui"]).count() == 1


# Counts per township ----------------------------------------------------------------------------------------


def test_counts_per_township_count_the_records_in_force(iv, users):
    Outcome.objects.all().delete()  # the demo's own
    office = users["office"]
    first = services.outcome_record(actor=office, interview=iv["dashui"], kind="criticism")
    services.outcome_revise(actor=office, outcome=first, kind="admonishment", reason="复核")
    services.outcome_record(actor=office, interview=iv["xiquan_town"], kind="accountability",
                            reference="景纪发〔2026〕3号", decided_on=today())
    services.outcome_record(actor=office, interview=iv["other"], kind="none")
    counted = selectors.outcome_counts_by_town(Interview.objects.all())
    other_town = iv["other"].village.parent
    assert [(t.code, t.name, t.counts, t.total) for t in counted] == sorted([
        (XIQUAN, "喜泉镇", (0, 0, 1, 1), 2), (other_town.code, other_town.name, (1, 0, 0, 0), 1)])
    # Of the interviews given only (the list's filters).
    assert [t.counts for t in selectors.outcome_counts_by_town(Interview.objects.filter(pk=iv["dashui"].pk))] == [
        (0, 0, 1, 0)]


# Pages ------------------------------------------------------------------------------------------------------


@pytest.fixture
def client_en(client_for):
    def make(user):
        client = client_for(user)
        client.defaults.update(EN)
        return client
    return make


def test_the_office_records_on_the_page_and_the_history_shows_it(iv, users, client_en):
    interview = iv["dashui"]
    office = client_en(users["office"])
    detail = office.get(f"/interviews/{interview.pk}/").content.decode()
    assert f'href="/interviews/{interview.pk}/outcome/" role="button" class="secondary" id="outcome-link">Record ' \
           'the outcome</a>' in detail
    page = office.get(f"/interviews/{interview.pk}/outcome/")
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    response = office.post(f"/interviews/{interview.pk}/outcome/", {
        "kind": "accountability", "reference": "景纪发〔2026〕7号", "decided_on": today().isoformat(),
        "note": "给予诫勉", "revises": ""})
    assert (response.status_code, response["Location"]) == (303, f"/interviews/{interview.pk}/#outcome")
    outcome = Outcome.objects.get(interview=interview)
    assert (outcome.kind, outcome.reference, outcome.decided_on, outcome.note) == (
        "accountability", "景纪发〔2026〕7号", today(), "给予诫勉")
    detail = office.get(f"/interviews/{interview.pk}/").content.decode()
    assert f'<tr data-pk="{outcome.pk}" data-kind="accountability" data-interview="{interview.pk}">' in detail
    assert 'data-action="interview.outcome_record"' in detail
    assert "Revise the outcome</a>" in detail
    # The person's history: the interviews' page and the organisation's person page, read in the area too.
    for role in ("office", "leader", "town_staff", "village_staff"):
        client = client_en(users[role])
        history = client.get(f"/interviews/person/{interview.person_id}/").content.decode()
        assert f'<tr data-pk="{outcome.pk}" data-kind="accountability" data-interview="{interview.pk}">' in history
        assert "景纪发〔2026〕7号 · " + today().strftime("%Y-%m-%d") in history
    person_page = client_en(users["office"]).get(f"/people/{interview.person_id}/").content.decode()
    assert '<section id="accountability">' in person_page
    assert f'<tr data-pk="{outcome.pk}" data-kind="accountability" data-interview="{interview.pk}">' in person_page


def test_the_page_revises_and_keeps_both(iv, users, client_en):
    interview = iv["other"]
    first = services.outcome_record(actor=users["office"], interview=interview, kind="criticism")
    office = client_en(users["office"])
    page = office.get(f"/interviews/{interview.pk}/outcome/").content.decode()
    assert f'name="revises" value="{first.pk}"' in page
    assert 'name="reason"' in page
    missing = office.post(f"/interviews/{interview.pk}/outcome/", {"kind": "none", "revises": str(first.pk)})
    assert missing.status_code == 400
    assert "Say why the outcome is revised." in missing.content.decode()
    response = office.post(f"/interviews/{interview.pk}/outcome/", {"kind": "none", "revises": str(first.pk),
                                                                    "reason": "复核"})
    assert response.status_code == 303
    rows = list(Outcome.objects.filter(interview=interview).order_by("pk").values_list("kind", "supersedes_id"))
    assert rows == [("criticism", None), ("none", first.pk)]
    history = office.get(f"/interviews/person/{interview.person_id}/").content.decode()
    assert f'<tr data-pk="{first.pk}" data-kind="criticism" data-interview="{interview.pk}" class="revised">' \
        in history


def test_the_page_shows_the_refusal(iv, users, client_en):
    interview = iv["other"]
    response = client_en(users["office"]).post(f"/interviews/{interview.pk}/outcome/", {
        "kind": "accountability", "reference": "", "decided_on": today().isoformat()})
    assert response.status_code == 400
    assert "Give the decision&#x27;s reference (文号)" in response.content.decode()
    assert not Outcome.objects.filter(interview=interview).exists()
    twice = client_en(users["office"])
    assert twice.post(f"/interviews/{interview.pk}/outcome/", {"kind": "none"}).status_code == 303
    again = twice.post(f"/interviews/{interview.pk}/outcome/", {"kind": "none"})
    assert again.status_code == 400
    assert "The outcome of this interview is already recorded" in again.content.decode()


def test_a_revision_of_another_interviews_outcome_is_not_found(iv, users, client_en):
    foreign = services.outcome_record(actor=users["office"], interview=iv["dashui"], kind="criticism")
    services.outcome_record(actor=users["office"], interview=iv["other"], kind="criticism")
    response = client_en(users["office"]).post(f"/interviews/{iv['other'].pk}/outcome/", {
        "kind": "none", "revises": str(foreign.pk), "reason": "x"})
    assert response.status_code == 404
    assert Outcome.objects.filter(supersedes=foreign).count() == 0


def test_a_page_of_an_interview_not_held_says_so(iv, users, client_en):
    interview = iv["other"]
    Interview.objects.filter(pk=interview.pk).update(status="pending", held_on=None)
    page = client_en(users["office"]).get(f"/interviews/{interview.pk}/outcome/").content.decode()
    assert 'id="outcome-form"' not in page
    assert "an outcome is recorded only once it was held." in page
    assert 'id="outcome-link"' not in client_en(users["office"]).get(f"/interviews/{interview.pk}/").content.decode()


def test_the_list_counts_outcomes_per_township(iv, users, client_en):
    Outcome.objects.all().delete()
    services.outcome_record(actor=users["office"], interview=iv["dashui"], kind="admonishment")
    services.outcome_record(actor=users["office"], interview=iv["xiquan_town"], kind="admonishment")
    page = client_en(users["office"]).get("/interviews/").content.decode()
    assert ('<tr data-town="620423103000"><td>喜泉镇</td><td class="count">0</td><td class="count">0</td>'
            '<td class="count">2</td><td class="count">0</td><td class="count">2</td></tr>') in page
    assert page.count("<tr data-town=") == 1


# The access matrix of the page and its POST -----------------------------------------------------------------

SEES = {  # which of the three interviews each role reads (the interviews' own rule)
    "county_admin": {"dashui", "xiquan_town", "other"}, "office": {"dashui", "xiquan_town", "other"},
    "leader": {"dashui", "xiquan_town", "other"}, "inspector": set(), "town_staff": {"dashui", "xiquan_town"},
    "village_staff": {"dashui"},
}
MATRIX = [pytest.param(role, which, id=f"{role}-{which}") for role in ROLES
          for which in ("dashui", "xiquan_town", "other")]


def expected_status(role: str, which: str, allowed: int) -> int:
    if role == "inspector":
        return 403  # takes no part in interviews
    if which not in SEES[role]:
        return 404
    return allowed if role in OFFICE else 403


@pytest.mark.parametrize(("role", "which"), MATRIX)
def test_the_outcome_page(iv, users, client_for, role, which):
    response = client_for(users[role]).get(f"/interviews/{iv[which].pk}/outcome/")
    assert response.status_code == expected_status(role, which, 200)


@pytest.mark.parametrize(("role", "which"), MATRIX)
def test_recording_an_outcome(iv, users, client_for, role, which):
    events = AuditEvent.objects.count()
    response = client_for(users[role]).post(f"/interviews/{iv[which].pk}/outcome/", {"kind": "criticism"})
    status = expected_status(role, which, 303)
    assert response.status_code == status
    assert Outcome.objects.filter(interview=iv[which]).count() == (1 if status == 303 else 0)
    assert AuditEvent.objects.count() == events + (1 if status == 303 else 0)


@pytest.mark.parametrize(("role", "which"), MATRIX)
def test_revising_an_outcome(iv, users, client_for, role, which):
    first = services.outcome_record(actor=users["office"], interview=iv[which], kind="criticism")
    events = AuditEvent.objects.count()
    response = client_for(users[role]).post(f"/interviews/{iv[which].pk}/outcome/", {
        "kind": "none", "revises": str(first.pk), "reason": "复核"})
    status = expected_status(role, which, 303)
    assert response.status_code == status
    assert Outcome.objects.filter(interview=iv[which]).count() == (2 if status == 303 else 1)
    assert AuditEvent.objects.count() == events + (1 if status == 303 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_who_is_offered_to_record(iv, users, client_for, role):
    response = client_for(users[role]).get(f"/interviews/{iv['dashui'].pk}/")
    if role == "inspector":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert ('id="outcome-link"' in response.content.decode()) is (role in OFFICE)


# The demo ---------------------------------------------------------------------------------------------------


def test_the_demo_has_three_synthetic_outcomes_of_held_interviews(db):
    rows = list(Outcome.objects.select_related("interview", "interview__village__parent").order_by("pk"))
    assert [(o.kind, o.synthetic, o.interview.status in ("held", "closed"), o.person_id == o.interview.person_id)
            for o in rows] == [("admonishment", True, True, True), ("criticism", True, True, True),
                               ("accountability", True, True, True)]
    assert rows[0].interview.village.parent.code == XIQUAN
    assert (rows[2].reference, rows[2].decided_on is not None) == ("景纪发〔2026〕3号（演示）", True)
    assert len({o.interview.village.parent.code for o in rows}) == 3
