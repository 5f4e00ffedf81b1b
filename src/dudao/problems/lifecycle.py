"""The problem's closed loop (after GB/T 30428's 上报 → 立案 → 派遣 → 处置 → 核查 → 结案) and its deadlines.
Pure: no Django.

    reported ─register→ registered ─dispatch→ dispatched ─rectify→ rectified ─verify→ verified ─close→ closed
                                                  ▲                    │
                                                  └──── returned ◄─return (rework)
    reported / registered / dispatched / returned ─cancel→ cancelled
"""

import datetime as dt
from collections.abc import Callable

from dudao.core.lifecycle import Lifecycle, TransitionRefused, transition

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
__all__ = ["TransitionRefused"]


def next_status(status: str, name: str) -> str:
    """The status after the transition, or TransitionRefused (unknown transitions too)."""
    return LOOP.next_status(status, name)


def allowed(status: str) -> list[str]:
    return LOOP.allowed(status)


def default_is_working(day: dt.date) -> bool:
    return day.weekday() < 5


def deadline(start: dt.datetime, working_days: int, is_working: Callable[[dt.date], bool] = default_is_working,
             end_of_day: dt.time = dt.time(23, 59, 59)) -> dt.datetime:
    """The end of the ``working_days``-th working day after ``start`` (0: the same day if it is a working
    day, otherwise the next working day). ``start`` is local time; the result has its tzinfo."""
    day = start.date()
    while not is_working(day):
        day += dt.timedelta(days=1)
    remaining = working_days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working(day):
            remaining -= 1
    return dt.datetime.combine(day, end_of_day, tzinfo=start.tzinfo)


def is_overdue(status: str, due: dt.datetime | None, now: dt.datetime) -> bool:
    return status in AWAITING_VILLAGE and due is not None and now > due
