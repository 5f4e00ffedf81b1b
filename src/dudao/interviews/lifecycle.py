"""The interview's (约谈) lifecycle and its commitments'. Pure: no Django.

    pending ─schedule→ scheduled ─hold→ held ─(every commitment verified: close)→ closed
                        │    ▲
                        └────┘ reschedule
    pending / scheduled ─cancel→ cancelled   (the post is vacant, the round was revised, …: a reason is required)

    commitment:  open ─done→ done ─verify→ verified
                  ▲               │
                  └──── return ◄──┘  (the office does not accept what was done)

Who may take a transition is written here as parties: "office" (the campaign office, county administrators) and
"unit" (the staff of the interviewed unit: its township's staff, or the village's own staff for a post at the
village). dudao.accounts.access says which parties a user is for one interview; "close" is taken by the system
when the last commitment is verified, never by hand.
"""

import datetime as dt
from collections.abc import Iterable

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here
from dudao.core.workdays import add_working_days as add_working_days  # interviews are held within working days

PENDING = "pending"
SCHEDULED = "scheduled"
HELD = "held"
CLOSED = "closed"
CANCELLED = "cancelled"
STATUSES = (PENDING, SCHEDULED, HELD, CLOSED, CANCELLED)
# Not yet held: the hold-by date runs and the interview can be overdue.
AWAITING = frozenset({PENDING, SCHEDULED})
FINISHED = frozenset({CLOSED, CANCELLED})

OPEN = "open"
DONE = "done"
VERIFIED = "verified"
COMMITMENT_STATUSES = (OPEN, DONE, VERIFIED)

OFFICE = "office"
UNIT = "unit"
SYSTEM = "system"

INTERVIEW = Lifecycle(STATUSES, {
    "schedule": transition({PENDING}, SCHEDULED, {OFFICE}),
    "reschedule": transition({SCHEDULED}, SCHEDULED, {OFFICE}),
    "hold": transition({SCHEDULED}, HELD, {OFFICE}),
    "close": transition({HELD}, CLOSED, {SYSTEM}),
    "cancel": transition({PENDING, SCHEDULED}, CANCELLED, {OFFICE}),
})
COMMITMENT = Lifecycle(COMMITMENT_STATUSES, {
    "done": transition({OPEN}, DONE, {OFFICE, UNIT}),
    "verify": transition({DONE}, VERIFIED, {OFFICE}),
    "return": transition({DONE}, OPEN, {OFFICE}),
})
# Hold an interview within this many working days of the round's publication (the default hold-by date).
HOLD_WITHIN_WORKING_DAYS = 5
# A schedule may lie at most this far ahead.
SCHEDULE_HORIZON_DAYS = 90


def next_status(status: str, name: str) -> str:
    """The interview's status after the transition, or TransitionRefused (unknown transitions too)."""
    return INTERVIEW.next_status(status, name)


def next_commitment_status(status: str, name: str) -> str:
    return COMMITMENT.next_status(status, name)


def may(name: str, parties: Iterable[str], commitment: bool = False) -> bool:
    """Whether one of the parties may take the transition (whatever the state)."""
    return (COMMITMENT if commitment else INTERVIEW).may(name, parties)


def allowed(status: str, parties: Iterable[str], commitment: bool = False) -> list[str]:
    """The transitions the parties may take from the status, in the table's order."""
    return (COMMITMENT if commitment else INTERVIEW).allowed(status, parties)


def interview_overdue(status: str, hold_by: dt.date | None, today: dt.date) -> bool:
    """Not held by its hold-by date (the date itself still counts as in time)."""
    return status in AWAITING and hold_by is not None and today > hold_by


def commitment_overdue(status: str, due_date: dt.date | None, today: dt.date) -> bool:
    """Not reported done by its due date (the date itself still counts as in time). A commitment reported done
    waits for the office's verification and is not overdue for the unit."""
    return status == OPEN and due_date is not None and today > due_date


def schedule_problems(scheduled_for: dt.datetime, now: dt.datetime, place: str, interviewer: str) -> list[str]:
    """Codes of what is wrong with a schedule; ``scheduled_for`` and ``now`` in the same (local) time zone.
    Earlier today is accepted (the office may enter a meeting just arranged); an earlier day is not."""
    problems = []
    if scheduled_for.date() < now.date():
        problems.append("schedule_in_past")
    elif scheduled_for.date() > now.date() + dt.timedelta(days=SCHEDULE_HORIZON_DAYS):
        problems.append("schedule_too_far")
    if not place.strip():
        problems.append("place_required")
    if not interviewer.strip():
        problems.append("interviewer_required")
    return problems


def hold_problems(held_on: dt.date, today: dt.date, created_on: dt.date, interviewer: str, minutes: str,
                  commitments: list[tuple[str, dt.date | None]]) -> list[tuple[str, int | None]]:
    """Codes (with the 1-based commitment number where one is at fault) of what is wrong with a record of an
    interview held: the date lies between the interview's creation and today, someone interviewed, minutes,
    at least one commitment, each with a text and a due date after the day held."""
    problems: list[tuple[str, int | None]] = []
    if held_on > today:
        problems.append(("held_in_future", None))
    elif held_on < created_on:
        problems.append(("held_before_created", None))
    if not interviewer.strip():
        problems.append(("interviewer_required", None))
    if not minutes.strip():
        problems.append(("minutes_required", None))
    if not commitments:
        problems.append(("commitments_required", None))
    for number, (text, due) in enumerate(commitments, start=1):
        if not text.strip():
            problems.append(("commitment_text_required", number))
        if due is None:
            problems.append(("commitment_due_required", number))
        elif due <= held_on:
            problems.append(("commitment_due_not_after_held", number))
    return problems


# The outcome of a held interview (问责追究) ------------------------------------------------------------------
# What the office decides against the interviewed official once the interview was held: no further action
# (不予追究), circulated criticism (通报批评), an admonishment talk (诫勉谈话) or accountability (问责). Recorded once
# per interview and person; a correction is a revision, a new record that supersedes the one before (both kept).

NO_ACTION = "none"
CRITICISM = "criticism"
ADMONISHMENT = "admonishment"
ACCOUNTABILITY = "accountability"
OUTCOME_KINDS = (NO_ACTION, CRITICISM, ADMONISHMENT, ACCOUNTABILITY)
# An outcome is recorded only for an interview that was held (a closed one was held too).
OUTCOME_STATUSES = frozenset({HELD, CLOSED})


def outcome_problems(kind: str, reference: str, decided_on: dt.date | None, held_on: dt.date | None,
                     today: dt.date) -> list[str]:
    """Codes of what is wrong with an outcome. Accountability (问责) needs its decision's reference (文号) and date;
    the other kinds may name a decision too (a circular's number), and then both. A decision's date lies neither
    in the future nor before the day the interview was held."""
    if kind not in OUTCOME_KINDS:
        return ["kind_unknown"]
    problems = []
    if kind == ACCOUNTABILITY or reference.strip() or decided_on is not None:
        if not reference.strip():
            problems.append("reference_required")
        if decided_on is None:
            problems.append("decided_on_required")
    if decided_on is not None:
        if decided_on > today:
            problems.append("decided_on_in_future")
        elif held_on is not None and decided_on < held_on:
            problems.append("decided_on_before_held")
    return problems
