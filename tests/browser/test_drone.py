"""Drone imagery in a real browser: the office uploads a batch of photos with progress (one without GPS, one sent
twice), places the one without GPS by clicking the map, scores every photo from the keyboard, flags one and raises
a problem from it, and the week's drone source then holds each village's mean; an upload cut off mid-file by the
network carries on by itself and stores the photo once.

Independent of the other browser tests: each test flies a week of its own, far enough back that no demo round
or demo batch lies in it, and its photos carry random pixels, so that no other test's photo is a duplicate.
"""

import datetime as dt
import io
import os
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from playwright.sync_api import expect

from dudao.core import weeks

pytestmark = pytest.mark.browser

YITIAOSHAN = "620423100000"  # 一条山镇
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}
CHUNK = 4 * 1024 * 1024
CHUNK_URL = re.compile(r"/api/v1/drone/uploads/[0-9a-f-]+\?offset=")


def _week(back: int) -> str:
    return weeks.add_weeks(weeks.week_of(dt.date.today()), -back)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees, minutes = int(value), int(value * 60) % 60
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 10000)


def _aerial(week: str, village: dict | None, size: tuple[int, int] = (1600, 1200), noise: bool = False,
            quality: int = 88) -> bytes:
    """A drone JPEG taken on the Wednesday of ``week``, with GPS over the village's point (none for None)."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (150, 160, 110))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y = int.from_bytes(os.urandom(2)) % size[0], int.from_bytes(os.urandom(2)) % size[1]
            draw.rectangle((x, y, x + 200, y + 150), fill=tuple(os.urandom(3)))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DJI", "FC6310"
    moment = dt.datetime.combine(weeks.week_start(week) + dt.timedelta(days=2), dt.time(10, 30))
    exif.get_ifd(0x8769)[0x9003] = f"{moment:%Y:%m:%d %H:%M:%S}"
    if village is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", _dms(village["lat"]), "E", _dms(village["lon"])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _offset(route) -> int:
    return int(re.search(r"offset=(\d+)", route.request.url).group(1))


def _file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _start_batch(page, week: str) -> int:
    """Choose the week on the upload page and start its batch; the batch's id."""
    page.goto("/drone/upload/")
    page.locator("#week-form input[name=week]").fill(week)
    with page.expect_navigation():
        page.locator("#week-form button[type=submit]").click()
    assert urlsplit(page.url).query == f"week={week}"
    with page.expect_navigation():
        page.locator("#batch-start").click()
    return int(page.locator("#batch-name").get_attribute("data-batch"))


def _villages(page, count: int) -> list[dict]:
    villages = page.request.get("/api/v1/field/bootstrap").json()["villages"]
    return [v for v in villages if v["town"] == YITIAOSHAN and v["lon"] is not None][:count]


def test_upload_place_score_and_raise_a_problem(signed_in):
    week = _week(20)
    page = signed_in("demo_office", **DESKTOP)
    one, two, three = _villages(page, 3)
    batch = _start_batch(page, week)

    photos = {"DJI_0001.JPG": _aerial(week, one), "DJI_0002.JPG": _aerial(week, one),
              "DJI_0003.JPG": _aerial(week, two), "DJI_0004.JPG": _aerial(week, three),
              "DJI_0005.JPG": _aerial(week, None)}
    files = [_file(name, data) for name, data in photos.items()] + [
        _file("copy of DJI_0003.JPG", photos["DJI_0003.JPG"]),  # the same content under another name
        _file("flight notes.JPG", "航线记录，不是照片。".encode() * 50),  # refused by the server, with the reason
        {"name": "flight log.txt", "mimeType": "text/plain", "buffer": b"not sent at all"}]
    page.locator("#drone-files").set_input_files(files)
    expect(page.locator("#upload-files tr")).to_have_count(8)
    expect(page.locator("#overall")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#overall-percent")).to_have_text("100 %")
    assert page.locator("#overall-progress").evaluate("bar => bar.value") == 100
    for name, count in (("stored", "5"), ("duplicate", "1"), ("refused", "2"), ("waiting", "0")):
        expect(page.locator(f"#count-{name}")).to_have_text(count)
    states = sorted(page.locator("#upload-files tr").evaluate_all("rows => rows.map(r => r.dataset.state)"))
    assert states == ["duplicate", "refused", "refused"] + ["stored"] * 5
    expect(page.locator("#upload-files tr[data-state=duplicate] .status")).to_contain_text("same content")
    expect(page.locator("#upload-files tr[data-name='flight notes.JPG'] .status")).to_have_text(
        "refused · “flight notes.JPG”: The file is not a photo (JPEG or HEIC), whatever its name says.")
    expect(page.locator("#upload-files tr[data-name='flight log.txt'] .status")).to_have_text(
        "refused · not a JPEG or HEIC file")
    # The batch's table followed the uploads while the page stayed in place.
    expect(page.locator("#batch-table tr[data-photo]")).to_have_count(5)
    expect(page.locator("#batch-counts")).to_have_attribute("data-unplaced", "1")

    # The photo without GPS: placed by hand on the third village by clicking its point on the map.
    page.goto(f"/drone/unplaced/?week={week}")
    card = page.locator("article.unplaced")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("DJI_0005.JPG")
    expect(card.locator(".reason")).to_contain_text("no GPS")
    card.locator("button.pick").click()
    # "Pick on the map" scrolls the map into view smoothly: click once the point has stopped moving (the page
    # picks the village nearest to where the click lands).
    circle = page.locator(f"svg.village-map circle[data-code='{three['code']}']")
    box = None
    for _attempt in range(60):
        now = circle.bounding_box()
        if now == box:
            break
        box = now
        page.wait_for_timeout(50)
    circle.click(force=True)
    expect(page.locator("#map-picked")).to_contain_text(three["name"])
    expect(card.locator("select[name=village]")).to_have_value(three["code"])
    with page.expect_navigation():
        card.locator("button.place").click()
    expect(page.locator("#unplaced-empty")).to_be_visible()
    expect(page.locator(".flash.success")).to_contain_text(f"placed on {three['name']}")

    # Scoring from the keyboard: the first photo gets the garbage flag and a problem raised from it.
    page.goto(f"/drone/review/?week={week}")
    expect(page.locator("#review-progress")).to_have_text("0 / 5 scored")
    save = page.locator("#review-save")
    first = page.locator("body").get_attribute("data-photo")
    first_village = page.locator("#review-village").inner_text()
    page.keyboard.press("g")
    expect(page.locator("[data-flag=garbage]")).to_have_attribute("aria-pressed", "true")
    expect(save).to_have_attribute("data-state", "saved")
    page.keyboard.press("p")
    dialog = page.locator("#raise-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#raise-category")).to_have_value("garbage")
    expect(dialog.locator("#raise-description")).to_have_value(re.compile(r"\((copy of )?DJI_000\d\.JPG\): garbage heap$"))
    dialog.locator("#raise-description").press_sequentially(" behind the threshing floor")
    dialog.locator("#raise-submit").click()
    expect(dialog).to_be_hidden()
    raised = page.locator("#review-raised a.raised-problem")
    expect(raised).to_have_text(re.compile(r"^Problem \S+ raised\.$"))
    problem_url = raised.get_attribute("href")
    number = re.match(r"^Problem (\S+) raised\.$", raised.inner_text()).group(1)

    scores = [4, 2, 5, 3, 1]
    given: dict[str, list[int]] = {}
    for n, score in enumerate(scores):
        expect(page.locator("#review-position")).to_have_text(f"photo {n + 1} of 5")
        given.setdefault(page.locator("#review-village").inner_text(), []).append(score)
        page.keyboard.press(str(score))
    expect(save).to_have_attribute("data-pending", "0")
    expect(save).to_have_attribute("data-state", "saved")
    expect(page.locator("#review-progress")).to_have_text("5 / 5 scored")
    # ← goes back: the last photo shows its score; 0 clears it and 1 gives it again
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#review-position")).to_have_text("photo 4 of 5")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-score='1']")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("0")
    expect(page.locator("#review-progress")).to_have_text("4 / 5 scored")
    page.keyboard.press("1")
    expect(page.locator("#review-progress")).to_have_text("5 / 5 scored")
    expect(save).to_have_attribute("data-pending", "0")
    expect(save).to_have_attribute("data-state", "saved")
    # z zooms, Escape leaves the zoom
    page.keyboard.press("z")
    expect(page.locator("#stage")).to_have_class(re.compile(r"\bzoomed\b"))
    page.keyboard.press("Escape")
    expect(page.locator("#stage")).not_to_have_class(re.compile(r"\bzoomed\b"))
    assert given[first_village][0] == 4

    # The problem is in the closed loop, from the drone, with the photo.
    page.goto(problem_url)
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator("#problem-facts")).to_contain_text("drone photo")
    expect(page.locator("#problem-facts")).to_contain_text(first_village)
    expect(page.locator("#problem-description")).to_contain_text("garbage heap behind the threshing floor")
    expect(page.locator("#photos-before img")).to_have_count(1)
    scored = page.request.get(f"/api/v1/drone/photos/{first}").json()
    assert (scored["score"], scored["flags"]) == (4, ["garbage"])

    # The week's drone source: each village's mean, on the coverage page and in the ranking's round page.
    means = {name: sum(values) / len(values) for name, values in given.items()}
    assert sorted(len(v) for v in given.values()) == [1, 2, 2]  # the hand-placed photo is on the third
    names = {v["code"]: v["name"] for v in (one, two, three)}
    page.goto(f"/drone/coverage/?week={week}")
    for code, name in names.items():
        row = page.locator(f"tr.flown[data-code='{code}']")
        expect(row.locator("[data-value=source]")).to_have_text(f"{means[name]:g}")
        expect(row.locator("[data-value=mean]")).to_have_text(f"{means[name]:g}")
    expect(page.locator("#count-flown")).to_have_text(str(len(given)))
    expect(page.locator("#count-source")).to_have_text(str(len(given)))
    expect(page.locator("#coverage-map")).to_have_attribute("data-state", "drawn")
    expect(page.locator("#coverage-map .dudao-map-legend li[data-state=yes] .dudao-map-count")).to_have_text(
        str(len(given)))
    drawn = page.request.get(f"/map/data.json?layer=coverage&week={week}").json()
    assert {f["properties"]["code"] for f in drawn["features"] if f["properties"].get("state") == "yes"} == set(names)
    page.goto(f"/ranking/?week={week}")
    expect(page.locator("main")).to_contain_text(re.compile(rf"drone ranking: {len(given)} entries by"))
    photos_listed = page.request.get(f"/api/v1/drone/photos?batch={batch}").json()
    assert sorted(p["score"] for p in photos_listed) == sorted(scores)


def test_an_upload_cut_off_by_the_network_carries_on_and_stores_the_photo_once(signed_in):
    week = _week(21)
    page = signed_in("demo_office", **DESKTOP)
    (village,) = _villages(page, 1)
    batch = _start_batch(page, week)
    data = _aerial(week, village, size=(3400, 2600), noise=True, quality=95)
    assert len(data) > 2 * CHUNK + 1
    context = page.context
    seen: list[tuple[int, str]] = []

    def chunks(route):
        request = route.request
        if request.method != "PUT":
            route.continue_()
            return
        offset = _offset(route)
        first_try = all(o != offset for o, _what in seen)
        if offset == CHUNK and first_try:
            seen.append((offset, "dropped"))  # the connection drops before the second chunk arrives
            context.set_offline(True)
            route.abort("internetdisconnected")
        elif offset == 2 * CHUNK and first_try:
            seen.append((offset, "answer lost"))  # the last chunk arrives, but its answer is lost
            route.fetch()
            route.abort("connectionreset")
        else:
            seen.append((offset, "sent"))
            route.continue_()

    context.route(CHUNK_URL, chunks)
    page.locator("#drone-files").set_input_files([_file("DJI_0100.JPG", data)])
    row = page.locator("#upload-files tr")
    expect(row).to_have_attribute("data-state", "retrying")
    expect(row.locator(".status")).to_contain_text("connection lost")
    page.wait_for_timeout(1500)  # a retry or two fail while offline
    context.set_offline(False)
    expect(page.locator("#overall")).to_have_attribute("data-state", "done", timeout=60_000)
    for name, count in (("stored", "1"), ("duplicate", "0"), ("refused", "0"), ("waiting", "0")):
        expect(page.locator(f"#count-{name}")).to_have_text(count)
    expect(page.locator("#overall-percent")).to_have_text("100 %")
    assert seen[0] == (0, "sent") and seen[1] == (CHUNK, "dropped")
    assert (CHUNK, "sent") in seen and (2 * CHUNK, "answer lost") in seen and seen[-1] == (2 * CHUNK, "sent")
    listed = page.request.get(f"/api/v1/drone/photos?batch={batch}").json()
    assert [(p["filename"], p["village"]) for p in listed] == [("DJI_0100.JPG", village["code"])]
    expect(page.locator("#batch-table tr[data-photo]")).to_have_count(1)


def test_choosing_the_same_file_again_after_the_page_was_closed_resumes_it(signed_in, tmp_path):
    week = _week(23)
    page = signed_in("demo_office", **DESKTOP)
    (village,) = _villages(page, 1)
    batch = _start_batch(page, week)
    path = tmp_path / "DJI_0300.JPG"  # a file on disk keeps its modification time: the same key after a reload
    path.write_bytes(_aerial(week, village, size=(3400, 2600), noise=True, quality=95))
    first_page: list[int] = []

    def only_the_first_chunk(route):
        first_page.append(_offset(route))
        if len(first_page) == 1:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route(CHUNK_URL, only_the_first_chunk)
    page.locator("#drone-files").set_input_files(str(path))
    expect(page.locator("#upload-files tr")).to_have_attribute("data-received", str(CHUNK))
    expect(page.locator("#upload-files tr")).to_have_attribute("data-state", "retrying")
    context = page.context
    page.close()  # the tab is closed in the middle of the upload

    again = context.new_page()
    again.goto(f"/drone/upload/?batch={batch}")
    second_page: list[int] = []

    def record(route):
        second_page.append(_offset(route))
        route.continue_()

    again.route(CHUNK_URL, record)
    again.locator("#drone-files").set_input_files(str(path))
    expect(again.locator("#overall")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(again.locator("#count-stored")).to_have_text("1")
    assert first_page[0] == 0 and set(first_page[1:]) == {CHUNK}
    assert second_page == [CHUNK, 2 * CHUNK]  # what the server held was not sent again
    listed = again.request.get(f"/api/v1/drone/photos?batch={batch}").json()
    assert [p["filename"] for p in listed] == ["DJI_0300.JPG"]


def test_the_drone_pages_fit_a_phone(signed_in):
    """360 px wide: no page scrolls sideways (the review is laid out for a desktop or tablet, but works here)."""
    week = _week(22)
    page = signed_in("demo_office", viewport={"width": 360, "height": 800}, locale="en-US")
    (village,) = _villages(page, 1)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token}
    batch = page.request.post("/api/v1/drone/batches", data={"week": week, "name": "phone"}, headers=headers).json()
    stored = []
    for name, over in (("DJI_0200_with_a_long_file_name_from_the_drone.JPG", village), ("DJI_0201.JPG", None)):
        data = _aerial(week, over)
        upload = page.request.post(f"/api/v1/drone/batches/{batch['id']}/uploads", headers=headers,
                                   data={"key": name, "filename": name, "size": len(data)}).json()
        done = page.request.put(f"/api/v1/drone/uploads/{upload['id']}?offset=0", data=data,
                                headers={**headers, "Content-Type": "application/octet-stream"}).json()
        assert done["status"] == "stored"
        stored.append(done["photo"])
    for path in ("/drone/", f"/drone/upload/?week={week}", f"/drone/review/?week={week}",
                 f"/drone/unplaced/?week={week}", f"/drone/coverage/?week={week}", f"/drone/photos/{stored[0]}/",
                 f"/drone/photos/{stored[1]}/"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    page.goto(f"/drone/review/?week={week}")
    page.locator("[data-score='3']").click()  # the on-screen buttons work by touch as the keys do
    expect(page.locator("#review-save")).to_have_attribute("data-state", "saved")
    expect(page.locator("#review-progress")).to_have_text("1 / 1 scored")
