"""Working days: Monday to Friday unless a working calendar says otherwise. Pure: no Django.

The calendar's exceptions (holidays, worked weekends) are problems.models.CalendarDay; a caller passes
``is_working`` built from them (problems.services.is_working_day_factory)."""

import datetime as dt
from collections.abc import Callable

IsWorking = Callable[[dt.date], bool]


def default_is_working(day: dt.date) -> bool:
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int, is_working: IsWorking = default_is_working) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working(day):
            remaining -= 1
    return day


def first_working_day(day: dt.date, is_working: IsWorking = default_is_working) -> dt.date:
    """The day itself if it is a working day, else the next one."""
    while not is_working(day):
        day += dt.timedelta(days=1)
    return day
