"""Scoring one inspection against its checklist (评分细则). Pure: no Django.

The score is the weighted share of the points available on the applicable items, on 0–100:
100 × Σ weight × points / Σ weight × max points. With every weight 1 (the default) that is the paper checklist's
sum of points over the points available; a weight of 2 counts an item twice. An item may be "not applicable"
only where the checklist allows it, and then leaves the sums. A critical item scored below half its points is a
critical failure, and the score is then capped (default 60: a village with an open sewage outflow cannot pass
however tidy it is otherwise).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    id: int
    max_points: float
    weight: float = 1.0
    critical: bool = False
    allow_na: bool = False


@dataclass(frozen=True)
class Mark:
    item_id: int
    points: float | None  # None: not applicable


@dataclass(frozen=True)
class Problem:
    code: str  # unknown_item, missing_item, na_not_allowed, out_of_range, all_na, duplicate_item
    item_id: int | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scored:
    score: float
    critical_failed: tuple[int, ...]
    capped: bool


def check(items: list[Item], marks: list[Mark]) -> list[Problem]:
    by_id = {item.id: item for item in items}
    problems: list[Problem] = []
    seen: set[int] = set()
    for mark in marks:
        item = by_id.get(mark.item_id)
        if item is None:
            problems.append(Problem("unknown_item", mark.item_id))
            continue
        if mark.item_id in seen:
            problems.append(Problem("duplicate_item", mark.item_id))
        seen.add(mark.item_id)
        if mark.points is None:
            if not item.allow_na:
                problems.append(Problem("na_not_allowed", item.id))
        elif not (0 <= mark.points <= item.max_points) or mark.points != mark.points:
            problems.append(Problem("out_of_range", item.id, {"points": mark.points, "max": item.max_points}))
    for item in items:
        if item.id not in seen:
            problems.append(Problem("missing_item", item.id))
    if not problems and all(m.points is None for m in marks):
        problems.append(Problem("all_na"))
    return problems


def score(items: list[Item], marks: list[Mark], critical_cap: float = 60.0) -> Scored:
    """The inspection's score; call check() first (this assumes the marks are valid)."""
    by_id = {item.id: item for item in items}
    total = weights = 0.0
    failed = []
    for mark in marks:
        if mark.points is None:
            continue
        item = by_id[mark.item_id]
        total += item.weight * mark.points
        weights += item.weight * item.max_points
        if item.critical and mark.points < item.max_points / 2:
            failed.append(item.id)
    value = 100.0 * total / weights if weights else 0.0
    capped = bool(failed) and value > critical_cap
    if capped:
        value = critical_cap
    return Scored(round(value, 2), tuple(sorted(failed)), capped)


def failing(item: Item, points: float | None) -> bool:
    """An item that lost points: a problem may be raised from it."""
    return points is not None and points < item.max_points
