"""A task's standing on the battle map (pure: no Django imports): one function, one rule.

- done: the task is completed (its township said so, or its progress reached the target);
- overdue: the deadline has passed and it is not done;
- behind: it has a numeric target and the share of it achieved is more than BEHIND_MARGIN below the share of the
  time elapsed from start to deadline (e.g. half the time gone, less than 30 % done);
- on track: anything else (before its start, or without a numeric target and not overdue).
"""

import datetime as dt
from decimal import Decimal

DONE = "done"
OVERDUE = "overdue"
BEHIND = "behind"
ON_TRACK = "on_track"
STANDINGS = (ON_TRACK, BEHIND, OVERDUE, DONE)
# Percentage points of time by which progress may lag before a task is behind.
BEHIND_MARGIN = 0.2


def elapsed_share(today: dt.date, start: dt.date, deadline: dt.date) -> float:
    """The share of the task's days gone by the end of ``today`` (0 before the start, 1 from the deadline on)."""
    days = (deadline - start).days + 1
    gone = (today - start).days + 1
    return min(max(gone / days, 0.0), 1.0)


def progress_share(progress: Decimal, target: Decimal | None) -> float | None:
    """The share of the target achieved (at most 1), or None without a positive numeric target."""
    if target is None or target <= 0:
        return None
    return min(float(progress / target), 1.0)


def standing(*, today: dt.date, start: dt.date, deadline: dt.date, done: bool, progress: Decimal,
             target: Decimal | None, margin: float = BEHIND_MARGIN) -> str:
    if done:
        return DONE
    if today > deadline:
        return OVERDUE
    share = progress_share(progress, target)
    if share is not None and share < elapsed_share(today, start, deadline) - margin:
        return BEHIND
    return ON_TRACK
