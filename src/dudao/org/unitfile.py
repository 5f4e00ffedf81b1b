"""Validating a units file against the units already stored (pure: no Django imports).

CONTRACTS §2: columns code/代码, name/名称, level/层级, parent_code/上级代码, optional official_name/全称 and a
point as lon_gcj02,lat_gcj02 or lon_wgs84,lat_wgs84. Dudao adds active/启用, point_synthetic/合成坐标 and
description/区域描述 (a grid's area in words: its streets and households).
"""

import math
import re
from dataclasses import dataclass

from dudao.core.tables import Problem, Table, cell, column_index, text_problem

CODE_RE = re.compile(r"^\d{12}$")

LEVELS = ("county", "town", "village", "community", "group", "grid")
LEVEL_ALIASES = {
    "county": "county", "县": "county", "区县": "county", "县级": "county",
    "town": "town", "township": "town", "乡镇": "town", "镇": "town", "乡": "town", "街道": "town",
    "village": "village", "村": "village", "行政村": "village",
    "community": "community", "社区": "community",
    "group": "group", "组": "group", "村民小组": "group", "村组": "group",
    "grid": "grid", "网格": "grid",
}
LEVEL_ZH = {"county": "县", "town": "乡镇", "village": "村", "community": "社区", "group": "组", "grid": "网格"}
# Which levels a unit of each level may hang under. The county's parent may lie outside the campaign.
ALLOWED_PARENTS = {
    "county": None,
    "town": {"county"},
    "village": {"town"},
    "community": {"town"},
    "group": {"village", "community"},
    # A grid lies inside one village: under the village (or community) or one of its villager groups.
    "grid": {"village", "community", "group"},
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "代码"),
    "name": ("name", "名称"),
    "level": ("level", "层级"),
    "parent_code": ("parent_code", "上级代码"),
    "official_name": ("official_name", "全称"),
    "lon_gcj02": ("lon_gcj02",),
    "lat_gcj02": ("lat_gcj02",),
    "lon_wgs84": ("lon_wgs84",),
    "lat_wgs84": ("lat_wgs84",),
    "active": ("active", "启用"),
    "point_synthetic": ("point_synthetic", "合成坐标"),
    "description": ("description", "区域描述"),
}
REQUIRED = ("code", "name", "level", "parent_code")
HEADERS_EN = list(COLUMNS)
HEADERS_ZH = ["代码", "名称", "层级", "上级代码", "全称", "lon_gcj02", "lat_gcj02", "lon_wgs84", "lat_wgs84",
              "启用", "合成坐标", "区域描述"]
TRUE_WORDS = {"1", "true", "yes", "y", "是", "启用", "active"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "停用", "inactive"}


@dataclass(frozen=True)
class Existing:
    code: str
    level: str
    parent_code: str  # "" when the parent is outside the campaign


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    level: str
    parent_code: str
    official_name: str | None  # None: column absent, keep what is stored
    lon: float | None
    lat: float | None
    datum: str  # "" when the row carries no point
    point_given: bool  # whether the file has point columns at all
    active: bool | None
    point_synthetic: bool | None
    description: str | None = None  # None: column absent, keep what is stored


def _parse_flag(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(raw)


def _parse_point(row_no: int, lon_raw: str, lat_raw: str, datum: str, problems: list[Problem]):
    if not lon_raw and not lat_raw:
        return None
    if not lon_raw or not lat_raw:
        problems.append(Problem("point_incomplete", row_no, {"datum": datum}))
        return None
    try:
        lon, lat = float(lon_raw), float(lat_raw)
    except ValueError:
        problems.append(Problem("point_not_number", row_no, {"value": lon_raw if _bad(lon_raw) else lat_raw}))
        return None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(Problem("point_out_of_range", row_no, {"lon": lon_raw, "lat": lat_raw}))
        return None
    return lon, lat


def _bad(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return True
    return False


def parse_units(table: Table, existing: dict[str, Existing]) -> tuple[list[UnitRow], list[Problem]]:
    """The validated rows, or every problem found (then nothing may be written)."""
    index, problems = column_index(table.header, COLUMNS)
    for key in REQUIRED:
        if key not in index:
            problems.append(Problem("missing_column", 1, {"column": f"{key} / {COLUMNS[key][1]}"}))
    has_gcj = "lon_gcj02" in index or "lat_gcj02" in index
    has_wgs = "lon_wgs84" in index or "lat_wgs84" in index
    for datum, present in (("gcj02", has_gcj), ("wgs84", has_wgs)):
        if present and not ({f"lon_{datum}", f"lat_{datum}"} <= index.keys()):
            problems.append(Problem("missing_column", 1, {"column": f"lon_{datum} / lat_{datum}"}))
    if problems:
        return [], problems

    rows: list[UnitRow] = []
    first_row: dict[str, int] = {}
    for row_no, raw in table.rows:
        count_before = len(problems)
        code = cell(raw, index, "code")
        name = cell(raw, index, "name")
        level_raw = cell(raw, index, "level")
        parent_code = cell(raw, index, "parent_code")
        if not CODE_RE.match(code):
            problems.append(Problem("bad_code", row_no, {"column": "code", "value": code}))
        elif code in first_row:
            problems.append(Problem("duplicate_code", row_no, {"code": code, "first": first_row[code]}))
        else:
            first_row[code] = row_no
        if not name:
            problems.append(Problem("required", row_no, {"column": "name"}))
        elif (bad_text := text_problem(name, "name", row_no, 100)) is not None:
            problems.append(bad_text)
        level = LEVEL_ALIASES.get(level_raw.strip().lower(), "")
        if not level:
            problems.append(Problem("bad_level", row_no, {"value": level_raw}))
        if parent_code and not CODE_RE.match(parent_code):
            problems.append(Problem("bad_code", row_no, {"column": "parent_code", "value": parent_code}))
        elif not parent_code and level and level != "county":
            problems.append(Problem("required", row_no, {"column": "parent_code"}))
        elif parent_code and parent_code == code:
            problems.append(Problem("cycle", row_no, {"code": code}))
        point = None
        datum = ""
        gcj = _parse_point(row_no, cell(raw, index, "lon_gcj02"), cell(raw, index, "lat_gcj02"), "gcj02", problems)
        wgs = _parse_point(row_no, cell(raw, index, "lon_wgs84"), cell(raw, index, "lat_wgs84"), "wgs84", problems)
        if gcj and wgs:
            problems.append(Problem("two_datums", row_no))
        elif gcj or wgs:
            point, datum = (gcj, "gcj02") if gcj else (wgs, "wgs84")
        flags: dict[str, bool | None] = {}
        for key in ("active", "point_synthetic"):
            raw_flag = cell(raw, index, key)
            if key not in index or not raw_flag:
                flags[key] = None
                continue
            try:
                flags[key] = _parse_flag(raw_flag)
            except ValueError:
                problems.append(Problem("bad_flag", row_no, {"column": key, "value": raw_flag}))
        official = cell(raw, index, "official_name") if "official_name" in index else None
        if official and (bad_text := text_problem(official, "official_name", row_no, 200)) is not None:
            problems.append(bad_text)
        description = cell(raw, index, "description") if "description" in index else None
        if description and (bad_text := text_problem(description, "description", row_no, 500)) is not None:
            problems.append(bad_text)
        if len(problems) == count_before:
            rows.append(UnitRow(
                row=row_no, code=code, name=name, level=level, parent_code=parent_code, official_name=official,
                lon=point[0] if point else None, lat=point[1] if point else None, datum=datum,
                point_given=has_gcj or has_wgs, active=flags["active"], point_synthetic=flags["point_synthetic"],
                description=description,
            ))
    # Check the tree among the rows that passed, so that one upload reports every problem; codes of refused
    # rows still count as present so that their children are not reported as orphans.
    problems.extend(_check_tree(rows, existing, set(first_row)))
    problems.sort(key=lambda p: p.row)
    return ([], problems) if problems else (rows, [])


def _check_tree(rows: list[UnitRow], existing: dict[str, Existing], in_file: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    merged: dict[str, tuple[str, str]] = {code: (e.level, e.parent_code) for code, e in existing.items()}
    for row in rows:
        merged[row.code] = (row.level, row.parent_code)
    by_code = {row.code: row for row in rows}
    for row in rows:
        allowed = ALLOWED_PARENTS[row.level]
        parent = merged.get(row.parent_code)
        if allowed is None:
            if parent is not None or row.parent_code in in_file:
                problems.append(Problem("county_parent_inside", row.row, {"code": row.parent_code}))
            continue
        if parent is None:
            if row.parent_code not in in_file:
                problems.append(Problem("unknown_parent", row.row, {"code": row.parent_code}))
        elif parent[0] not in allowed:
            problems.append(Problem("bad_parent_level", row.row, {
                "level": row.level, "parent": row.parent_code, "parent_level": parent[0]}))
    # A level change must still suit the stored children that the file does not mention.
    children: dict[str, list[str]] = {}
    for code, (_level, parent_code) in merged.items():
        children.setdefault(parent_code, []).append(code)
    for row in rows:
        old = existing.get(row.code)
        if old is None or old.level == row.level:
            continue
        for child in children.get(row.code, []):
            if child in by_code:
                continue
            allowed = ALLOWED_PARENTS[merged[child][0]]
            if allowed is not None and row.level not in allowed:
                problems.append(Problem("level_breaks_child", row.row, {"child": child, "level": row.level}))
    # Cycles: follow parents from every row; a walk that comes back to a code it has seen is a cycle.
    reported: set[str] = set()
    for row in rows:
        seen: list[str] = []
        code = row.code
        while code in merged and code not in seen:
            seen.append(code)
            code = merged[code][1]
        if code in seen and code not in reported:
            loop = seen[seen.index(code):]
            reported.update(loop)
            first = min((by_code[c].row for c in loop if c in by_code), default=row.row)
            problems.append(Problem("cycle", first, {"code": " → ".join(loop + [code])}))
    return problems


def export_rows(units: list[dict], chinese: bool = False) -> tuple[list[str], list[list[str]]]:
    """Header and rows for export; ``units`` are dicts with the model's fields and parent_code."""
    header = HEADERS_ZH if chinese else HEADERS_EN
    rows = []
    for u in units:
        gcj = u["point_datum"] == "gcj02"
        wgs = u["point_datum"] == "wgs84"
        rows.append([
            u["code"], u["name"], LEVEL_ZH[u["level"]] if chinese else u["level"], u["parent_code"],
            u["official_name"],
            _num(u["lon"]) if gcj else "", _num(u["lat"]) if gcj else "",
            _num(u["lon"]) if wgs else "", _num(u["lat"]) if wgs else "",
            ("是" if u["active"] else "否") if chinese else ("yes" if u["active"] else "no"),
            ("是" if u["point_synthetic"] else "否") if chinese else ("yes" if u["point_synthetic"] else "no"),
            u["description"],
        ])
    return header, rows


def _num(value: float | None) -> str:
    return "" if value is None else repr(float(value))
