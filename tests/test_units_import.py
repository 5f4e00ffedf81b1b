"""dudao.org.services.units_import and the units file contract (CONTRACTS §2)."""

import csv
import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.core import tables
from dudao.core.messages import describe_with_row
from dudao.core.tables import TableRefused, read_table, write_xlsx
from dudao.org.models import Post, Unit
from dudao.org.services import units_export_rows, units_import

HEADER = "code,name,level,parent_code\n"


def run(text: str | bytes, filename: str = "units.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return units_import(actor=SYSTEM, data=data, filename=filename)


def messages(report) -> list[str]:
    with translation.override("en"):
        return [describe_with_row(p) for p in report.problems]


def test_jingtai_file_gives_163_units(empty_org, jingtai_csv):
    report = run(jingtai_csv)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 163, 0, 0)
    assert Unit.objects.count() == 163
    assert dict((lvl, Unit.objects.filter(level=lvl).count()) for lvl in ("county", "town", "village", "community")) \
        == {"county": 1, "town": 11, "village": 135, "community": 16}
    village = Unit.objects.get(code="620423103200")
    assert (village.name, village.parent.code, village.path) == (
        "大水䃎村", "620423103000", "620423000000/620423103000/620423103200/")
    assert (village.initials, village.pinyin) == ("dszc", "dashuizhacun")
    county = Unit.objects.get(code="620423000000")
    assert (county.parent, county.external_parent_code, county.lon, county.lat, county.point_datum) == (
        None, "620400000000", 104.063091, 37.183804, "gcj02")
    assert AuditEvent.objects.filter(action="unit.create").count() == 163


def test_reimport_is_unchanged_and_writes_no_events(empty_org, jingtai_csv):
    assert run(jingtai_csv).ok
    before = AuditEvent.objects.count()
    report = run(jingtai_csv)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 163)
    assert AuditEvent.objects.count() == before


def test_rename_in_place_keeps_the_row_and_its_posts(db):
    village = Unit.objects.get(code="620423103200")
    posts = set(Post.objects.filter(unit=village).values_list("pk", flat=True))
    report = run(HEADER + "620423103200,大水䃎新村,village,620423103000\n")
    assert (report.ok, report.updated) == (True, 1)
    renamed = Unit.objects.get(code="620423103200")
    assert (renamed.pk, renamed.name, renamed.initials) == (village.pk, "大水䃎新村", "dszxc")
    assert set(Post.objects.filter(unit=renamed).values_list("pk", flat=True)) == posts
    event = AuditEvent.objects.filter(action="unit.update", object_id="620423103200").latest("seq")
    assert (event.before, event.after) == ({"name": "大水䃎村"}, {"name": "大水䃎新村"})


def test_moving_a_town_recomputes_descendant_paths(db):
    report = run(HEADER + "620423999000,新县,county,620400000000\n620423103000,喜泉镇,town,620423999000\n")
    assert report.ok
    assert Unit.objects.get(code="620423103200").path == "620423999000/620423103000/620423103200/"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("62042310320,甲村,village,620423103000\n", ["Row 2: code “62042310320” is not a code of 12 digits."]),
        ("62042310320a,甲村,village,620423103000\n", ["Row 2: code “62042310320a” is not a code of 12 digits."]),
        ("620423103901,甲村,village,620423103000\n620423103901,乙村,village,620423103000\n",
         ["Row 3: The code 620423103901 appears again (first in row 2)."]),
        ("620423103901,甲村,镇级,620423103000\n",
         ["Row 2: The level “镇级” is unknown; use county, town, village, community, group or grid "
          "(县/乡镇/村/社区/组/网格)."]),
        ("620423103901,甲村,village,620423999000\n",
         ["Row 2: The parent code 620423999000 is neither in the file nor among the stored units."]),
        ("620423103901,甲村,village,620423000000\n",
         ["Row 2: A unit of level village cannot belong to 620423000000, which is of level county."]),
        ("620423103901,,village,620423103000\n", ["Row 2: name is empty."]),
        ("620423103901,甲村,village,\n", ["Row 2: parent code is empty."]),
        ("620423103901,甲村,village,620423103901\n", ["Row 2: The parent codes form a cycle: 620423103901."]),
        ("620423900001,甲格,grid,620423900002\n620423900002,乙格,grid,620423900001\n",
         ["Row 2: A unit of level grid cannot belong to 620423900002, which is of level grid.",
          "Row 2: The parent codes form a cycle: 620423900001 → 620423900002 → 620423900001.",
          "Row 3: A unit of level grid cannot belong to 620423900001, which is of level grid."]),
    ],
    ids=["short-code", "letter-in-code", "duplicate", "level", "unknown-parent", "parent-level", "no-name",
         "no-parent", "self-parent", "cycle"],
)
def test_bad_rows_are_refused_with_row_and_reason_and_nothing_written(db, body, expected):
    units_before = list(Unit.objects.values_list("code", "name", "level", "parent_id").order_by("code"))
    events_before = AuditEvent.objects.count()
    report = run(HEADER + body)
    assert messages(report) == expected
    assert list(Unit.objects.values_list("code", "name", "level", "parent_id").order_by("code")) == units_before
    assert AuditEvent.objects.count() == events_before


def test_good_rows_are_not_written_when_another_row_is_bad(db):
    report = run(HEADER + "620423100200,水源村改,village,620423100000\n620423103901,甲村,镇级,620423103000\n")
    assert [p.row for p in report.problems] == [3]
    assert Unit.objects.get(code="620423100200").name == "水源村"


def test_level_change_that_breaks_stored_children_is_refused(db):
    report = run(HEADER + "620423103000,喜泉镇,village,620423000000\n")
    assert "Row 2: The level cannot change to village: the stored unit" in " ".join(messages(report))


def test_every_problem_is_reported_not_just_the_first(db):
    report = run(HEADER + "1,甲,village,620423103000\n620423103902,乙,乡村,620423103000\n"
                          "620423103903,丙,village,620423999000\n620423103904,丁村,village,620423103000\n"
                          "620423777000,戊镇,town,6204230000\n620423777001,己村,village,620423777000\n")
    assert [(p.row, p.code) for p in report.problems] == [
        (2, "bad_code"), (3, "bad_level"), (4, "unknown_parent"), (6, "bad_code")]


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"", "units.csv", "The file is empty."),
        (b"   \n\n", "units.csv", "The file is empty."),
        (b"code,name,level,parent_code\n", "units.csv", "Row 1: The file has a header but no data rows."),
        (b"code,name,level\n620423103901,x,village\n", "units.csv",
         "Row 1: The required column parent_code / 上级代码 is missing."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "units.xls",
         "The file is not a CSV or XLSX sheet (old .xls files must be saved as .xlsx)."),
        (b"PK\x03\x04garbage", "units.xlsx",
         "The file is not a CSV or XLSX sheet (old .xls files must be saved as .xlsx)."),
        ("code,name,level,parent_code\n".encode("utf-16"), "units.csv",
         "The file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 or as XLSX."),
        (b"code,name\n\x80\x80\xff,x\n", "units.csv",
         "The file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 or as XLSX."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "units.csv",
         "The file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 or as XLSX."),
        # Big5 decodes as GB18030 without an error, into rare characters: implausible, refused.
        ("code,name,level,parent_code\n620423103901,喜泉鎮東關村,village,620423103000\n"
         "620423103902,紅水鎮楊家營村,village,620423103000\n".encode("big5"), "units.csv",
         "The file is neither UTF-8 nor GB18030 text; save it again as CSV UTF-8 or as XLSX."),
    ],
    ids=["empty", "blank", "header-only", "missing-column", "xls", "broken-zip", "utf16", "not-gb18030", "png",
         "big5"],
)
def test_bad_files_are_refused(db, data, filename, expected):
    count = Unit.objects.count()
    report = run(data, filename)
    assert messages(report) == [expected]
    assert Unit.objects.count() == count


def test_errors_are_chinese_by_default(db):
    report = run(HEADER + "123,甲村,village,620423103000\n")
    with translation.override("zh-hans"):
        text = describe_with_row(report.problems[0])
    assert text.startswith("第 2 行：")
    assert "123" in text


def test_chinese_headers_and_levels_in_gb18030(empty_org):
    text = "代码,名称,层级,上级代码,全称\n620423000000,景泰县,县,620400000000,景泰县\n" \
           "620423103000,喜泉镇,乡镇,620423000000,喜泉镇\n620423103200,大水䃎村,村,620423103000,大水䃎村民委员会\n"
    report = run(text.encode("gb18030"))
    assert (report.ok, report.created) == (True, 3)
    assert Unit.objects.get(code="620423103200").name == "大水䃎村"


def test_xlsx_with_numeric_cells(empty_org):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "level", "parent_code"])
    sheet.append([620423000000, "景泰县", "county", 620400000000])
    sheet.append(["620423103000", "喜泉镇", "town", "620423000000"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(buffer.getvalue(), "units.xlsx")
    assert (report.ok, report.created) == (True, 2)
    assert Unit.objects.get(code="620423000000").external_parent_code == "620400000000"


def test_points_in_either_datum_and_their_errors(db):
    report = run("code,name,level,parent_code,lon_wgs84,lat_wgs84\n620423103200,大水䃎村,village,620423103000,104.01,37.02\n")
    assert report.ok
    unit = Unit.objects.get(code="620423103200")
    assert (unit.lon, unit.lat, unit.point_datum) == (104.01, 37.02, "wgs84")
    bad = run("code,name,level,parent_code,lon_gcj02,lat_gcj02\n620423103200,大水䃎村,village,620423103000,104.01,\n"
              "620423103201,甲村,village,620423103000,east,37\n620423103202,乙村,village,620423103000,200,37\n")
    assert messages(bad) == [
        "Row 2: Only one of the gcj02 longitude and latitude is given.",
        "Row 3: The coordinate “east” is not a number.",
        "Row 4: The point 200, 37 is not a valid longitude and latitude.",
    ]


def test_export_import_round_trip_csv_xlsx_gb18030(db, jingtai_csv, empty_org):
    assert run(jingtai_csv).ok
    header, rows = units_export_rows(actor=SYSTEM)
    from dudao.core.tables import write_csv

    csv_utf8 = write_csv(header, rows)
    zh_header, zh_rows = units_export_rows(actor=SYSTEM, chinese=True)
    csv_gb = write_csv(zh_header, zh_rows, "gb18030")
    xlsx = write_xlsx([("units", header, rows)])
    assert "大水䃎村".encode("gb18030") in csv_gb
    for data, name in ((csv_utf8, "u.csv"), (csv_gb, "g.csv"), (xlsx, "u.xlsx")):
        for model in (Post, ):
            model.objects.all().delete()
        Unit.objects.filter(level__in=["village", "community"]).delete()
        Unit.objects.filter(level="town").delete()
        Unit.objects.all().delete()
        report = run(data, name)
        assert (report.ok, report.created) == (True, 163), name
        assert units_export_rows(actor=SYSTEM) == (header, rows), name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("=HYPERLINK(\"http://x\",\"a\")", "Row 2: name must not begin with =, +, - or @ (Excel would read it as a formula)."),
        ("a\x01b", "Row 2: name contains a control character."),
        ("村" * 101, "Row 2: name is longer than 100 characters."),
    ],
    ids=["formula", "control", "long"],
)
def test_names_that_would_break_or_arm_an_excel_export_are_refused(db, name, expected):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["code", "name", "level", "parent_code"], ["620423103200", name, "village",
                                                                             "620423103000"]])
    report = run(buffer.getvalue().encode())
    assert messages(report) == [expected]


def test_csv_exports_never_hold_live_formulas():
    from dudao.core.tables import write_csv

    data = write_csv(["=h", "name"], [["=1+1", "a"], ["+86 x", "-3.5"], ["@x", "\tb"], ["-1+2", "+86"], ["a=b", 7]])
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [
        ["'=h", "name"], ["'=1+1", "a"], ["'+86 x", "-3.5"], ["'@x", "'\tb"], ["'-1+2", "+86"], ["a=b", "7"]]


def test_excel_exports_never_hold_live_formulas():
    from openpyxl import load_workbook

    data = write_xlsx([("s", ["name"], [["=1+1"], ["+86"], ["@x"]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [(c.value, c.data_type) for (c,) in sheet.iter_rows(min_row=2)] == [
        ("=1+1", "s"), ("+86", "s"), ("@x", "s")]


def test_a_county_cannot_hang_under_a_campaign_unit(db):
    report = run(HEADER + "620499000000,怪县,county,620423100000\n")
    assert messages(report) == ["Row 2: A county's parent lies outside the campaign; 620423100000 is a unit of this "
                                "campaign."]


def xlsx_rows(count: int, dimension: str = "") -> bytes:
    """A units workbook with ``count`` data rows; ``dimension`` overwrites the size the sheet declares."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "level", "parent_code"])
    for n in range(count):
        sheet.append([f"62042310{n:04d}", f"村{n}", "village", "620423103000"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not dimension:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                declared = f'<dimension ref="A1:D{count + 1}"/>'.encode()
                body = body.replace(declared, f'<dimension ref="{dimension}"/>'.encode())
                assert dimension.encode() in body
            target.writestr(item, body)
    return out.getvalue()


@pytest.fixture
def rows_read(monkeypatch):
    """How many rows openpyxl has handed out of the sheet being read."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    count = [0]
    original = ReadOnlyWorksheet._cells_by_row

    def counted(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            count[0] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted)
    return count


def test_a_sheet_over_the_row_limit_is_refused_with_the_limit_and_read_no_further(rows_read):
    with pytest.raises(TableRefused) as refused:
        read_table(xlsx_rows(50), "units.xlsx", max_rows=10)
    with translation.override("en"):
        assert [describe_with_row(p) for p in refused.value.problems] == [
            "The sheet has more than 10 rows below its header; split it into files of at most 10 rows."]
    assert rows_read[0] == 12  # the header, the ten allowed and the one that breaks the limit


def test_a_sheet_at_the_row_limit_is_read(rows_read):
    table = read_table(xlsx_rows(10), "units.xlsx", max_rows=10)
    assert (len(table.rows), table.rows[-1][0], rows_read[0]) == (10, 11, 11)


def test_rows_a_sheet_only_declares_are_not_read(rows_read):
    table = read_table(xlsx_rows(3, dimension="A1:D1048576"), "units.xlsx", max_rows=10)
    assert (len(table.rows), rows_read[0]) == (3, 4)


def test_the_import_names_the_row_limit_for_csv_too(db, monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 2)
    count = Unit.objects.count()
    report = run(HEADER + "620423103901,甲,village,620423103000\n\n620423103902,乙,village,620423103000\n")
    assert messages(report) == [
        "The sheet has more than 2 rows below its header; split it into files of at most 2 rows."]
    assert Unit.objects.count() == count


def xlsx_with_sheet_xml(sheet: bytes) -> bytes:
    """An XLSX whose first sheet's XML is ``sheet`` (the rest as openpyxl writes it)."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, sheet if item.filename == "xl/worksheets/sheet1.xml"
                            else source.read(item.filename))
    return out.getvalue()


SHEET = (b'<?xml version="1.0"?>%s<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>%s</t></is></c></row></sheetData></worksheet>')


def test_an_xlsx_that_unpacks_too_far_is_refused_before_it_is_parsed(rows_read, monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    bomb = xlsx_with_sheet_xml(SHEET % (b"", b"A" * 2 * 1024 * 1024))
    assert len(bomb) < 20_000
    with pytest.raises(TableRefused) as refused:
        read_table(bomb, "units.xlsx")
    with translation.override("en"):
        assert [describe_with_row(p) for p in refused.value.problems] == [
            "The file unpacks to more than 1 MB; an XLSX sheet may unpack to at most 1 MB."]
    assert rows_read[0] == 0


@pytest.mark.parametrize("doctype, text", [
    # entities expanded a billion times over
    (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + n]), (b"&%s;" % bytes([97 + n])) * 10) for n in range(8)) + b"]>",
     b"&i;"),
    # an external entity (XXE): never fetched, and not read either
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', b"&e;"),
])
def test_an_xlsx_with_hostile_entities_is_refused_as_not_a_sheet(doctype, text):
    with pytest.raises(TableRefused) as refused:
        read_table(xlsx_with_sheet_xml(SHEET % (doctype, text)), "units.xlsx")
    assert [p.code for p in refused.value.problems] == ["not_a_sheet"]
