"""The result export of CONTRACTS §3 as CSV, XLSX and JSON bytes, shared by `dudao ranking export` and the web."""

import json

from dudao.core.tables import write_csv, write_xlsx

EXPORT_COLUMNS = ["code", "name", "town_code", "composite", "position", "tier", "red_streak", "escalated", "p_town",
                  "p_inspection", "p_drone"]
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def cell_text(value) -> str:
    """A value as the sheets write it: empty for none, true/false, floats exactly (repr)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _cells(rows: list[dict]) -> list[list[str]]:
    return [[cell_text(row[column]) for column in EXPORT_COLUMNS] for row in rows]


def to_csv(rows: list[dict], bom: bool = False) -> bytes:
    """UTF-8 CSV; ``bom`` for downloads that Chinese Excel opens (the command line writes none)."""
    return write_csv(EXPORT_COLUMNS, _cells(rows), bom=bom)


def to_xlsx(rows: list[dict], sheet: str) -> bytes:
    return write_xlsx([(sheet, EXPORT_COLUMNS, _cells(rows))])


def to_json(rows: list[dict]) -> bytes:
    """A list of objects with the export's keys; numbers as numbers, booleans as booleans."""
    return json.dumps([{column: row[column] for column in EXPORT_COLUMNS} for row in rows], ensure_ascii=False,
                      indent=1).encode("utf-8")


def export(rows: list[dict], fmt: str, sheet: str, bom: bool = False) -> bytes:
    if fmt == "json":
        return to_json(rows)
    if fmt == "xlsx":
        return to_xlsx(rows, sheet)
    if fmt == "csv":
        return to_csv(rows, bom=bom)
    raise ValueError(fmt)
