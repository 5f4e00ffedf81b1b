"""The courtyard checks read as the village reads them (pure: no Django imports).

A household was *checked* in a period when it has a mark in it, *reminded* when one of those marks is "needs work",
*improved* when one of them is "clean" and the household's mark just before it (in the period or earlier) was
"needs work". A household is a *beautiful courtyard* (美丽庭院) when its last ``BEAUTIFUL_RUN`` marks are all
clean."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

CLEAN = "clean"
NEEDS_WORK = "needs_work"
BEAUTIFUL_RUN = 4


@dataclass(frozen=True)
class Mark:
    household: int
    at: dt.datetime
    result: str


@dataclass
class Standing:
    checked: bool = False
    reminded: bool = False
    improved: bool = False
    latest: str | None = None  # the household's latest mark in or before the period


def _by_household(marks: Iterable[Mark]) -> dict[int, list[Mark]]:
    grouped: dict[int, list[Mark]] = defaultdict(list)
    for mark in marks:
        grouped[mark.household].append(mark)
    for series in grouped.values():
        series.sort(key=lambda m: m.at)
    return grouped


def standings(marks: Iterable[Mark], start: dt.datetime, end: dt.datetime) -> dict[int, Standing]:
    """Each household's standing in the period [start, end) (households without a mark before ``end`` are left
    out)."""
    found: dict[int, Standing] = {}
    for household, series in _by_household(marks).items():
        standing = Standing()
        previous: str | None = None
        for mark in series:
            if mark.at >= end:
                break
            if mark.at >= start:
                standing.checked = True
                if mark.result == NEEDS_WORK:
                    standing.reminded = True
                elif previous == NEEDS_WORK:
                    standing.improved = True
            previous = mark.result
        if previous is not None:
            standing.latest = previous
            found[household] = standing
    return found


def beautiful(marks: Iterable[Mark], run: int = BEAUTIFUL_RUN) -> set[int]:
    """The households whose last ``run`` marks are all clean."""
    return {household for household, series in _by_household(marks).items()
            if len(series) >= run and all(m.result == CLEAN for m in series[-run:])}
