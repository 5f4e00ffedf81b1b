"""Validating one source's weekly file (CONTRACTS §3, "Source files"; pure: no Django imports)."""

import math
from dataclasses import dataclass

from dudao.core.tables import Problem, Table, cell, column_index

# A week's source names each ranked village once: the largest province has about 65,000 villages and communities
# (decision 0004's benchmark, bench/ranking_round.py), so reading stops here instead of at a million rows.
MAX_ROWS = 70_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "代码"),
    "rank": ("rank", "排名", "名次"),
    "score": ("score", "得分", "分数"),
}


@dataclass(frozen=True)
class Ranked:
    """A unit that may be ranked: its township, whether it is active."""

    code: str
    town: str
    active: bool


@dataclass(frozen=True)
class SourceRow:
    row: int
    code: str
    rank: int | None
    score: float | None


def codes_named(table: Table) -> set[str]:
    """The codes in the file's code column (none without one): the units parse_source looks up are these and the
    other villages of their townships."""
    index, _problems = column_index(table.header, COLUMNS)
    return {cell(raw, index, "code") for _row_no, raw in table.rows} if "code" in index else set()


def parse_source(table: Table, ranked: dict[str, Ranked], all_codes: set[str], source: str,
                 towns: set[str] | None = None) -> tuple[list[SourceRow], str, list[Problem]]:
    """Rows, kind ("rank" or "score") and problems. For the `town` source every township in the file must rank
    all its active villages and communities exactly once; ``towns`` limits which townships may appear."""
    index, problems = column_index(table.header, COLUMNS)
    if "code" not in index:
        problems.append(Problem("missing_column", 1, {"column": "code / 代码"}))
    if ("rank" in index) == ("score" in index):
        problems.append(Problem("rank_or_score", 1))
    if problems:
        return [], "", problems
    kind = "rank" if "rank" in index else "score"
    rows: list[SourceRow] = []
    first: dict[str, int] = {}
    for row_no, raw in table.rows:
        code = cell(raw, index, "code")
        value = cell(raw, index, kind)
        unit = ranked.get(code)
        if unit is None:
            problems.append(Problem("not_ranked_unit" if code in all_codes else "unknown_code", row_no, {"code": code}))
        elif not unit.active:
            problems.append(Problem("inactive_unit", row_no, {"code": code}))
        elif towns is not None and unit.town not in towns:
            problems.append(Problem("unknown_code", row_no, {"code": code}))
        if code in first:
            problems.append(Problem("duplicate_code", row_no, {"code": code, "first": first[code]}))
        else:
            first[code] = row_no
        rank: int | None = None
        score: float | None = None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if kind == "rank":
            if not (math.isfinite(number) and number.is_integer() and number >= 1):
                problems.append(Problem("bad_rank", row_no, {"value": value}))
            else:
                rank = int(number)
        else:
            if not math.isfinite(number):
                problems.append(Problem("bad_score", row_no, {"value": value}))
            else:
                score = number
        rows.append(SourceRow(row_no, code, rank, score))
    if source == "town" and not problems:
        problems.extend(_check_complete(rows, ranked))
    return ([], kind, problems) if problems else (rows, kind, [])


def _check_complete(rows: list[SourceRow], ranked: dict[str, Ranked]) -> list[Problem]:
    present = {row.code for row in rows}
    towns = {ranked[code].town for code in present}
    problems = []
    for town in sorted(towns):
        missing = sorted(code for code, unit in ranked.items() if unit.town == town and unit.active
                         and code not in present)
        if missing:
            problems.append(Problem("town_incomplete", 0, {"town": town, "count": len(missing),
                                                          "codes": "、".join(missing)}))
    return problems
