"""Importing a units file through the browser: a bad file is refused row by row and writes nothing."""

import csv
import io

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HEADER = "code,name,level,parent_code\n"
BAD_ROWS = (
    "62042310320,短代码村,village,620423103000\n"  # row 2: 11 digits
    "620423103901,错层级村,镇级,620423103000\n"  # row 3: unknown level
    "620423103902,无上级村,village,620423999000\n"  # row 4: unknown parent code
)
BAD_NAMES = ("短代码村", "错层级村", "无上级村")
VILLAGE = "620423103200"
XIQUAN = "620423103000"
DASHUIZHE = "\u5927\u6c34\u40ce\u6751"  # 大水䃎村
UNITS = 163 + 925  # the Jingtai units and the demo's villager groups and grids


def _upload(page, name: str, text: str) -> None:
    page.goto("/units/import/")
    form = page.locator("main form[enctype='multipart/form-data']")
    form.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _error_rows(page) -> list[str]:
    expect(page.locator("#import-errors")).to_be_visible()
    return [cell.strip() for cell in page.locator("#import-errors tbody tr td:first-child").all_inner_texts()]


def _exported(page) -> list[list[str]]:
    response = page.request.get("/units/export.csv")
    assert response.ok, response.status
    return list(csv.reader(io.StringIO(response.body().decode("utf-8-sig"))))


@pytest.fixture
def admin_page(signed_in):
    """demo_admin in an English context, so that the flash messages can be read exactly."""
    return signed_in("demo_admin", locale="en-US")


def test_bad_file_lists_every_bad_row(admin_page):
    _upload(admin_page, "bad.csv", HEADER + BAD_ROWS)

    assert _error_rows(admin_page) == ["2", "3", "4"]


def test_bad_file_writes_nothing(admin_page):
    before = _exported(admin_page)
    _upload(admin_page, "bad.csv", HEADER + BAD_ROWS)
    expect(admin_page.locator("#import-errors")).to_be_visible()

    after = _exported(admin_page)
    assert len(after) == 1 + UNITS
    assert after == before
    names = {row[1] for row in after[1:]}
    assert not names & set(BAD_NAMES)


def test_unknown_parent_alone_is_refused(admin_page):
    _upload(admin_page, "orphan.csv", HEADER + "620423103902,无上级村,village,620423999000\n")

    assert _error_rows(admin_page) == ["2"]
    expect(admin_page.locator("#import-errors tbody")).to_contain_text("620423999000")
    assert "620423103902" not in {row[0] for row in _exported(admin_page)}


def test_valid_file_renames_a_village(admin_page):
    page = admin_page
    flash = page.locator("main p.flash.success[role=status]")
    _upload(page, "rename.csv", f"{HEADER}{VILLAGE},{DASHUIZHE}X,village,{XIQUAN}\n")
    try:
        expect(page.locator("#import-errors")).to_have_count(0)
        expect(flash).to_have_text("Imported: 0 created, 1 updated, 0 unchanged.")
        page.goto(f"/units/{VILLAGE}/")
        expect(page.locator("main h1")).to_contain_text(f"{DASHUIZHE}X")
        rows = {row[0]: row for row in _exported(page)}
        assert rows[VILLAGE][1:4] == [f"{DASHUIZHE}X", "village", XIQUAN]
        assert rows[VILLAGE][4] == "大水䃎村民委员会"  # official_name was not in the file: kept
        assert len(rows) == 1 + UNITS
    finally:  # the server is shared by the session: put the name back
        _upload(page, "restore.csv", f"{HEADER}{VILLAGE},{DASHUIZHE},village,{XIQUAN}\n")
    expect(flash).to_have_text("Imported: 0 created, 1 updated, 0 unchanged.")
