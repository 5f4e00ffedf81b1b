"""Validating a people-and-posts sheet (pure: no Django imports).

One row per post: the person (name, phone) and optionally the post they hold (unit code, post, title, start
and end date). A person is identified by their mobile number. Rows without a unit only create or rename
the person.
"""

import datetime as dt
import re
from dataclasses import dataclass

from dudao.core.tables import Problem, Table, cell, column_index, text_problem

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "phone": ("phone", "手机号", "电话", "手机"),
    "unit_code": ("unit_code", "单位代码", "代码"),
    "unit_name": ("unit_name", "单位名称"),
    "role": ("role", "岗位"),
    "title": ("title", "职务"),
    "start_date": ("start_date", "开始日期", "任职日期"),
    "end_date": ("end_date", "结束日期", "离任日期"),
}
REQUIRED = ("name", "phone", "unit_code", "role", "start_date")
HEADERS_ZH = ["姓名", "手机号", "单位代码", "单位名称", "岗位", "职务", "开始日期", "结束日期"]
HEADERS_EN = ["name", "phone", "unit_code", "unit_name", "role", "title", "start_date", "end_date"]

ROLE_NAMES_ZH = {
    "county_leader": "县级领导",
    "town_head": "乡镇主要领导",
    "town_deputy": "乡镇分管领导",
    "village_liaison": "包村领导",
    "village_head": "村社区主要负责人",
    "group_leader": "村民小组长",
    "grid_leader": "网格长",
    "grid_worker": "网格员",
    "cleaner": "保洁员",
    "other": "其他",
}
ROLE_ALIASES = {**{code: code for code in ROLE_NAMES_ZH}, **{zh: code for code, zh in ROLE_NAMES_ZH.items()}}
PHONE_RE = re.compile(r"^1\d{10}$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class PostRow:
    row: int
    name: str
    phone: str
    unit_code: str
    role: str
    title: str
    start_date: dt.date | None
    end_date: dt.date | None


def normalise_phone(raw: str) -> str | None:
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+86") and len(digits) == 13:
        digits = digits[2:]
    return digits if PHONE_RE.match(digits) else None


def parse_date(raw: str) -> dt.date | None:
    text = raw.strip()
    if " " in text:
        text = text.split(" ")[0]
    if "T" in text:
        text = text.split("T")[0]
    if len(text) == 10 and text[4] == text[7] == "-" and text.isascii() and text.replace("-", "").isdigit():
        try:  # the export's own form, parsed without strptime (a province's sheets have 80,000 rows)
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(raw) from None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def unit_codes(table: Table) -> set[str]:
    """The unit codes the sheet names (to look up only those units before parse_people checks the rows)."""
    index, _problems = column_index(table.header, COLUMNS)
    if "unit_code" not in index:
        return set()
    return {code for _row, raw in table.rows if (code := cell(raw, index, "unit_code"))}


def parse_people(table: Table, known_units: set[str]) -> tuple[list[PostRow], list[Problem]]:
    """Validated rows or every problem. ``known_units``: the codes the importer may assign posts at."""
    index, problems = column_index(table.header, COLUMNS)
    for key in REQUIRED:
        if key not in index:
            problems.append(Problem("missing_column", 1, {"column": f"{key} / {COLUMNS[key][1]}"}))
    if problems:
        return [], problems
    rows: list[PostRow] = []
    names_by_phone: dict[str, tuple[str, int]] = {}
    post_rows: dict[tuple[str, str, str, dt.date], int] = {}
    for row_no, raw in table.rows:
        before = len(problems)
        name = cell(raw, index, "name")
        phone_raw = cell(raw, index, "phone")
        unit_code = cell(raw, index, "unit_code")
        role_raw = cell(raw, index, "role")
        title = cell(raw, index, "title")
        if not name:
            problems.append(Problem("required", row_no, {"column": "name_person"}))
        elif (bad_text := text_problem(name, "name_person", row_no, 50)) is not None:
            problems.append(bad_text)
        if title and (bad_title := text_problem(title, "title", row_no, 50)) is not None:
            problems.append(bad_title)
        phone = normalise_phone(phone_raw)
        if phone is None:
            problems.append(Problem("bad_phone", row_no, {"value": phone_raw}))
        elif name:
            seen = names_by_phone.setdefault(phone, (name, row_no))
            if seen[0] != name:
                problems.append(Problem("phone_conflict", row_no, {"phone": phone, "a": seen[0], "b": name}))
        role = ROLE_ALIASES.get(role_raw.strip(), "") if role_raw else ""
        if role_raw and not role:
            problems.append(Problem("bad_role", row_no, {"value": role_raw}))
        if bool(unit_code) != bool(role_raw):
            problems.append(Problem("role_needs_unit", row_no))
        elif unit_code and unit_code not in known_units:
            problems.append(Problem("unknown_unit", row_no, {"code": unit_code}))
        dates: dict[str, dt.date | None] = {"start_date": None, "end_date": None}
        for key in dates:
            raw_date = cell(raw, index, key)
            if not raw_date:
                continue
            try:
                dates[key] = parse_date(raw_date)
            except ValueError:
                problems.append(Problem("bad_date", row_no, {"column": key, "value": raw_date}))
        if unit_code and dates["start_date"] is None and not cell(raw, index, "start_date"):
            problems.append(Problem("required", row_no, {"column": "start_date"}))
        start, end = dates["start_date"], dates["end_date"]
        if start and end and end < start:
            problems.append(Problem("dates_reversed", row_no))
        if len(problems) == before and unit_code and phone and start:
            post_key = (phone, unit_code, role, start)
            if post_key in post_rows:
                problems.append(Problem("duplicate_post", row_no, {"first": post_rows[post_key]}))
            post_rows.setdefault(post_key, row_no)
        if len(problems) == before:
            rows.append(PostRow(row_no, name, phone or "", unit_code, role, title, start, end))
    return ([], problems) if problems else (rows, [])
