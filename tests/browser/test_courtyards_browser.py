"""Cleaners as supervisors in a real browser on a phone, with screenshots (in this run's pytest temporary folder): a
cleaner of 大水䃎村's first grid adds a household on the spot, marks it needs work with a photo and marks another
courtyard clean; the village sees the counts of its grids go up on its home page and the household among those
reminded."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DASHUI = "620423103200"  # 大水䃎村: demo_village's village
GRID = "620491032001"
PASSWORD = "cleaner-demo-2026-x"  # noqa: S105 - a test account on the test server


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 120, 80)).save(buffer, "JPEG")
    return buffer.getvalue()


def _counts(page) -> list[str]:
    row = page.locator(f"#courtyard-counts tr[data-grid='{GRID}']")
    return [row.locator(f"td.{name}").inner_text() for name in ("households", "checked", "reminded", "improved")]


def test_a_cleaner_marks_two_courtyards_and_the_village_sees_the_counts(new_context, signed_in, server_db, tmp_path):
    from django.contrib.auth.hashers import make_password

    from dudao.accounts.models import Role, User
    from dudao.grids.models import CourtyardCheck
    from dudao.org.models import Post, Unit
    from dudao.org.selectors import unit_point_wgs84

    grid = Unit.objects.using(server_db).get(code=GRID)
    person = Post.objects.using(server_db).get(unit=grid, role="cleaner").person
    # The account as grid_accounts_open makes it (the village's page for that is tested in test_grid_browser).
    User.objects.using(server_db).create(username=person.phone, role=Role.GRID, scope_unit=grid, person=person,
                                         first_name=person.name, password=make_password(PASSWORD))

    village = signed_in("demo_village", viewport=PHONE, is_mobile=True, has_touch=True)
    before = [int(n) for n in _counts(village)]

    lon, lat = unit_point_wgs84(Unit.objects.using(server_db).get(code=DASHUI))
    cleaner = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                          geolocation={"latitude": lat + 0.002, "longitude": lon},
                          permissions=["geolocation"]).new_page()
    cleaner.goto("/accounts/login/")
    form = cleaner.locator("main form[method=post]")
    form.locator("input[name=username]").fill(person.phone)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    cleaner.wait_for_url(re.compile(r"/grid/$"))
    cleaner.locator("#grid-courtyards-link").click()
    expect(cleaner.locator("h1")).to_have_text("我的网格庭院")

    section = cleaner.locator(f".courtyard-grid[data-grid='{GRID}']")
    section.locator(".household-add summary").click()
    section.locator(".household-add input[name=label]").fill("浏览器1号")
    section.locator(".household-add button[type=submit]").click()
    expect(cleaner.locator(".flash.success")).to_contain_text("浏览器1号")

    added = cleaner.locator("article.courtyard").filter(has_text="浏览器1号")
    expect(added.locator("input[name=lat]")).not_to_have_value("")
    added.locator(".courtyard-needs-work summary").click()
    added.locator("input[name=photo]").set_input_files({"name": "yard.jpg", "mimeType": "image/jpeg",
                                                        "buffer": _photo()})
    added.locator("input[name=note]").fill("柴草堆放")
    assert cleaner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cleaner.screenshot(path=str(tmp_path / "courtyard-needs-work-phone.png"), full_page=True)
    added.locator(".courtyard-needs-work button[type=submit]").click()
    expect(cleaner.locator(".flash.success")).to_contain_text("浏览器1号已标记为需整改")

    other = cleaner.locator("article.courtyard").filter(has_text="演示东街6号")
    expect(other.locator("input[name=lat]")).not_to_have_value("")
    other.locator("button.courtyard-clean").click()
    expect(cleaner.locator(".flash.success")).to_contain_text("演示东街6号已标记为干净")
    expect(cleaner.locator("article.courtyard").filter(has_text="浏览器1号").locator(".tag")).to_have_text("需整改")
    cleaner.screenshot(path=str(tmp_path / "courtyard-marked-phone.png"), full_page=True)

    checks = {c.household.label: (c.result, c.photo_id is not None, c.note)
              for c in CourtyardCheck.objects.using(server_db).filter(by__username=person.phone)
              .select_related("household")}
    assert checks == {"浏览器1号": ("needs_work", True, "柴草堆放"), "演示东街6号": ("clean", False, "")}

    village.goto("/")
    households, checked, reminded, improved = before
    assert _counts(village) == [str(households + 1), str(checked + 2), str(reminded + 1), str(improved)]
    village.screenshot(path=str(tmp_path / "courtyard-counts-village-phone.png"), full_page=True)
    village.locator("#home-courtyards a").click()
    expect(village.locator(f".courtyard-grid-lists[data-grid='{GRID}'] .reminded")).to_contain_text("浏览器1号")
    village.screenshot(path=str(tmp_path / "courtyard-village-page-phone.png"), full_page=True)
