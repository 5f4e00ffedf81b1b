"""An XLSX's unzipped size is bounded (issue 17, decision 0021): a small file whose sheet XML or shared strings
unpack to hundreds of MB is refused before openpyxl parses it, by the members' declared sizes and compression
ratio and by counting the bytes really unpacked (a member may declare a size far below what it holds). Every
bomb is made here, a few hundred KB on disk."""

import io
import struct
import zipfile

import pytest
from django.utils import translation

from dudao.core import tables
from dudao.core.messages import describe
from dudao.core.tables import TableRefused, read_table, write_xlsx

TOO_LARGE = "The file unpacks to more than 200 MB; an XLSX sheet may unpack to at most 200 MB."
RATIO = "The file is packed more than 200 times over, as no real sheet is; it is refused as a possible zip bomb."
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def _real_xlsx() -> bytes:
    return write_xlsx([("units", ["code", "name"], [["620423103200", "大水䃎村"]])])


def _with_member(name: str, head: bytes, filler: bytes, repeat: int, tail: bytes) -> bytes:
    """The real workbook with one member replaced by head + filler × repeat + tail, written in a stream (the
    unpacked member never exists in memory)."""
    source = zipfile.ZipFile(io.BytesIO(_real_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and name not in source.namelist():  # openpyxl reads it
                content = content.replace(b"</Types>", f'<Override PartName="/{name}" ContentType="application/'
                                          f'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                                          f'</Types>'.encode())
            if info.filename != name:
                target.writestr(info.filename, content)
        packed = zipfile.ZipInfo(name)
        packed.compress_type = zipfile.ZIP_DEFLATED
        with target.open(packed, "w") as member:
            member.write(head)
            for _ in range(repeat):
                member.write(filler)
            member.write(tail)
    return out.getvalue()


def _huge_sheet() -> bytes:
    """A sheet whose XML unpacks to 210 MB: its one row padded with whitespace, which XML allows."""
    return _with_member(SHEET, b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData><row r="1">', b" " * 1024 * 1024, 210,
                        b'<c r="A1" t="inlineStr"><is><t>code</t></is></c></row></sheetData></worksheet>')


def _lying(data: bytes, name: str, declared: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten as ``declared`` in its local header and in the central
    directory, as a bomb maker would: what it holds stays."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, declared)
    central = patched.rfind(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", patched, central + 28)[0]
        if bytes(patched[central + 46: central + 46 + length]) == name.encode():
            struct.pack_into("<I", patched, central + 24, declared)
            return bytes(patched)
        central = patched.rfind(b"PK\x01\x02", 0, central)
    raise AssertionError(f"{name} not in the central directory")


@pytest.fixture
def parsing(monkeypatch) -> list[int]:
    """Counts the workbooks openpyxl is asked to parse."""
    import openpyxl

    calls: list[int] = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def refusal(data: bytes) -> str:
    with pytest.raises(TableRefused) as refused, translation.override("en"):
        read_table(data, "units.xlsx")
    with translation.override("en"):
        return " ".join(describe(p) for p in refused.value.problems)


def test_a_real_sheet_still_reads(parsing):
    table = read_table(_real_xlsx(), "units.xlsx")
    assert (table.header, table.rows) == (["code", "name"], [(2, ["620423103200", "大水䃎村"])])
    assert parsing == [1]


def test_a_sheet_that_unpacks_to_210_mb_is_refused_before_parsing(parsing):
    bomb = _huge_sheet()
    assert len(bomb) < 1024 * 1024
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo(SHEET).file_size > 210 * 1024 * 1024
    assert refusal(bomb) == TOO_LARGE
    assert parsing == []


def test_a_bomb_that_declares_a_small_size_is_caught_by_counting(parsing):
    bomb = _lying(_huge_sheet(), SHEET, 4096)
    assert zipfile.ZipFile(io.BytesIO(bomb)).getinfo(SHEET).file_size == 4096  # it claims 4 KB
    assert refusal(bomb) == TOO_LARGE
    assert parsing == []


def test_shared_strings_packed_a_thousand_times_over_are_refused(parsing):
    bomb = _with_member(STRINGS, b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><si><t>', b"a" * 1024 * 1024, 20, b"</t></si></sst>")
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo(STRINGS)
    assert info.file_size < tables.MAX_UNZIPPED_BYTES
    assert info.file_size > 200 * info.compress_size
    assert refusal(bomb) == RATIO
    assert parsing == []


def test_a_ratio_that_lies_is_caught_by_counting(parsing):
    bomb = _with_member(STRINGS, b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><si><t>', b"a" * 1024 * 1024, 20, b"</t></si></sst>")
    assert refusal(_lying(bomb, STRINGS, 1000)) == RATIO
    assert parsing == []
