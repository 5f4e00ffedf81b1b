"""The actions file of the battle map (作战图), CONTRACTS §5 (pure: no Django imports).

Columns no/序号, name/名称, lead/牵头单位, support/配合单位, target/目标, target_value/目标值, target_unit/计量单位,
start/开始日期, deadline/完成时限, towns/涉及乡镇; Dudao adds milestones/时间节点 ("2026-03-31 摸底排查;2026-04-30
完成拆除"). Rows are validated against the departments and townships given; every problem is reported with its row.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from dudao.core.tables import Problem, Table, cell, column_index, text_problem

COLUMNS: dict[str, tuple[str, ...]] = {
    "no": ("no", "序号"),
    "name": ("name", "名称"),
    "lead": ("lead", "牵头单位"),
    "support": ("support", "配合单位"),
    "target": ("target", "目标"),
    "target_value": ("target_value", "目标值"),
    "target_unit": ("target_unit", "计量单位"),
    "start": ("start", "开始日期"),
    "deadline": ("deadline", "完成时限"),
    "towns": ("towns", "涉及乡镇"),
    "milestones": ("milestones", "时间节点"),
}
REQUIRED = ("no", "name", "lead", "start", "deadline", "towns")
HEADERS_EN = list(COLUMNS)
HEADERS_ZH = [names[1] for names in COLUMNS.values()]
ALL_WORDS = {"全部", "all", "全县", "各乡镇"}
ALL_EXPORT = "全部"
LIST_SPLIT = re.compile(r"[;；、]")
NO_RE = re.compile(r"^0*[1-9]\d{0,5}$", re.ASCII)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MILESTONE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+)$")
NAME_MAX = 100
TARGET_MAX = 500
UNIT_MAX = 20
MILESTONE_MAX = 100
DEPARTMENT_MAX = 50
VALUE_MAX = Decimal("999999999999")


@dataclass
class ActionRow:
    row: int
    no: int
    name: str
    lead: str  # a department's name as stored (or as it will be created)
    support: list[str]
    target: str
    target_value: Decimal | None
    target_unit: str
    start: dt.date
    deadline: dt.date
    towns: list[str] | None  # township codes; None: all townships
    milestones: list[tuple[dt.date, str]] = field(default_factory=list)


def split_list(raw: str) -> list[str]:
    return [part.strip() for part in LIST_SPLIT.split(raw) if part.strip()]


def number_text(value: Decimal | None) -> str:
    """A target value as the file shows it: 120, 12.5 (no trailing zeros, never an exponent)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_value(raw: str) -> Decimal | None:
    """A target value: a finite number ≥ 0 with at most two decimals; ValueError otherwise."""
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or value < 0 or value > VALUE_MAX or value != value.quantize(Decimal("0.01")):
        raise ValueError(raw)
    return value


def _date(raw: str, column: str, row: int, problems: list[Problem]) -> dt.date | None:
    if not raw:
        problems.append(Problem("required", row, {"column": column}))
        return None
    try:
        if not DATE_RE.match(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        problems.append(Problem("bad_date", row, {"column": column, "value": raw}))
        return None


def _text(raw: str, column: str, row: int, maximum: int, problems: list[Problem]) -> None:
    if raw and (bad := text_problem(raw, column, row, maximum)) is not None:
        problems.append(bad)


def parse_actions(table: Table, departments: set[str], towns: dict[str, str],
                  create_departments: bool = False) -> tuple[list[ActionRow], list[Problem], list[str]]:
    """The validated rows, every problem found, and the departments the file names that do not exist yet (to be
    created with ``create_departments``; otherwise each is a row's problem). ``towns`` maps a township's name and
    its code to its code."""
    index, problems = column_index(table.header, COLUMNS)
    for key in REQUIRED:
        if key not in index:
            problems.append(Problem("missing_column", 1, {"column": f"{key} / {COLUMNS[key][1]}"}))
    if problems:
        return [], problems, []
    rows: list[ActionRow] = []
    first_row: dict[int, int] = {}
    new_departments: list[str] = []
    for row_no, raw in table.rows:
        before = len(problems)
        no_raw = cell(raw, index, "no")
        no = int(no_raw) if NO_RE.match(no_raw) else 0
        if not no:
            problems.append(Problem("bad_action_no", row_no, {"value": no_raw}))
        elif no in first_row:
            problems.append(Problem("duplicate_action_no", row_no, {"no": no, "first": first_row[no]}))
        else:
            first_row[no] = row_no
        name = cell(raw, index, "name")
        if not name:
            problems.append(Problem("required", row_no, {"column": "name"}))
        _text(name, "name", row_no, NAME_MAX, problems)
        lead = cell(raw, index, "lead")
        support = split_list(cell(raw, index, "support"))
        if not lead:
            problems.append(Problem("required", row_no, {"column": "lead"}))
        for department in ([lead] if lead else []) + support:
            _text(department, "lead" if department == lead else "support", row_no, DEPARTMENT_MAX, problems)
            if department in departments:
                continue
            if create_departments:
                if department not in new_departments:
                    new_departments.append(department)
            else:
                problems.append(Problem("unknown_department", row_no, {"name": department}))
        target = cell(raw, index, "target")
        _text(target, "target", row_no, TARGET_MAX, problems)
        value_raw = cell(raw, index, "target_value")
        unit = cell(raw, index, "target_unit")
        value = None
        if value_raw:
            try:
                value = parse_value(value_raw)
            except ValueError:
                problems.append(Problem("bad_target_value", row_no, {"value": value_raw}))
            if not unit:
                problems.append(Problem("target_unit_required", row_no, {"value": value_raw}))
        _text(unit, "target_unit", row_no, UNIT_MAX, problems)
        start = _date(cell(raw, index, "start"), "start", row_no, problems)
        deadline = _date(cell(raw, index, "deadline"), "deadline", row_no, problems)
        if start and deadline and deadline < start:
            problems.append(Problem("deadline_before_start", row_no, {"start": start.isoformat(),
                                                                     "deadline": deadline.isoformat()}))
        towns_raw = split_list(cell(raw, index, "towns"))
        codes: list[str] | None = []
        if not towns_raw:
            problems.append(Problem("required", row_no, {"column": "towns"}))
        elif len(towns_raw) == 1 and towns_raw[0].lower() in ALL_WORDS:
            codes = None
        else:
            for town in towns_raw:
                code = towns.get(town)
                if code is None:
                    problems.append(Problem("unknown_town", row_no, {"name": town}))
                elif codes is not None and code not in codes:
                    codes.append(code)
        milestones: list[tuple[dt.date, str]] = []
        for part in split_list(cell(raw, index, "milestones")):
            match = MILESTONE_RE.match(part)
            day = None
            if match:
                try:
                    day = dt.date.fromisoformat(match.group(1))
                except ValueError:
                    day = None
            if match is None or day is None:
                problems.append(Problem("bad_milestone", row_no, {"value": part}))
                continue
            text = match.group(2).strip()
            _text(text, "milestones", row_no, MILESTONE_MAX, problems)
            if start and deadline and not start <= day <= deadline:
                problems.append(Problem("milestone_outside", row_no, {"value": part}))
            milestones.append((day, text))
        if len(problems) == before and start and deadline:
            rows.append(ActionRow(row=row_no, no=no, name=name, lead=lead, support=support, target=target,
                                  target_value=value, target_unit=unit, start=start, deadline=deadline, towns=codes,
                                  milestones=sorted(milestones)))
    problems.sort(key=lambda p: p.row)
    return ([], problems, []) if problems else (rows, [], new_departments)


def export_row(*, no: int, name: str, lead: str, support: list[str], target: str, target_value: Decimal | None,
               target_unit: str, start: dt.date, deadline: dt.date, towns: list[str] | None,
               milestones: list[tuple[dt.date, str]]) -> list[str]:
    """One action as a row of the file: supports joined by ;, towns as names joined by ; or 全部 when all."""
    return [str(no), name, lead, ";".join(support), target, number_text(target_value), target_unit,
            start.isoformat(), deadline.isoformat(), ALL_EXPORT if towns is None else ";".join(towns),
            ";".join(f"{day.isoformat()} {text}" for day, text in milestones)]
