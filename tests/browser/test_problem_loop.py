"""A problem's closed loop in a real browser on phone-sized screens (360 × 800): the office reports a problem at
大水䃎村 with a photo taken "on the spot" (the phone's position comes from the browser's geolocation) and it is
dispatched at once (the camera-sized photo is shrunk on the phone before it is sent, with upload progress); the
village finds it under "My tasks" and rectifies it with an after-photo; the township,
told by an in-app notification, compares before and after side by side and verifies it; the timeline then shows
every step in order with who took it.

Independent of the other browser tests: the problem is recognised by its number, never by counts (the demo data
may hold problems of its own), and its position lies ~400 m from the village's point, away from any demo problem
that could make it look like a duplicate.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DASHUIZHE = "620423103200"  # 大水䃎村, demo_village's village in 喜泉镇 (demo_town's township)
PHONE = {"viewport": {"width": 360, "height": 800}, "locale": "en-US", "permissions": ["geolocation"]}


def _jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# Records the photos the page sends (the browser does not show a multipart body with files to Playwright).
SENT_PHOTOS = """
window.sentPhotos = [];
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  if (body instanceof FormData) {
    for (const file of body.getAll('photos')) window.sentPhotos.push({size: file.size, type: file.type});
  }
  return send.call(this, body);
};
"""


def _camera_jpeg() -> bytes:
    """A 4000 × 3000 photo with detail enough to be camera-sized (several MB)."""
    image = Image.new("RGB", (4000, 3000), (150, 90, 40))
    draw = ImageDraw.Draw(image)
    for x in range(0, 4000, 7):
        draw.line((x, 0, (x * 3) % 4000, 3000), fill=((x * 7) % 256, (x * 13) % 256, (x * 29) % 256), width=2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _status(page):
    return page.locator("#problem-status .badge")


def test_report_rectify_verify_on_phones(signed_in, image_loaded):
    # The office, on a phone at the spot.
    office = signed_in("demo_office", **PHONE)
    villages = office.request.get("/api/v1/field/bootstrap").json()["villages"]
    village = next(v for v in villages if v["code"] == DASHUIZHE)
    spot = {"latitude": village["lat"] + 0.0037, "longitude": village["lon"] + 0.0011, "accuracy": 8}
    office.context.set_geolocation(spot)

    office.add_init_script(SENT_PHOTOS)
    office.goto("/problems/new/")
    form = office.locator("#report-form")
    expect(form.locator("input[name=lat]")).to_have_value(f"{spot['latitude']:.6f}")
    expect(form.locator("[data-position-status]")).to_contain_text("Position from this device")
    assert form.locator("input[name=accuracy_m]").input_value() == "8"
    _fits_the_phone(office)
    form.locator("select[name=village]").select_option(DASHUIZHE)
    form.locator("select[name=category]").select_option("building")
    form.locator("textarea[name=description]").fill("A shed built on the lane behind the school")
    original = _camera_jpeg()
    form.locator("input[name=photos]").set_input_files(
        {"name": "before.jpg", "mimeType": "image/jpeg", "buffer": original})
    with office.expect_navigation():
        form.locator("button[type=submit]").click()
    sent = office.evaluate("window.sentPhotos")
    assert len(sent) == 1 and sent[0]["type"] == "image/jpeg"
    assert sent[0]["size"] < len(original) / 3  # shrunk on the phone
    path = urlsplit(office.url).path
    assert re.fullmatch(r"/problems/\d+/", path)
    number = office.locator("h1").inner_text().removeprefix("Problem ").strip()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    expect(_status(office)).to_have_text("dispatched")  # the office's own reports go out at once
    expect(office.locator(".flash")).to_contain_text(f"Problem {number} reported: dispatched.")
    expect(office.locator("#problem-position")).to_contain_text(f"{spot['latitude']:.6f}, {spot['longitude']:.6f}")
    expect(office.locator("#photos-before img")).to_have_count(1)

    # The village: "My tasks" is where the list opens.
    village_page = signed_in("demo_village", **PHONE)
    village_page.context.set_geolocation({**spot, "accuracy": 5})
    village_page.goto("/problems/")
    expect(village_page.locator('.tabs a[aria-current="page"]')).to_contain_text("My tasks")
    row = village_page.locator("#problems tbody tr", has=village_page.get_by_role("link", name=number, exact=True))
    expect(row.locator(".badge")).to_have_text("dispatched")
    _fits_the_phone(village_page)
    row.get_by_role("link", name=number, exact=True).click()
    village_page.wait_for_url(f"**{path}")
    rectify = village_page.locator("#action-rectify")
    expect(rectify.locator("input[name=lat]")).to_have_value(f"{spot['latitude']:.6f}")
    rectify.locator("input[name=photos]").set_input_files(
        {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((60, 150, 70))})
    rectify.locator("textarea[name=note]").fill("Shed taken down, ground cleared")
    _fits_the_phone(village_page)
    with village_page.expect_navigation():
        rectify.get_by_role("button", name="Report rectified").click()
    expect(_status(village_page)).to_have_text("rectified")
    expect(village_page.locator("#action-verify")).to_have_count(0)  # never the rectifier's own check

    # The township is told, opens the notification, compares before and after, verifies.
    town = signed_in("demo_town", **PHONE)
    town.goto("/notifications/")
    told = town.locator("#notifications li.unread", has_text=f"Problem {number} was rectified")
    expect(told).to_have_count(1)
    told.get_by_role("button").click()
    town.wait_for_url(f"**{path}")
    verify = town.locator("#action-verify")
    before = verify.locator(".compare > div").nth(0).locator("img")
    after = verify.locator(".compare > div").nth(1).locator("img")
    expect(before).to_have_count(1)
    expect(after).to_have_count(1)
    for image in (before, after):
        image.scroll_into_view_if_needed()
        assert image_loaded(image, timeout=30.0) > 0  # as long as Playwright's own wait
    left, right = before.bounding_box(), after.bounding_box()
    assert left is not None and right is not None
    assert abs(left["y"] - right["y"]) < 2, "before and after side by side"
    assert left["x"] + left["width"] <= right["x"] and right["x"] + right["width"] <= 360
    assert left["width"] >= 120  # big enough to judge on a phone
    button = verify.get_by_role("button", name="Verified: fixed")
    assert button.bounding_box()["y"] > left["y"] + left["height"]  # the comparison sits right above the button
    _fits_the_phone(town)
    with town.expect_navigation():
        button.click()
    expect(_status(town)).to_have_text("verified")

    # The timeline: every step in order, with who took it.
    steps = town.locator("#timeline > li")
    expect(steps).to_have_count(5)
    assert steps.evaluate_all("items => items.map(i => i.dataset.transition)") == [
        "report", "register", "dispatch", "rectify", "verify"]
    actors = [steps.nth(i).locator(".actor").inner_text() for i in range(5)]
    assert actors == ["演示办公室", "演示办公室", "演示办公室", "演示村", "演示乡镇"]
    expect(steps.nth(3)).to_contain_text("Shed taken down, ground cleared")
    expect(steps.nth(3).locator("img")).to_have_count(1)
