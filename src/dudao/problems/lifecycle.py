"""The problem's closed loop (after GB/T 30428's 上报 → 立案 → 派遣 → 处置 → 核查 → 结案) and its deadlines.
Pure: no Django.

    reported ─register→ registered ─dispatch→ dispatched ─rectify→ rectified ─verify→ verified ─close→ closed
                                                  ▲                    │
                                                  └──── returned ◄─return (rework)
    reported / registered / dispatched / returned ─cancel→ cancelled
"""

import datetime as dt

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here
from dudao.core.workdays import IsWorking, add_working_days, first_working_day
from dudao.core.workdays import default_is_working as default_is_working  # the calendar pages use it

REPORTED = "reported"
REGISTERED = "registered"
DISPATCHED = "dispatched"
RECTIFIED = "rectified"
VERIFIED = "verified"
CLOSED = "closed"
RETURNED = "returned"
CANCELLED = "cancelled"
STATUSES = (REPORTED, REGISTERED, DISPATCHED, RECTIFIED, VERIFIED, CLOSED, RETURNED, CANCELLED)

LOOP = Lifecycle(STATUSES, {
    "register": transition({REPORTED}, REGISTERED),
    "dispatch": transition({REGISTERED}, DISPATCHED),
    "rectify": transition({DISPATCHED, RETURNED}, RECTIFIED),
    "verify": transition({RECTIFIED}, VERIFIED),
    "return": transition({RECTIFIED}, RETURNED),
    "close": transition({VERIFIED}, CLOSED),
    "cancel": transition({REPORTED, REGISTERED, DISPATCHED, RETURNED}, CANCELLED),
})
# Waiting for the village: the deadline runs and the problem can be overdue.
AWAITING_VILLAGE = frozenset({DISPATCHED, RETURNED})
OPEN = frozenset({REPORTED, REGISTERED, DISPATCHED, RETURNED, RECTIFIED, VERIFIED})
FINISHED = frozenset({CLOSED, CANCELLED})


def next_status(status: str, name: str) -> str:
    """The status after the transition, or TransitionRefused (unknown transitions too)."""
    return LOOP.next_status(status, name)


def allowed(status: str) -> list[str]:
    return LOOP.allowed(status)


def deadline(start: dt.datetime, working_days: int, is_working: IsWorking = default_is_working,
             end_of_day: dt.time = dt.time(23, 59, 59)) -> dt.datetime:
    """The end of the ``working_days``-th working day after ``start`` (0: the same day if it is a working
    day, otherwise the next working day). ``start`` is local time; the result has its tzinfo."""
    day = add_working_days(first_working_day(start.date(), is_working), working_days, is_working)
    return dt.datetime.combine(day, end_of_day, tzinfo=start.tzinfo)


def is_overdue(status: str, due: dt.datetime | None, now: dt.datetime) -> bool:
    return status in AWAITING_VILLAGE and due is not None and now > due
