"""Reading the CSV and XLSX sheets that office staff upload (pure: no Django imports).

A sheet becomes a header and numbered rows of strings; row numbers are what Excel shows (the header is
row 1). Problems are reported as ``Problem`` values with a message code and parameters so that the
caller can translate them.
"""

import csv
import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a file: a message code, its parameters, and where (row 0 = whole file)."""

    code: str
    row: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    where: str = "row"  # what ``row`` numbers: a sheet's "row", or a GeoJSON file's "feature"


class TableRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str  # "utf-8", "gb18030" or "xlsx"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def decode_text(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise TableRefused([Problem("encoding")])
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableRefused([Problem("encoding")]) from None
    if not plausible_chinese(text):
        raise TableRefused([Problem("encoding")])
    return text, "gb18030"


def plausible_chinese(text: str) -> bool:
    """GB18030 decodes nearly any bytes: a file in another encoding (Big5, Shift-JIS) comes out as rare characters.
    Text is plausible when few of its non-ASCII characters fall outside GB2312's common set (a rare name such as
    大水䃎村's is one character among many)."""
    wide = [c for c in text if ord(c) > 0x7F]
    rare = 0
    for c in wide:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    return rare < 4 or rare <= len(wide) // 4


def _trim(rows: Iterable[list[str]], max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the numbered non-blank rows. Reading stops at the first row past ``max_rows`` below the
    header, blank rows included: a sheet can declare a million empty rows, and each one costs a read."""
    header: list[str] | None = None
    header_row = 0
    numbered: list[tuple[int, list[str]]] = []
    for number, row in enumerate(rows, start=1):
        if header is not None and number - header_row > max_rows:
            raise TableRefused([Problem("too_many_rows", params={"max": max_rows})])
        cells = [cell.strip() for cell in row]
        if header is None:
            if not any(cells):
                continue
            header = cells
            header_row = number
            continue
        if any(cells):
            numbered.append((number, cells))
    if header is None:
        raise TableRefused([Problem("empty")])
    if not numbered:
        raise TableRefused([Problem("no_rows", header_row)])
    return header, numbered


MAX_BYTES = 20 * 1024 * 1024
# Rows below the header: a province's units with their groups and grids fit; a million-row sheet is refused after
# reading this many, not after all of them. Callers that expect fewer (a week's ranking source) pass less.
MAX_ROWS = 100_000
# Columns read from an XLSX row: far more than any file Dudao reads has; a sheet that declares 16,384 columns
# would otherwise make every row that wide.
MAX_COLUMNS = 200


def read_table(data: bytes, filename: str = "", max_bytes: int = MAX_BYTES, max_rows: int | None = None) -> Table:
    """Read an uploaded sheet. Refuses files larger than ``max_bytes``, sheets with more than ``max_rows`` rows
    below the header (default MAX_ROWS; reading stops there), files that are neither CSV nor XLSX, and empty
    ones."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if len(data) > max_bytes:
        raise TableRefused([Problem("too_large", params={"max": max_bytes // (1024 * 1024)})])
    if not data.strip():
        raise TableRefused([Problem("empty")])
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_rows)
    if data.startswith(OLE_MAGIC) or filename.lower().endswith((".xls", ".xlsx")):
        raise TableRefused([Problem("not_a_sheet", params={"name": filename})])
    text, encoding = decode_text(data)
    if not text.strip():
        raise TableRefused([Problem("empty")])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        header, rows = _trim(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), max_rows)
    except csv.Error as exc:
        raise TableRefused([Problem("bad_csv", params={"detail": str(exc)})]) from None
    return Table(header, rows, encoding)


# A zip bomb (a small XLSX whose sheet XML or shared strings unpack to gigabytes) is refused before openpyxl reads
# it: the members' declared sizes and compression ratio are checked, then every member is inflated once while its
# bytes are counted, from its local header, without trusting any declared size (decision 0021).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # all members together, unpacked
MAX_ZIP_RATIO = 200  # unpacked / packed, for members larger than RATIO_FREE_BYTES
RATIO_FREE_BYTES = 1024 * 1024
_INFLATE_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, name length, extra length (30 bytes)


def _unzipped_limit(total: int, size: int, packed: int) -> Problem | None:
    if total > MAX_UNZIPPED_BYTES:
        return Problem("unzipped_too_large", params={"max": MAX_UNZIPPED_BYTES // (1024 * 1024)})
    if size > RATIO_FREE_BYTES and size > MAX_ZIP_RATIO * max(packed, 1):
        return Problem("zip_ratio", params={"max": MAX_ZIP_RATIO})
    return None


def _inflated_size(data: bytes, info: zipfile.ZipInfo, budget: int) -> tuple[int, int]:
    """(bytes a member really unpacks to, bytes of it packed), counted by inflating it from its local header;
    counting stops once past ``budget``."""
    offset = info.header_offset
    signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, offset)
    if signature != XLSX_MAGIC:
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})])
    start = offset + _LOCAL_HEADER.size + name_length + extra_length
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size, info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})])
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, position = 0, start
    try:
        while not inflater.eof and size <= budget:
            chunk = inflater.unconsumed_tail
            if not chunk:
                chunk = data[position: position + _INFLATE_CHUNK]
                if not chunk:
                    break  # cut short: openpyxl will call it damaged
                position += len(chunk)
            size += len(inflater.decompress(chunk, _INFLATE_CHUNK))
    except zlib.error:
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})]) from None
    return size, position - start - len(inflater.unused_data) - len(inflater.unconsumed_tail)


def check_unzipped(data: bytes) -> None:
    """Refuse a zip (an XLSX) that unpacks to more than MAX_UNZIPPED_BYTES or packs a large member more than
    MAX_ZIP_RATIO times: by what its members declare, then by counting what they really unpack to."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})]) from None
    total = 0
    for info in members:
        total += info.file_size
        problem = _unzipped_limit(total, info.file_size, info.compress_size)
        if problem is not None:
            raise TableRefused([problem])
    total = 0
    for info in members:
        try:
            size, packed = _inflated_size(data, info, MAX_UNZIPPED_BYTES - total)
        except struct.error:
            raise TableRefused([Problem("not_a_sheet", params={"name": ""})]) from None
        total += size
        problem = _unzipped_limit(total, size, packed)
        if problem is not None:
            raise TableRefused([problem])


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from xml.etree.ElementTree import ParseError

    from openpyxl import load_workbook

    check_unzipped(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError):
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})]) from None
    try:
        sheet = workbook.worksheets[0]
        # A generator, so that the sheet is parsed only as far as _trim reads it (read-only mode streams the XML).
        # The sheet's declared size is the writer's claim: its width bounds the columns read, but its height is
        # dropped so that rows it merely declares are not made up and read (only rows the file holds count).
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        sheet.reset_dimensions()
        values = sheet.iter_rows(values_only=True, max_col=width)
        header, rows = _trim(([_cell_text(v) for v in row] for row in values), max_rows)
    except ParseError:  # XML that is not well formed, an entity expanded too far or never declared (no XXE)
        raise TableRefused([Problem("not_a_sheet", params={"name": ""})]) from None
    finally:
        workbook.close()
    return Table(header, rows, "xlsx")


FORMULA_START = ("=", "+", "-", "@")


def text_problem(value: str, column: str, row: int, max_length: int) -> Problem | None:
    """Why a free-text cell (a name, a title) cannot be stored, or None: control characters break Excel files,
    and a leading = + - @ would turn into a live formula when the text is exported to Excel."""
    if len(value) > max_length:
        return Problem("too_long", row, {"column": column, "max": max_length})
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        return Problem("control_character", row, {"column": column})
    if value.startswith(FORMULA_START):
        return Problem("formula_start", row, {"column": column})
    return None


def csv_safe_text(value: str) -> str:
    """A text cell for a CSV export: a leading = + - @ (or a tab or carriage return, which Excel skips before
    reading one) would be a live formula once Excel opens the file, so it gets an apostrophe; a plain number such
    as -3.5 stays a number. write_csv applies it to every cell (XLSX exports need none: write_xlsx keeps every
    cell text)."""
    if not value.startswith(FORMULA_START + ("\t", "\r")):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def column_index(header: list[str], aliases: dict[str, tuple[str, ...]]) -> tuple[dict[str, int], list[Problem]]:
    """Map each field to its column by any of its names (English or Chinese, case-insensitive)."""
    lowered = [name.strip().lower() for name in header]
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for key, names in aliases.items():
        hits = [i for i, name in enumerate(lowered) if name in {n.lower() for n in names}]
        if len(hits) > 1:
            problems.append(Problem("duplicate_column", 1, {"column": header[hits[0]]}))
        elif hits:
            found[key] = hits[0]
    return found, problems


def cell(row: list[str], index: dict[str, int], key: str) -> str:
    position = index.get(key)
    if position is None or position >= len(row):
        return ""
    return row[position]


def write_csv(header: list[str], rows: Iterable[list[str]], encoding: str = "utf-8", bom: bool = True) -> bytes:
    """CSV bytes, every text cell safe from formula injection (csv_safe_text). UTF-8 gets a BOM (Chinese
    Excel needs it to open the file correctly) unless ``bom`` is off,
    as it is for the command line, whose output scripts read."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe_text(name) for name in header])
    writer.writerows([csv_safe_text(value) if isinstance(value, str) else value for value in row] for row in rows)
    text = buffer.getvalue()
    if encoding == "gb18030":
        return text.encode("gb18030")
    return text.encode("utf-8-sig" if bom else "utf-8")


def write_xlsx(sheets: list[tuple[str, list[str], list[list[str]]]]) -> bytes:
    """An XLSX workbook; every cell is written as text so that codes keep their leading digits."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for cell_ in sheet[1]:
            cell_.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for row_cells in sheet.iter_rows(min_row=2):
            for cell_ in row_cells:
                cell_.number_format = "@"
                if cell_.data_type == "f":
                    # Text that merely looks like a formula stays text: never a live formula in an export.
                    cell_.data_type = "s"
        for column, name in enumerate(header, start=1):
            width = max([len(name.encode("gb18030"))] + [len(str(r[column - 1]).encode("gb18030")) for r in rows[:200]])
            sheet.column_dimensions[sheet.cell(1, column).column_letter].width = min(max(width + 2, 8), 50)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
