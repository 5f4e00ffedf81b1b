"""随手拍 in a real browser on a phone without JavaScript, with screenshots (in this run's pytest temporary folder):
a report with a photo and a village picked from the list gets its tracking code; the office finds it in the
triage and accepts it; the reporter reads the status back with the code."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_report_accepted_and_followed_on_a_phone(new_context, signed_in, server_db, tmp_path):
    from dudao.reports.models import Report

    reporter = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                           java_script_enabled=False).new_page()
    reporter.goto("/public/")
    reporter.locator("#report-link").click()
    form = reporter.locator("#report-form")
    expect(form.locator("#use-position")).to_be_hidden()  # only with JavaScript
    expect(form.locator("#place legend")).to_have_text("地点")
    form.locator("#photo").set_input_files({"name": "pond.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    village = form.locator("#village option").nth(1).get_attribute("value")
    form.locator("#village").select_option(village)
    form.locator("#text").fill("池塘边堆满垃圾")
    form.locator("#contact").fill("13900001111")
    assert reporter.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reporter.screenshot(path=str(tmp_path / "report-form-phone.png"), full_page=True)
    form.locator("#report-send").click()
    code = reporter.locator("#tracking-code").inner_text()
    assert len(code) == 10
    reporter.screenshot(path=str(tmp_path / "report-received-phone.png"), full_page=True)
    report = Report.objects.using(server_db).get(code=code)
    assert (report.village.code, report.text, report.contact) == (village, "池塘边堆满垃圾", "13900001111")

    _accepted_and_followed(reporter, signed_in, server_db, code, village, tmp_path, "report")


def _accepted_and_followed(reporter, signed_in, server_db, code: str, village: str, tmp_path, name: str) -> None:
    """The office finds the report in its triage on a phone and accepts it into a problem of the village; the
    reporter reads its status back with the tracking code."""
    from django.utils import translation

    from dudao.problems.models import Problem
    from dudao.reports.models import Report

    office = signed_in("demo_office", viewport=PHONE, is_mobile=True, has_touch=True)
    office.goto("/reports/")
    item = office.locator(f'article[data-code="{code}"]')
    expect(item.locator("img")).to_be_visible()
    expect(item.locator("form.accept select[name=village]")).to_have_value(village)
    expect(item.locator("img")).to_have_js_property("naturalWidth", 320)  # the re-encoded thumbnail, once loaded
    office.screenshot(path=str(tmp_path / f"{name}-triage-phone.png"), full_page=True)
    item.locator("form.accept button[value=accept]").click()
    expect(office.locator(".flash.success")).to_contain_text(code)
    problem = Problem.objects.using(server_db).get(pk=Report.objects.using(server_db).get(code=code).problem_id)
    assert (problem.village.code, problem.source, problem.problem_photos.count()) == (village, "public", 1)

    reporter.goto("/public/report/")
    reporter.locator("#code").fill(code.lower())
    reporter.locator("#find-form button").click()
    expect(reporter.locator("#report-state")).to_have_attribute("data-status", "accepted")
    with translation.override("zh-hans"):
        state = str(problem.get_status_display())
    expect(reporter.locator("#problem-state")).to_contain_text(state)
    assert "13900001111" not in reporter.content()
    reporter.screenshot(path=str(tmp_path / f"{name}-status-phone.png"), full_page=True)
    assert (tmp_path / f"{name}-status-phone.png").stat().st_size > 10_000


def test_use_my_position_with_javascript(new_context, server_db):
    from dudao.org.models import Unit
    from dudao.reports.models import Report

    village = Unit.objects.using(server_db).filter(level="village", active=True).exclude(lat=None).first()
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, permissions=["geolocation"],
                          geolocation={"latitude": village.lat, "longitude": village.lon, "accuracy": 10})
    page = context.new_page()
    page.goto("/public/report/")
    form = page.locator("#report-form")
    form.locator("#use-position").click()
    expect(form.locator("#lat")).to_have_value(f"{village.lat:.6f}")
    expect(form.locator("#position-state")).to_contain_text(f"{village.lon:.6f}")
    form.locator("#photo").set_input_files({"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    form.locator("#text").fill("路边乱堆乱放")
    form.locator("#report-send").click()
    code = page.locator("#tracking-code").inner_text()
    report = Report.objects.using(server_db).get(code=code)
    assert (round(report.lat, 6), round(report.lon, 6), report.village_id) == (
        round(village.lat, 6), round(village.lon, 6), None)


def _area(page):
    """The area the form's map draws, as the server checks a place against it."""
    from dudao.core import geo

    data = page.request.get("/public/report/area.json").json()
    shape = next(f for f in data["features"] if f["properties"]["kind"] == "area")
    return geo.area_of_boundaries([(shape["geometry"], "wgs84")], shape["properties"]["source"])


def test_a_place_picked_on_the_map_on_a_phone(new_context, signed_in, server_db, tmp_path):
    from dudao.org.models import Unit
    from dudao.reports.models import Report
    from dudao.reports.services import nearest_village

    reporter = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True).new_page()
    reporter.goto("/public/report/")
    form = reporter.locator("#report-form")
    expect(form.locator("#report-map")).to_have_attribute("data-ready", "true")
    canvas = form.locator("#report-map-canvas")
    size = canvas.bounding_box()
    area = _area(reporter)
    # A corner of the map: inside the area's box as drawn, outside the county's shape: refused, naming the place.
    canvas.tap(position={"x": 10, "y": size["height"] - 10})
    lat, lon = float(form.locator("#lat").input_value()), float(form.locator("#lon").input_value())
    assert area.contains(lon, lat) is False
    expect(form.locator("#map-state")).to_contain_text(f"{lat:.6f}, {lon:.6f}")
    form.locator("#photo").set_input_files({"name": "lane.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    form.locator("#text").fill("巷道里堆着建筑垃圾")
    form.locator("#report-send").click()
    expect(reporter.locator("#error-place")).to_have_text(f"位置 {lat:.5f}, {lon:.5f} 不在本县范围内。")
    # The middle of the map: in the county. The form came back with the refused place marked; tap again.
    form = reporter.locator("#report-form")
    expect(form.locator("#report-map")).to_have_attribute("data-ready", "true")
    canvas = form.locator("#report-map-canvas")
    size = canvas.bounding_box()
    canvas.tap(position={"x": size["width"] / 2, "y": size["height"] / 2})
    lat, lon = float(form.locator("#lat").input_value()), float(form.locator("#lon").input_value())
    assert area.contains(lon, lat) is True
    form.locator("#photo").set_input_files({"name": "lane.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    assert reporter.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    reporter.screenshot(path=str(tmp_path / "report-map-phone.png"), full_page=True)
    assert (tmp_path / "report-map-phone.png").stat().st_size > 10_000
    form.locator("#report-send").click()
    code = reporter.locator("#tracking-code").inner_text()
    report = Report.objects.using(server_db).select_related("campaign").get(code=code)
    assert (report.lat, report.lon, report.village_id) == (lat, lon, None)
    villages = Unit.objects.using(server_db).filter(level__in=["village", "community"], active=True)
    village = nearest_village(report, list(villages.exclude(lat=None)))
    assert village is not None
    _accepted_and_followed(reporter, signed_in, server_db, code, village.code, tmp_path, "report-map")
