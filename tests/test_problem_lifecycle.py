"""The pure closed loop (dudao.problems.lifecycle): every status × transition pair, the deadline calendar and
the overdue rule. The expected table is written out here from the diagram in the module's docstring, not
derived from the module's own TRANSITIONS."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dudao.problems import lifecycle
from dudao.problems.lifecycle import TransitionRefused, deadline, is_overdue, next_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUSES = ("reported", "registered", "dispatched", "rectified", "verified", "closed", "returned", "cancelled")
TRANSITIONS = ("register", "dispatch", "rectify", "verify", "return", "close", "cancel")
# (from, transition) → to; every pair not listed is refused.
ALLOWED = {
    ("reported", "register"): "registered",
    ("registered", "dispatch"): "dispatched",
    ("dispatched", "rectify"): "rectified",
    ("returned", "rectify"): "rectified",
    ("rectified", "verify"): "verified",
    ("rectified", "return"): "returned",
    ("verified", "close"): "closed",
    ("reported", "cancel"): "cancelled",
    ("registered", "cancel"): "cancelled",
    ("dispatched", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
}
PAIRS = [(status, transition) for status in STATUSES for transition in (*TRANSITIONS, "reopen")]


def test_the_module_has_exactly_these_statuses_and_transitions():
    assert lifecycle.STATUSES == STATUSES
    assert set(lifecycle.LOOP.transitions) == set(TRANSITIONS)


@pytest.mark.parametrize(("status", "transition"), PAIRS)
def test_every_status_and_transition(status, transition):
    if (status, transition) in ALLOWED:
        assert next_status(status, transition) == ALLOWED[(status, transition)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            next_status(status, transition)
        assert refused.value.transition == transition
        assert refused.value.status == status
        assert str(refused.value) == f"{transition} is not allowed from {status}"


def test_exactly_eleven_moves_exist():
    moves = set()
    for status, transition in PAIRS:
        try:
            moves.add((status, transition, next_status(status, transition)))
        except TransitionRefused:
            pass
    assert moves == {(s, t, target) for (s, t), target in ALLOWED.items()}
    assert len(moves) == 11


def test_an_unknown_status_is_refused_for_every_transition():
    for transition in TRANSITIONS:
        with pytest.raises(TransitionRefused):
            next_status("lost", transition)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_lists_the_transitions_of_the_table(status):
    expected = {transition for (source, transition) in ALLOWED if source == status}
    assert set(lifecycle.allowed(status)) == expected
    assert len(lifecycle.allowed(status)) == len(expected)


def test_status_groups():
    assert lifecycle.AWAITING_VILLAGE == {"dispatched", "returned"}
    assert lifecycle.OPEN == {"reported", "registered", "dispatched", "returned", "rectified", "verified"}
    assert lifecycle.FINISHED == {"closed", "cancelled"}
    assert lifecycle.OPEN | lifecycle.FINISHED == set(STATUSES)
    assert not lifecycle.OPEN & lifecycle.FINISHED
    # Finished statuses are dead ends.
    assert lifecycle.allowed("closed") == []
    assert lifecycle.allowed("cancelled") == []


# Deadlines ---------------------------------------------------------------------------------------------------
# March 2026: Mon 2, Tue 3, Wed 4, Thu 5, Fri 6, Sat 7, Sun 8, Mon 9, Tue 10, Wed 11.


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=tz)


def end(day: int, month: int = 3, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(2026, month, day, 23, 59, 59, tzinfo=tz)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (at(4), 0, end(4)),                # Wednesday, the same day
    (at(4, 0, 0), 0, end(4)),          # just after midnight
    (at(4, 23, 59), 0, end(4)),        # just before midnight
    (at(6), 0, end(6)),                # Friday, the same day
    (at(7), 0, end(9)),                # Saturday: the next working day, Monday
    (at(8), 0, end(9)),                # Sunday: Monday
    (at(4), 1, end(5)),                # Wednesday + 1: Thursday
    (at(6), 1, end(9)),                # Friday + 1: over the weekend to Monday
    (at(4), 3, end(9)),                # Wednesday + 3: Thu, Fri, Mon
    (at(6), 5, end(13)),               # Friday + 5: a whole working week
    (at(7), 1, end(10)),               # Saturday + 1: counted from Monday, so Tuesday
    (at(8), 3, end(12)),               # Sunday + 3: Monday is day 0, then Tue, Wed, Thu
    (at(2), 10, end(16)),              # two weeks
])
def test_deadline_on_the_default_week(start, days, expected):
    assert deadline(start, days) == expected
    assert deadline(start, days).tzinfo is SHANGHAI


# A constructed calendar: a holiday on Thursday 5 March and Friday 6 March, Saturday 7 March worked (调休).
HOLIDAYS = {dt.date(2026, 3, 5), dt.date(2026, 3, 6)}
WORKED = {dt.date(2026, 3, 7)}


def calendar(day: dt.date) -> bool:
    if day in HOLIDAYS:
        return False
    if day in WORKED:
        return True
    return day.weekday() < 5


@pytest.mark.parametrize(("start", "days", "expected"), [
    (at(4), 0, end(4)),      # Wednesday is a working day
    (at(4), 1, end(7)),      # Thursday and Friday are holidays; the worked Saturday counts
    (at(4), 2, end(9)),      # then Sunday is off: Monday
    (at(5), 0, end(7)),      # starting on a holiday: the next working day is the worked Saturday
    (at(6), 1, end(9)),      # a holiday + 1: Saturday is day 0, Monday day 1
    (at(7), 0, end(7)),      # the worked Saturday itself
    (at(8), 0, end(9)),      # Sunday stays off
])
def test_deadline_with_a_holiday_and_a_worked_saturday(start, days, expected):
    assert deadline(start, days, calendar) == expected


def test_the_calendar_changes_the_answer():
    # The same start and days give different deadlines with and without the exceptions.
    assert deadline(at(4), 1) == end(5)
    assert deadline(at(4), 1, calendar) == end(7)
    assert deadline(at(7), 0) == end(9)
    assert deadline(at(7), 0, calendar) == end(7)


def test_a_long_holiday():
    # National Day week 2026: 1–7 October off, Saturday 10 October worked.
    off = {dt.date(2026, 10, d) for d in range(1, 8)}

    def national_day(day: dt.date) -> bool:
        if day in off:
            return False
        return day == dt.date(2026, 10, 10) or day.weekday() < 5

    assert deadline(at(30, month=9), 0, national_day) == end(30, month=9)
    assert deadline(at(30, month=9), 1, national_day) == end(8, month=10)
    assert deadline(at(1, month=10), 0, national_day) == end(8, month=10)
    assert deadline(at(9, month=10), 1, national_day) == end(10, month=10)
    assert deadline(at(9, month=10), 2, national_day) == end(12, month=10)


def test_deadline_keeps_the_time_zone_and_uses_the_local_date():
    utc = dt.UTC
    # 20:00 UTC on Wednesday is 04:00 on Thursday in Shanghai: the caller passes local time.
    assert deadline(dt.datetime(2026, 3, 4, 20, 0, tzinfo=utc), 0) == dt.datetime(2026, 3, 4, 23, 59, 59, tzinfo=utc)
    assert deadline(dt.datetime(2026, 3, 4, 20, 0, tzinfo=utc), 0).tzinfo is utc
    local = dt.datetime(2026, 3, 4, 20, 0, tzinfo=utc).astimezone(SHANGHAI)
    assert deadline(local, 0) == end(5)
    assert deadline(local, 0).utcoffset() == dt.timedelta(hours=8)
    naive = deadline(dt.datetime(2026, 3, 4, 10, 0), 0)
    assert naive == dt.datetime(2026, 3, 4, 23, 59, 59)
    assert naive.tzinfo is None


def test_deadline_end_of_day_is_configurable():
    assert deadline(at(4), 0, end_of_day=dt.time(18, 0)) == dt.datetime(2026, 3, 4, 18, 0, tzinfo=SHANGHAI)
    assert deadline(at(6), 1, end_of_day=dt.time(17, 30)) == dt.datetime(2026, 3, 9, 17, 30, tzinfo=SHANGHAI)


def test_default_working_week():
    days = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(7)]
    assert [lifecycle.default_is_working(d) for d in days] == [True] * 5 + [False] * 2


# Overdue -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_is_overdue_only_while_waiting_for_the_village(status):
    due = end(4)
    later = due + dt.timedelta(microseconds=1)
    waiting = status in ("dispatched", "returned")
    assert is_overdue(status, due, later) is waiting
    assert is_overdue(status, due, due + dt.timedelta(days=30)) is waiting
    assert is_overdue(status, due, due) is False
    assert is_overdue(status, due, due - dt.timedelta(seconds=1)) is False
    assert is_overdue(status, None, later) is False
