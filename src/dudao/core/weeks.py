"""ISO weeks as the campaign writes them: "2026-W10" (pure: no Django imports)."""

import datetime as dt
import re

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> tuple[int, int]:
    """(year, week) of an ISO week string; ValueError if it is not one."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    year, week = int(match.group(1)), int(match.group(2))
    dt.date.fromisocalendar(year, week, 1)  # raises ValueError for W53 in a 52-week year, W00, W54...
    return year, week


def week_start(text: str) -> dt.date:
    year, week = parse_week(text)
    return dt.date.fromisocalendar(year, week, 1)


def week_end(text: str) -> dt.date:
    year, week = parse_week(text)
    return dt.date.fromisocalendar(year, week, 7)


def week_of(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def add_weeks(text: str, count: int) -> str:
    return week_of(week_start(text) + dt.timedelta(weeks=count))
