"""Grids in a real browser on a phone, with screenshots (in this run's pytest temporary folder): the village opens
the accounts of its grid people; a grid worker signs in with their phone number, checks in on their round and
reports a problem with a photo; the village sees the problem."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DASHUI = "620423103200"  # 大水䃎村: demo_village's village
GRID = "620491032001"


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_grid_worker_signs_in_reports_with_a_photo_and_the_village_sees_it(new_context, signed_in, server_db,
                                                                           tmp_path):
    from dudao.grids.models import Patrol
    from dudao.org.models import Unit
    from dudao.org.selectors import unit_point_wgs84
    from dudao.problems.models import Problem

    village = signed_in("demo_village", viewport=PHONE, is_mobile=True, has_touch=True)
    village.goto("/grid/accounts/")
    village.locator("select[name=unit]").select_option(DASHUI)
    # Each new password is hashed (PBKDF2): a village's few dozen take a while on a busy machine.
    village.locator("main form button[type=submit]").click(timeout=180_000)
    table = village.locator("#grid-accounts-opened")
    expect(table).to_be_visible(timeout=180_000)
    village.screenshot(path=str(tmp_path / "grid-accounts-phone.png"), full_page=True)
    row = table.locator("tbody tr").filter(has_text="第一网格").first
    phone = row.locator("td").nth(0).inner_text()
    password = row.locator("td code").inner_text()

    lon, lat = unit_point_wgs84(Unit.objects.using(server_db).get(code=DASHUI))
    worker = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                         geolocation={"latitude": lat + 0.004, "longitude": lon},
                         permissions=["geolocation"]).new_page()
    worker.goto("/accounts/login/")
    form = worker.locator("main form[method=post]")
    form.locator("input[name=username]").fill(phone)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    worker.wait_for_url(re.compile(r"/grid/$"))
    expect(worker.locator("h1")).to_have_text("我的网格")
    expect(worker.locator("#grid-names")).to_contain_text("第一网格")
    expect(worker.locator("#grid-round input[name=lat]")).not_to_have_value("")
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    worker.screenshot(path=str(tmp_path / "grid-home-phone.png"), full_page=True)
    worker.locator("#grid-round button[type=submit]").click()
    expect(worker.locator(".flash.success")).to_contain_text("第一网格")
    patrol = Patrol.objects.using(server_db).get(by__username=phone)
    assert (patrol.grid.code, round(patrol.lat, 3)) == (GRID, round(lat + 0.004, 3))

    worker.locator("#grid-report-link").click()
    report = worker.locator("#grid-report-form")
    expect(report.locator("input[name=lat]")).not_to_have_value("")
    report.locator("select[name=category]").select_option("garbage")
    report.locator("input[name=description]").fill("网格里垃圾桶满溢")
    report.locator("input[name=photo]").set_input_files({"name": "bin.jpg", "mimeType": "image/jpeg",
                                                         "buffer": _photo()})
    worker.screenshot(path=str(tmp_path / "grid-report-phone.png"), full_page=True)
    report.locator("button[type=submit]").click()
    expect(worker.locator(".flash.success")).to_contain_text("已上报")
    problem = Problem.objects.using(server_db).get(description="网格里垃圾桶满溢")
    assert (problem.grid.code, problem.village.code, problem.problem_photos.count()) == (GRID, DASHUI, 1)
    worker.screenshot(path=str(tmp_path / "grid-reported-phone.png"), full_page=True)

    village.goto(f"/problems/{problem.pk}/")
    expect(village.locator("main")).to_contain_text("网格里垃圾桶满溢")
    expect(village.locator("main img").first).to_be_visible()
    village.screenshot(path=str(tmp_path / "grid-problem-seen-by-village-phone.png"), full_page=True)
