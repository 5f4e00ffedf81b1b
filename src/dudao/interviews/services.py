"""The interview's (约谈) lifecycle: one function per transition, each atomic on the locked row and audit-logged.
The order is dudao.interviews.lifecycle's; which parties a user is for an interview is dudao.accounts.access's.

Rights are checked first (PermissionDenied: the views have already answered 404 outside the user's area), then
the state and the input (Refused with a stable code and a translated message). Nothing is written on a refusal.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.accounts.access import is_office
from dudao.accounts.actors import actor_label, recorded_by
from dudao.audit.services import audit_record
from dudao.core.errors import Refused, cleaned_text
from dudao.core.workdays import add_working_days
from dudao.interviews import lifecycle
from dudao.interviews.access import can_record_outcome, interview_parties
from dudao.interviews.models import Commitment, Interview, InterviewReason, InterviewStatus, Outcome, OutcomeKind
from dudao.interviews.notices import interview_scheduled
from dudao.org.models import Post, PostRole
from dudao.problems.services import is_working_day_factory
from dudao.ranking.models import Result, RoundStatus, Tier

TRANSITION_LABELS = {
    "schedule": gettext_lazy("scheduled"), "reschedule": gettext_lazy("rescheduled"),
    "hold": gettext_lazy("recorded as held"), "close": gettext_lazy("closed"),
    "cancel": gettext_lazy("cancelled"), "done": gettext_lazy("reported done"),
    "verify": gettext_lazy("verified"), "return": gettext_lazy("returned"),
}
PROBLEM_MESSAGES = {
    "schedule_in_past": gettext_lazy("The interview cannot be scheduled on a day that has passed."),
    "schedule_too_far": gettext_lazy("The interview cannot be scheduled more than %(days)s days ahead."),
    "place_required": gettext_lazy("Say where the interview takes place."),
    "interviewer_required": gettext_lazy("Say who conducts the interview."),
    "held_in_future": gettext_lazy("The day held cannot lie in the future."),
    "held_before_created": gettext_lazy("The day held cannot lie before the interview was created (%(created)s)."),
    "minutes_required": gettext_lazy("Record the minutes of the interview."),
    "commitments_required": gettext_lazy("Record at least one commitment with its due date."),
    "commitment_text_required": gettext_lazy("Commitment %(number)s: say what was committed."),
    "commitment_due_required": gettext_lazy("Commitment %(number)s: give its due date."),
    "commitment_due_not_after_held": gettext_lazy(
        "Commitment %(number)s: the due date must lie after the day the interview was held (%(held)s)."),
}


def hold_by_default(today: dt.date | None = None) -> dt.date:
    """The hold-by date of an interview created today: HOLD_WITHIN_WORKING_DAYS working days later."""
    today = today or timezone.localdate()
    return add_working_days(today, lifecycle.HOLD_WITHIN_WORKING_DAYS, is_working_day_factory(today))


@dataclass(frozen=True)
class CommitmentInput:
    text: str
    due_date: dt.date | None


def _day(value: dt.date | None) -> str:
    return date_format(value, "Y-m-d") if value else ""


def _snapshot(interview: Interview) -> dict:
    return {
        "status": interview.status, "round": interview.round_id, "village": interview.village.code,
        "unit": interview.unit.code, "role": interview.role, "person": interview.person_id,
        "hold_by": interview.hold_by.isoformat() if interview.hold_by else None,
        "scheduled_for": interview.scheduled_for.isoformat() if interview.scheduled_for else None,
        "place": interview.place, "interviewer": interview.interviewer,
        "held_on": interview.held_on.isoformat() if interview.held_on else None,
    }


def _commitment_snapshot(commitment: Commitment) -> dict:
    return {"interview": commitment.interview_id, "status": commitment.status, "text": commitment.text,
            "due_date": commitment.due_date.isoformat()}


def _locked(interview: Interview) -> Interview:
    return (Interview.objects.select_for_update(of=("self",)).select_related("village", "unit", "person", "round")
            .get(pk=interview.pk))


def _refusal(transition: str, status_label: str) -> Refused:
    return Refused("transition_refused", _("The interview is %(status)s: it cannot be %(transition)s.")
                   % {"status": status_label, "transition": TRANSITION_LABELS[transition]})


def _check(actor, interview: Interview, transition: str) -> str:
    """Rights, then state: the status the transition leads to."""
    if not lifecycle.may(transition, interview_parties(actor, interview)):
        raise PermissionDenied
    try:
        return lifecycle.next_status(interview.status, transition)
    except lifecycle.TransitionRefused:
        raise _refusal(transition, interview.get_status_display()) from None


def _refuse(problems: list[tuple[str, int | None]], **params) -> None:
    if not problems:
        return
    messages = [str(PROBLEM_MESSAGES[code]) % (params | {"number": number}) for code, number in problems]
    raise Refused(problems[0][0], " ".join(messages), errors=messages, codes=[code for code, _n in problems])


def _clean_schedule(scheduled_for: dt.datetime, place: str, interviewer: str) -> dt.datetime:
    if timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for)
    local = timezone.localtime(scheduled_for)
    problems = lifecycle.schedule_problems(local.replace(tzinfo=None), timezone.localtime().replace(tzinfo=None),
                                           place, interviewer)
    _refuse([(code, None) for code in problems], days=lifecycle.SCHEDULE_HORIZON_DAYS)
    return scheduled_for


def interview_schedule(*, actor, interview: Interview, scheduled_for: dt.datetime, place: str,
                       interviewer: str) -> Interview:
    """The office sets when, where and by whom a pending interview is held; the unit and the office are told."""
    return _schedule(actor, interview, "schedule", scheduled_for, place, interviewer, "")


def interview_reschedule(*, actor, interview: Interview, scheduled_for: dt.datetime, place: str,
                         interviewer: str, note: str = "") -> Interview:
    """A new time, place or interviewer for a scheduled interview; told like the first schedule."""
    return _schedule(actor, interview, "reschedule", scheduled_for, place, interviewer, note)


def _schedule(actor, interview: Interview, transition: str, scheduled_for: dt.datetime, place: str,
              interviewer: str, note: str) -> Interview:
    with transaction.atomic():
        interview = _locked(interview)
        status = _check(actor, interview, transition)
        if interview.vacant or interview.person_id is None:
            raise Refused("vacant", _("The post was vacant that week: there is nobody to interview. "
                                      "Cancel the interview, giving the reason."))
        scheduled_for = _clean_schedule(scheduled_for, place, interviewer)
        before = _snapshot(interview)
        interview.status = status
        interview.scheduled_for = scheduled_for
        interview.place = place.strip()
        interview.interviewer = interviewer.strip()
        interview.save(update_fields=["status", "scheduled_for", "place", "interviewer"])
        after = _snapshot(interview) | ({"note": note.strip()} if note.strip() else {})
        audit_record(actor=actor, action=f"interview.{transition}", object_type="interview",
                     object_id=str(interview.pk), before=before, after=after)
        interview_scheduled(interview)
    return interview


def interviews_pending_of_town(campaign, week: str, town) -> list[Interview]:
    """A township's interviews of a published week still to be scheduled, with somebody to interview: those of
    its red villages' posts and, when escalated, of its own."""
    return list(Interview.objects.filter(
        round__campaign=campaign, round__week=week, round__status=RoundStatus.PUBLISHED,
        status=InterviewStatus.PENDING, vacant=False, person__isnull=False, village__path__startswith=town.path,
    ).select_related("village", "unit", "person", "round").order_by("village__code", "reason", "role", "pk"))


def interviews_schedule_many(*, actor, campaign, week: str, town, scheduled_for: dt.datetime, place: str,
                             interviewer: str) -> list[Interview]:
    """The office gives every pending interview of a township's week the same time, place and interviewer: all
    or nothing, each checked by the single interview's rules, audit-logged and told as if scheduled alone.
    Vacant posts are left to be cancelled."""
    if not is_office(actor):
        raise PermissionDenied
    scheduled_for = _clean_schedule(scheduled_for, place, interviewer)
    with transaction.atomic():
        pending = interviews_pending_of_town(campaign, week, town)
        if not pending:
            raise Refused("nothing_to_schedule", _("No interview of %(town)s in week %(week)s is waiting to be "
                                                   "scheduled.") % {"town": town.name, "week": week})
        return [_schedule(actor, interview, "schedule", scheduled_for, place, interviewer, "")
                for interview in pending]


def interview_hold(*, actor, interview: Interview, held_on: dt.date, interviewer: str, minutes: str,
                   commitments: list[CommitmentInput]) -> Interview:
    """The office records the interview as held: the day, who interviewed, the minutes and the commitments
    (at least one, each due after the day held)."""
    with transaction.atomic():
        interview = _locked(interview)
        status = _check(actor, interview, "hold")
        rows = [CommitmentInput(c.text.strip(), c.due_date) for c in commitments
                if c.text.strip() or c.due_date is not None]
        created_on = timezone.localtime(interview.created_at).date()
        _refuse(lifecycle.hold_problems(held_on, timezone.localdate(), created_on, interviewer, minutes,
                                        [(c.text, c.due_date) for c in rows]),
                created=_day(created_on), held=_day(held_on))
        before = _snapshot(interview)
        interview.status = status
        interview.held_on = held_on
        interview.interviewer = interviewer.strip()
        interview.minutes = minutes.strip()
        interview.save(update_fields=["status", "held_on", "interviewer", "minutes"])
        dated = [(c.text, c.due_date) for c in rows if c.due_date is not None]  # all, once checked
        Commitment.objects.bulk_create([
            Commitment(interview=interview, position=position, text=text, due_date=due)
            for position, (text, due) in enumerate(dated, start=1)])
        audit_record(actor=actor, action="interview.hold", object_type="interview", object_id=str(interview.pk),
                     before=before, after=_snapshot(interview) | {
                         "minutes": interview.minutes,
                         "commitments": [[text, due.isoformat()] for text, due in dated]})
    return interview


def interview_cancel(*, actor, interview: Interview, reason: str) -> Interview:
    """The office calls off an interview not yet held: the post was vacant, the round was revised, … ."""
    with transaction.atomic():
        interview = _locked(interview)
        status = _check(actor, interview, "cancel")
        if not reason.strip():
            raise Refused("reason_required", _("Give the reason for cancelling the interview."))
        before = _snapshot(interview)
        interview.status = status
        interview.cancel_reason = reason.strip()
        interview.save(update_fields=["status", "cancel_reason"])
        audit_record(actor=actor, action="interview.cancel", object_type="interview", object_id=str(interview.pk),
                     before=before, after=_snapshot(interview) | {"reason": interview.cancel_reason})
    return interview


# Commitments ------------------------------------------------------------------------------------------


def _locked_commitment(actor, commitment: Commitment, transition: str) -> tuple[Commitment, str]:
    interview = _locked(commitment.interview)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    commitment.interview = interview
    if not lifecycle.may(transition, interview_parties(actor, interview), commitment=True):
        raise PermissionDenied
    try:
        status = lifecycle.next_commitment_status(commitment.status, transition)
    except lifecycle.TransitionRefused:
        raise Refused("transition_refused", _("The commitment is %(status)s: it cannot be %(transition)s.")
                      % {"status": commitment.get_status_display(),
                         "transition": TRANSITION_LABELS[transition]}) from None
    return commitment, status


def commitment_done(*, actor, commitment: Commitment, note: str) -> Commitment:
    """The interviewed unit's staff (or the office) report a commitment fulfilled, saying what was done."""
    with transaction.atomic():
        commitment, status = _locked_commitment(actor, commitment, "done")
        if not note.strip():
            raise Refused("note_required", _("Say what was done to fulfil the commitment."))
        before = _commitment_snapshot(commitment)
        commitment.status = status
        commitment.done_note = note.strip()
        commitment.done_by_id = getattr(actor, "pk", None)
        commitment.done_by_label = actor_label(actor)
        commitment.done_at = timezone.now()
        commitment.save(update_fields=["status", "done_note", "done_by", "done_by_label", "done_at"])
        audit_record(actor=actor, action="interview.commitment_done", object_type="commitment",
                     object_id=str(commitment.pk), before=before,
                     after=_commitment_snapshot(commitment) | {"note": commitment.done_note})
    return commitment


def commitment_verify(*, actor, commitment: Commitment) -> Commitment:
    """The office confirms a commitment fulfilled - four eyes: not the office user who reported it done. The
    last verified commitment closes the interview."""
    with transaction.atomic():
        commitment, status = _locked_commitment(actor, commitment, "verify")
        _four_eyes(actor, commitment)
        before = _commitment_snapshot(commitment)
        commitment.status = status
        commitment.verified_by_id = getattr(actor, "pk", None)
        commitment.verified_by_label = actor_label(actor)
        commitment.verified_at = timezone.now()
        commitment.save(update_fields=["status", "verified_by", "verified_by_label", "verified_at"])
        audit_record(actor=actor, action="interview.commitment_verify", object_type="commitment",
                     object_id=str(commitment.pk), before=before, after=_commitment_snapshot(commitment))
        interview = commitment.interview
        unverified = interview.commitments.exclude(status=lifecycle.VERIFIED).exists()
        if not unverified and interview.status == lifecycle.HELD:
            before_interview = _snapshot(interview)
            interview.status = lifecycle.next_status(interview.status, "close")
            interview.closed_at = commitment.verified_at
            interview.save(update_fields=["status", "closed_at"])
            audit_record(actor=actor, action="interview.close", object_type="interview",
                         object_id=str(interview.pk), before=before_interview, after=_snapshot(interview))
    return commitment


def commitment_return(*, actor, commitment: Commitment, reason: str) -> Commitment:
    """The office does not accept what was reported done: the commitment is open again (its due date stays)."""
    with transaction.atomic():
        commitment, status = _locked_commitment(actor, commitment, "return")
        _four_eyes(actor, commitment)
        if not reason.strip():
            raise Refused("reason_required", _("Say why the commitment is not fulfilled."))
        before = _commitment_snapshot(commitment)
        commitment.status = status
        commitment.return_note = reason.strip()
        commitment.save(update_fields=["status", "return_note"])
        audit_record(actor=actor, action="interview.commitment_return", object_type="commitment",
                     object_id=str(commitment.pk), before=before,
                     after=_commitment_snapshot(commitment) | {"reason": commitment.return_note})
    return commitment


def _four_eyes(actor, commitment: Commitment) -> None:
    pk = getattr(actor, "pk", None)
    if pk is not None and commitment.done_by_id == pk:
        raise Refused("same_user", _("You reported this commitment done: another office user must check it."))


# The outcome (问责追究) ---------------------------------------------------------------------------------------

OUTCOME_MESSAGES = {
    "kind_unknown": gettext_lazy("Choose the outcome."),
    "reference_required": gettext_lazy("Give the decision's reference (文号): accountability needs it, and so does "
                                       "any outcome that names a decision."),
    "decided_on_required": gettext_lazy("Give the decision's date: accountability needs it, and so does any "
                                        "outcome that names a decision."),
    "decided_on_in_future": gettext_lazy("The decision's date cannot lie in the future."),
    "decided_on_before_held": gettext_lazy("The decision's date cannot lie before the day the interview was held "
                                           "(%(held)s)."),
}


def _outcome_snapshot(outcome: Outcome) -> dict:
    return {"interview": outcome.interview_id, "person": outcome.person_id, "post": outcome.post_id,
            "kind": outcome.kind, "reference": outcome.reference,
            "decided_on": outcome.decided_on.isoformat() if outcome.decided_on else None, "note": outcome.note,
            "supersedes": outcome.supersedes_id, "synthetic": outcome.synthetic}


def _outcome_checked(actor, interview: Interview, kind: str, reference: str, decided_on: dt.date | None,
                     note: str) -> tuple[Interview, str, str]:
    """Rights, the interview's state, then the input: the locked interview, the reference and the note as stored."""
    if not can_record_outcome(actor):
        raise PermissionDenied
    interview = _locked(interview)
    if interview.status not in lifecycle.OUTCOME_STATUSES or interview.person_id is None:
        raise Refused("not_held", _("The interview is %(status)s: an outcome is recorded only once it was held.")
                      % {"status": interview.get_status_display()})
    reference = cleaned_text(reference, code="reference", maximum=100)
    note = cleaned_text(note, code="note", maximum=2000)
    problems = lifecycle.outcome_problems(kind, reference, decided_on, interview.held_on, timezone.localdate())
    if problems:
        messages = [str(OUTCOME_MESSAGES[code]) % {"held": _day(interview.held_on)} for code in problems]
        raise Refused(problems[0], " ".join(messages), errors=messages, codes=problems)
    return interview, reference, note


def outcome_record(*, actor, interview: Interview, kind: str, reference: str = "", decided_on: dt.date | None = None,
                   note: str = "", synthetic: bool = False) -> Outcome:
    """The office records the outcome of a held interview against the interviewed person and their post: no
    further action, circulated criticism, an admonishment talk, or accountability with the decision's reference
    and date. Once per interview and person: a correction is outcome_revise."""
    with transaction.atomic():
        interview, reference, note = _outcome_checked(actor, interview, kind, reference, decided_on, note)
        person = interview.person
        assert person is not None  # a held interview has its official (_outcome_checked)
        if Outcome.objects.filter(interview=interview, person=person).exists():
            raise Refused("already_recorded", _("The outcome of this interview is already recorded: revise it "
                                                "instead, saying why."))
        outcome = Outcome.objects.create(
            interview=interview, person=person, post=interview.post, kind=kind,
            reference=reference, decided_on=decided_on, note=note, synthetic=synthetic, recorded_at=timezone.now(),
            **recorded_by("recorded_by", actor))
        audit_record(actor=actor, action="interview.outcome_record", object_type="outcome",
                     object_id=str(outcome.pk), after=_outcome_snapshot(outcome))
    return outcome


def outcome_revise(*, actor, outcome: Outcome, kind: str, reference: str = "", decided_on: dt.date | None = None,
                   note: str = "", reason: str = "") -> Outcome:
    """The office corrects a recorded outcome, saying why: a new record supersedes it and both are kept. Only the
    current record is revised (one revised already has its successor)."""
    with transaction.atomic():
        interview, reference, note = _outcome_checked(actor, outcome.interview, kind, reference, decided_on, note)
        old = Outcome.objects.select_for_update().get(pk=outcome.pk)
        if Outcome.objects.filter(supersedes=old).exists():
            raise Refused("already_revised", _("This outcome was revised already: revise the current one."))
        reason = cleaned_text(reason, code="reason", maximum=2000,
                              empty=_("Say why the outcome is revised."))
        new = Outcome.objects.create(
            interview=interview, person_id=old.person_id, post_id=old.post_id, kind=kind, reference=reference,
            decided_on=decided_on, note=note, supersedes=old, revise_reason=reason, synthetic=old.synthetic,
            recorded_at=timezone.now(), **recorded_by("recorded_by", actor))
        audit_record(actor=actor, action="interview.outcome_revise", object_type="outcome", object_id=str(new.pk),
                     before=_outcome_snapshot(old), after=_outcome_snapshot(new) | {"reason": reason})
    return new


def outcome_kind_label(kind: str) -> str:
    return str(OutcomeKind(kind).label) if kind in OutcomeKind.values else kind


# What each user may do, for the pages --------------------------------------------------------------------


def allowed_for(user, interview: Interview) -> list[str]:
    return lifecycle.allowed(interview.status, interview_parties(user, interview))


def commitment_allowed_for(user, commitment: Commitment, interview: Interview) -> list[str]:
    """The commitment's transitions the user may take; verify and return are hidden from the user who reported
    it done, and nothing moves before the interview is held or after it was cancelled."""
    if interview.status not in (lifecycle.HELD, lifecycle.CLOSED):
        return []
    names = lifecycle.allowed(commitment.status, interview_parties(user, interview), commitment=True)
    pk = getattr(user, "pk", None)
    if pk is not None and commitment.done_by_id == pk:
        names = [n for n in names if n not in ("verify", "return")]
    return names


# A published week -------------------------------------------------------------------------------------------


def interviews_for_round(round_) -> list[Interview]:
    """The interviews a round calls for (not stored): for each red village its village liaison and its village
    head, and for an escalated one (red rounds in a row) also its township's deputy in charge and head -
    whoever held the post during the round's week (posts are dated); a post nobody held is a vacant interview.
    One interview per official: a person answering for several red villages (a liaison of two villages, the head
    of a township with two escalated villages) has one interview listing them all (``covers``, the main village
    first), escalated when any of them is."""
    start, end = round_.week_start, round_.week_start + dt.timedelta(days=6)
    reds = list(Result.objects.filter(round=round_, tier=Tier.RED).select_related("unit", "town")
                .order_by("unit__code"))
    posts: dict[tuple[int, str], list[Post]] = {}
    for post in Post.objects.filter(
            unit_id__in={r.unit_id for r in reds} | {r.town_id for r in reds if r.escalated},
            role__in=[PostRole.VILLAGE_LIAISON, PostRole.VILLAGE_HEAD, PostRole.TOWN_DEPUTY, PostRole.TOWN_HEAD],
    ).held_between(start, end).order_by("start_date", "pk"):
        posts.setdefault((post.unit_id, post.role), []).append(post)
    interviews: list[Interview] = []
    by_person: dict[int, Interview] = {}
    for result in reds:
        wanted = [(result.unit_id, PostRole.VILLAGE_LIAISON, InterviewReason.RED),
                  (result.unit_id, PostRole.VILLAGE_HEAD, InterviewReason.RED)]
        if result.escalated:
            wanted += [(result.town_id, PostRole.TOWN_DEPUTY, InterviewReason.ESCALATED),
                       (result.town_id, PostRole.TOWN_HEAD, InterviewReason.ESCALATED)]
        for unit_id, role, reason in wanted:
            holders = posts.get((unit_id, role), [])
            if not holders:
                vacant = Interview(round=round_, village_id=result.unit_id, unit_id=unit_id, role=role,
                                   reason=reason, vacant=True)
                vacant.covers = [result.unit_id]  # type: ignore[attr-defined]
                interviews.append(vacant)
            for post in holders:
                same = by_person.get(post.person_id)
                if same is not None:
                    if result.unit_id not in same.covers:  # type: ignore[attr-defined]
                        same.covers.append(result.unit_id)  # type: ignore[attr-defined]
                    if reason == InterviewReason.ESCALATED:
                        same.reason = reason
                    continue
                interview = Interview(round=round_, village_id=result.unit_id, unit_id=unit_id, role=role,
                                      reason=reason, post=post, person_id=post.person_id)
                interview.covers = [result.unit_id]  # type: ignore[attr-defined]
                by_person[post.person_id] = interview
                interviews.append(interview)
    return interviews


def _store(interviews: list[Interview]) -> list[Interview]:
    """Insert the interviews and the red villages each covers."""
    created = Interview.objects.bulk_create(interviews)
    through = Interview.villages.through
    through.objects.bulk_create([through(interview_id=interview.pk, unit_id=unit)
                                 for interview in created
                                 for unit in getattr(interview, "covers", [interview.village_id])],
                                batch_size=1000)
    return created


def interviews_create_for_round(*, actor, round_) -> list[Interview]:
    """Store the interviews of a round being published (inside the transaction of dudao.publication), each to be
    held within HOLD_WITHIN_WORKING_DAYS working days; a revision follows the revision before it."""
    interviews = interviews_for_round(round_)
    hold_by = hold_by_default()  # once for all, rather than asking the working calendar per row
    for interview in interviews:
        interview.hold_by = hold_by
    if round_.revision > 1:
        return interviews_create_for_revision(actor=actor, round_=round_, wanted=interviews)
    return _store(interviews)


# A revised week ----------------------------------------------------------------------------------------


def _key(interview: Interview) -> tuple:
    """Who an interview is for: the official (one interview per official and week), or a vacant post."""
    if interview.person_id is not None:
        return ("person", interview.person_id)
    return ("vacant", interview.village_id, interview.unit_id, interview.role)


def interviews_create_for_revision(*, actor, round_, wanted: list[Interview]) -> list[Interview]:
    """Store the interviews that revision r > 1 of a week calls for (inside the transaction that publishes it),
    following the revision before it, whose own records are never moved: each round keeps the interviews its
    bulletin listed. For an official the earlier revision already called:
    - not yet scheduled or scheduled: the new record takes over the schedule and the hold-by date; the earlier
      one is cancelled as superseded;
    - held (or closed): the new record is cancelled at once, naming the interview that was held (the week's
      interview happened; its commitments stay where they were made);
    - cancelled: the new record is cancelled with the same reason (the office's decision stands).
    Interviews of the earlier revision that the new one no longer calls for are cancelled with the reason."""
    previous = round_.__class__.objects.filter(campaign=round_.campaign, week=round_.week,
                                               revision=round_.revision - 1).first()
    earlier: dict[tuple, list[Interview]] = {}
    if previous is not None:
        for old in (Interview.objects.select_for_update(of=("self",)).select_related("village", "unit")
                    .filter(round=previous).order_by("pk")):
            earlier.setdefault(_key(old), []).append(old)
    followed: list[tuple[Interview, Interview]] = []
    for interview in wanted:
        olds = earlier.get(_key(interview))
        if not olds:
            continue
        old = olds.pop(0)
        followed.append((interview, old))
        interview.hold_by = old.hold_by
        if old.status == InterviewStatus.SCHEDULED:
            interview.status = InterviewStatus.SCHEDULED
            interview.scheduled_for, interview.place, interview.interviewer = (
                old.scheduled_for, old.place, old.interviewer)
        elif old.status in (InterviewStatus.HELD, InterviewStatus.CLOSED):
            interview.status = InterviewStatus.CANCELLED
            interview.cancel_reason = _("Held under revision %(revision)s of the week (interview %(number)s).") % {
                "revision": previous.revision if previous else "", "number": old.pk}
        elif old.status == InterviewStatus.CANCELLED:
            interview.status = InterviewStatus.CANCELLED
            interview.cancel_reason = old.cancel_reason
    created = _store(wanted)
    for interview, old in followed:
        audit_record(actor=actor, action="interview.follow_revision", object_type="interview",
                     object_id=str(interview.pk),
                     after=_snapshot(interview) | {"revision": round_.revision, "follows": old.pk,
                                                   "cancel_reason": interview.cancel_reason})
        if old.status in (InterviewStatus.PENDING, InterviewStatus.SCHEDULED):
            _cancel_superseded(actor, old, _("Superseded by revision %(revision)s of the week (interview "
                                             "%(number)s).") % {"revision": round_.revision, "number": interview.pk})
    gone = _("The week's ranking was revised (revision %(revision)s) and no longer calls for this interview.") % {
        "revision": round_.revision}
    for olds in earlier.values():
        for old in olds:
            if old.status in (InterviewStatus.PENDING, InterviewStatus.SCHEDULED):
                _cancel_superseded(actor, old, gone)
    return created


def _cancel_superseded(actor, old: Interview, reason: str) -> None:
    before = _snapshot(old)
    old.status = InterviewStatus.CANCELLED
    old.cancel_reason = reason
    old.save(update_fields=["status", "cancel_reason"])
    audit_record(actor=actor, action="interview.cancel", object_type="interview", object_id=str(old.pk),
                 before=before, after=_snapshot(old) | {"reason": reason})
