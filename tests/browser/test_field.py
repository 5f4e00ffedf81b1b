"""The inspectors' field app in a real browser on a 360-px phone: pick the nearest village, score its checklist,
attach a camera photo and submit; the same with the network cut (the app opens from the service worker's cache,
the inspection waits on the phone, and arrives once the network returns); and answers lost on the way back, so
that the phone retries what the server already stored and the idempotency keys keep it to one of each. Also:
camera-sized photos are shrunk on the phone, a phone shared by two inspectors sends each one's work only under
their own session, and a photo removed and replaced in a draft never reuses the removed one's key.

Every test inspects a village of its own and counts only the inspections that were not there before it, so the
demo's own inspections (and a week published by another test) do not matter.
"""

import base64
import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from dudao.inspections.scoring import Item, Mark, score

pytestmark = pytest.mark.browser

INSPECTOR = "demo_inspector"  # of 一条山镇's inspection group
OTHER_USER = "demo_office"  # may inspect anywhere in the county: the server would take the inspector's work from it
PASSWORD = "jingtai-demo-2026"
TOWN = "620423100000"  # 一条山镇
PHONE = {"width": 360, "height": 800}
NEAR = 0.0001  # degrees of latitude: about 11 m north of the village point


def _jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    width, height = size
    image = Image.new("RGB", size, (118, 150, 96))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width * .15, height * .43, width * .65, height * .7), fill=(150, 120, 90))
    draw.ellipse((width * .7, height * .13, width * .87, height * .37), fill=(240, 230, 160))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _camera_jpeg() -> bytes:
    """A 4000 × 3000 camera file whose EXIF says "turn 90° clockwise to view" (Orientation 6), as phones store
    photos taken upright; lines all over make it camera-sized (several MB)."""
    image = Image.new("RGB", (4000, 3000), (118, 150, 96))
    draw = ImageDraw.Draw(image)
    for x in range(0, 4000, 7):
        draw.line((x, 0, (x * 3) % 4000, 3000), fill=((x * 7) % 256, (x * 13) % 256, (x * 29) % 256), width=2)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


PHOTO = {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}


def _phone(signed_in, index: int):
    """A signed-in phone standing at the index-th village (by code) of the inspector's township, its app and
    the bootstrap answer (the village and the county's checklist)."""
    page = signed_in(INSPECTOR, viewport=PHONE, locale="en-US", permissions=["geolocation"],
                     geolocation={"latitude": 37.2, "longitude": 104.06, "accuracy": 20})
    answer = page.request.get("/api/v1/field/bootstrap")
    assert answer.ok, answer.text()
    boot = answer.json()
    villages = sorted((v for v in boot["villages"] if v["town"] == TOWN and v["lat"] is not None),
                      key=lambda v: v["code"])
    assert len(villages) > 12
    village = villages[index]
    page.context.set_geolocation({"latitude": village["lat"] + NEAR, "longitude": village["lon"], "accuracy": 12})
    checklist = next(c for c in boot["checklists"] if c["town"] is None)
    return page, village, checklist


def _inspections(page, village: str) -> dict[int, dict]:
    answer = page.request.get(f"/api/v1/inspections?village={village}&limit=1000")
    assert answer.ok, answer.text()
    return {row["id"]: row for row in answer.json()}


def _wait_for(page, condition, timeout_ms: int = 10_000) -> None:
    """Let the browser (and the route handlers, which run only inside Playwright calls) work until condition()."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("timed out")


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _open_nearest(page, village: dict) -> None:
    """The app lists the nearest village first (the phone stands 11 m from it); tap it."""
    first = page.locator("#village-list > li").first
    expect(first).to_have_attribute("data-code", village["code"])
    expect(first.locator(".distance")).to_have_text("11 m")
    first.locator("button").click()
    expect(page.locator("#items fieldset.item")).not_to_have_count(0)
    expect(page.locator("#form-gps")).to_contain_text("±12")
    expect(page.locator("#form-warnings li")).to_have_count(0)  # accurate, and at the village


def _score(page, checklist: dict) -> tuple[float, int]:
    """Full points everywhere but: the first item loses points, a 5-point item gets 3.5 typed in, the first item
    that allows it is not applicable. Returns the expected score (by the server's own scoring) and the item that
    lost points."""
    items = checklist["items"]
    marks = {item["id"]: item["max_points"] for item in items}
    for item in items:
        page.locator(f'[data-item="{item["id"]}"] .points button[data-points="{item["max_points"]:g}"]').click()
    lost = items[0]
    assert not lost["critical"]
    buttons = page.locator(f'[data-item="{lost["id"]}"] .points button')
    lower = buttons.nth(buttons.count() - 2)
    marks[lost["id"]] = float(lower.get_attribute("data-points"))
    lower.click()
    typed = next(i for i in items if i["max_points"] == 5 and not i["allow_na"] and not i["critical"])
    page.locator(f'[data-item="{typed["id"]}"] .points-input').fill("3.5")
    marks[typed["id"]] = 3.5
    na = next(i for i in items if i["allow_na"])
    page.locator(f'[data-item="{na["id"]}"] button.na').click()
    marks[na["id"]] = None
    expected = score([Item(i["id"], i["max_points"], i["weight"], i["critical"], i["allow_na"]) for i in items],
                     [Mark(item_id, points) for item_id, points in marks.items()], checklist["critical_cap"]).score
    expect(page.locator("#running-score")).to_have_attribute("data-score", f"{expected:g}")
    return expected, lost["id"]


def _attach_photo(page) -> None:
    page.locator("#photo-input").set_input_files(files=[PHOTO])
    expect(page.locator("#photo-list li img")).to_have_count(1)


def _full_marks(page, checklist: dict) -> None:
    for item in checklist["items"]:
        page.locator(f'[data-item="{item["id"]}"] .points button[data-points="{item["max_points"]:g}"]').click()


def _kept_photos(page) -> list[bytes]:
    """The photos' bytes as the app keeps them on the phone to send (IndexedDB "photos")."""
    encoded = page.evaluate("""() => new Promise((resolve, reject) => {
      const opened = indexedDB.open('dudao-field');
      opened.onerror = () => reject(opened.error);
      opened.onsuccess = () => {
        const all = opened.result.transaction('photos').objectStore('photos').getAll();
        all.onsuccess = async () => resolve(await Promise.all(all.result.map((blob) => new Promise((done) => {
          const reader = new FileReader();
          reader.onload = () => done(reader.result.split(',')[1]);
          reader.readAsDataURL(blob);
        }))));
      };
    })""")
    return [base64.b64decode(text) for text in encoded]


def test_inspector_scores_a_village_with_a_photo_and_a_problem(signed_in):
    page, village, checklist = _phone(signed_in, 1)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    _no_horizontal_scroll(page)
    _open_nearest(page, village)
    expected, lost_item = _score(page, checklist)
    # The item that lost points raises a problem.
    item = page.locator(f'[data-item="{lost_item}"]')
    item.locator(".problem-toggle").click()
    item.locator(".problem-description").fill("垃圾堆未清运")
    expect(item.locator(".problem-photos")).to_contain_text("the next photo you take goes with this problem")
    _attach_photo(page)
    expect(item.locator(".problem-photos input[type=checkbox]")).to_be_checked()  # the latest photo, by default
    _no_horizontal_scroll(page)
    submit = page.locator("#submit")
    box = submit.bounding_box()
    assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"]  # thumb reach

    submit.click()
    expect(page.locator("#result-text")).to_have_attribute("data-score", f"{expected:g}")
    expect(page.locator("#field-status")).to_have_attribute("data-waiting", "0")

    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert len(new) == 1
    arrived = new[0]
    assert arrived["score"] == expected
    assert arrived["checklist"] == checklist["id"]
    assert not {"poor_accuracy", "far_from_village", "no_position"} & set(arrived["warnings"])
    assert len(arrived["photos"]) == 1
    photo = page.request.get(f"/api/v1/photos/{arrived['photos'][0]}").json()
    assert photo["location_source"] == "device"
    assert photo["lat"] == pytest.approx(village["lat"] + NEAR, abs=1e-6)
    assert len(arrived["problems"]) == 1
    problem = page.request.get(f"/api/v1/problems/{arrived['problems'][0]}").json()
    assert problem["description"] == "垃圾堆未清运"
    assert problem["village"] == village["code"]
    assert problem["category"] == checklist["items"][0]["category"]
    assert problem["before_photos"] == arrived["photos"]


def test_offline_inspection_waits_on_the_phone_and_arrives_once(signed_in, service_worker_in_control):
    page, village, checklist = _phone(signed_in, 4)
    context = page.context
    before = _inspections(page, village["code"])
    page.goto("/field/")
    expect(page.locator("#village-list > li")).not_to_have_count(0)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    service_worker_in_control(page)

    context.set_offline(True)
    response = page.reload()  # the shell comes from the service worker's cache, the data from IndexedDB
    assert response is not None and response.ok and response.from_service_worker
    _no_horizontal_scroll(page)
    _open_nearest(page, village)
    expected, _lost = _score(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-waiting", "1")
    expect(page.locator("#result.queued")).to_be_visible()

    # Still on the phone after the app is closed and opened again without a signal.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(status).to_have_attribute("data-waiting", "1")
    expect(page.locator("#outbox-list > li")).to_have_count(1)
    expect(page.locator("#outbox-list > li")).to_have_attribute("data-state", "waiting")
    online = signed_in(INSPECTOR)  # another device that has a signal sees nothing yet
    assert _inspections(online, village["code"]).keys() == before.keys()

    context.set_offline(False)  # the browser fires "online": the outbox drains
    expect(status).to_have_attribute("data-waiting", "0", timeout=20_000)
    expect(page.locator("#outbox-list > li")).to_have_count(0)
    new = [row for key, row in _inspections(online, village["code"]).items() if key not in before]
    assert len(new) == 1
    assert new[0]["score"] == expected
    assert len(new[0]["photos"]) == 1

    # Another retry round finds nothing to send and stores nothing.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_attribute("data-sending", "false")
    assert len(_inspections(online, village["code"])) == len(before) + 1


def test_lost_answers_are_retried_without_duplicates(signed_in):
    """The server stores the photo, then the inspection, but each answer is lost on the way back: the phone sends
    both again with the same keys and gets the stored ones back."""
    page, village, checklist = _phone(signed_in, 7)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    stored: list[tuple[str, int, dict]] = []

    def lose_the_answer(route):
        response = route.fetch()  # the server does the work...
        stored.append((route.request.url.rsplit("/", 1)[-1], response.status, response.json()))
        route.abort("connectionreset")  # ...and the phone never hears of it

    page.route("**/api/v1/photos", lose_the_answer, times=1)
    page.route("**/api/v1/inspections", lose_the_answer, times=1)
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url.rsplit("/", 1)[-1], r.status))
            if r.request.method == "POST" and urlsplit(r.url).path != "/api/v1/devices" else None)
    status = page.locator("#field-status")

    _open_nearest(page, village)
    expected, _lost = _score(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    _wait_for(page, lambda: len(stored) == 1)
    expect(status).to_have_attribute("data-sending", "false")
    expect(status).to_have_attribute("data-waiting", "1")
    assert [(name, code) for name, code, _ in stored] == [("photos", 201)]

    page.evaluate("window.dispatchEvent(new Event('online'))")  # retry: the photo again, then the inspection
    _wait_for(page, lambda: len(stored) == 2)
    expect(status).to_have_attribute("data-sending", "false")
    expect(status).to_have_attribute("data-waiting", "1")
    assert [(name, code) for name, code, _ in stored] == [("photos", 201), ("inspections", 201)]

    page.evaluate("window.dispatchEvent(new Event('online'))")  # retry: the inspection again
    expect(status).to_have_attribute("data-waiting", "0")
    assert answers == [("photos", 200), ("inspections", 200)]  # 200: already stored, not created again
    photo_id = stored[0][2]["id"]
    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert len(new) == 1
    assert new[0]["id"] == stored[1][2]["id"]
    assert new[0]["score"] == expected
    assert new[0]["photos"] == [photo_id]


def test_the_signal_back_while_a_send_is_failing_sends_at_once(signed_in):
    """The "online" event arrives while the round that is sending fails for want of a signal: the app sends again
    at once instead of waiting for the next retry, 30 s later (a clean-clone run once timed out on this race)."""
    page, village, checklist = _phone(signed_in, 6)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    held: list = []
    page.route("**/api/v1/photos", lambda route: held.append(route), times=1)
    _open_nearest(page, village)
    _full_marks(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    status = page.locator("#field-status")
    _wait_for(page, lambda: len(held) == 1)
    expect(status).to_have_attribute("data-sending", "true")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the signal is back, the request still hangs
    held[0].abort("internetdisconnected")  # then that request fails
    expect(status).to_have_attribute("data-sending", "false")
    assert status.get_attribute("data-waiting") == "0"
    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert [len(row["photos"]) for row in new] == [1]


def test_draft_is_kept_on_the_phone_and_restored(signed_in):
    page, village, checklist = _phone(signed_in, 10)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    _open_nearest(page, village)
    first, second = checklist["items"][0], checklist["items"][1]
    page.locator(f'[data-item="{first["id"]}"] .points button').nth(1).click()
    page.locator(f'[data-item="{second["id"]}"] .points button[data-points="{second["max_points"]:g}"]').click()
    _attach_photo(page)
    page.locator("#form-note").fill("东侧巷道待复查")
    running = page.locator("#running-score").get_attribute("data-score")
    page.locator("#save-draft").click()
    expect(page.locator("#field")).to_have_attribute("data-screen", "home")
    expect(page.locator(f'#draft-list > li[data-code="{village["code"]}"]')).to_have_count(1)

    page.reload()  # the app closed and opened again
    page.locator(f'#draft-list > li[data-code="{village["code"]}"] button').click()
    expect(page.locator(f'[data-item="{first["id"]}"] .points button').nth(1)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f'[data-item="{second["id"]}"] .points button').last).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#photo-list li img")).to_have_count(1)
    expect(page.locator("#form-note")).to_have_value("东侧巷道待复查")
    expect(page.locator("#running-score")).to_have_attribute("data-score", running or "")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#discard-draft").click()
    expect(page.locator("#field")).to_have_attribute("data-screen", "home")
    expect(page.locator("#draft-list > li")).to_have_count(0)
    assert _inspections(page, village["code"]).keys() == before.keys()


def test_refused_inspection_shows_the_reason_and_can_be_deleted(signed_in):
    """A "photo" that is not one: the server refuses it (422), the phone stops retrying, shows why, and lets the
    inspector delete the inspection."""
    page, village, checklist = _phone(signed_in, 12)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    _open_nearest(page, village)
    for item in checklist["items"]:
        page.locator(f'[data-item="{item["id"]}"] .points button[data-points="{item["max_points"]:g}"]').click()
    page.locator("#photo-input").set_input_files(
        files=[{"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 not a photo at all"}])
    page.locator("#submit").click()
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-failed", "1")
    expect(status).to_have_attribute("data-waiting", "0")

    page.locator("#result-home").click()
    entry = page.locator("#outbox-list > li")
    expect(entry).to_have_attribute("data-state", "failed")
    expect(entry.locator(".state")).to_contain_text("not a photo")
    page.once("dialog", lambda dialog: dialog.accept())
    entry.locator("button.delete").click()
    expect(entry).to_have_count(0)
    expect(status).to_have_attribute("data-failed", "0")
    assert _inspections(page, village["code"]).keys() == before.keys()


def test_camera_photos_are_shrunk_on_the_phone(signed_in):
    """A 4000 × 3000 camera file leaves the phone as a JPEG of at most 2000 px, upright by its EXIF orientation,
    with the phone's position and the capture time sent beside it (the shrunk copy has no EXIF)."""
    page, village, checklist = _phone(signed_in, 2)
    before = _inspections(page, village["code"])
    original = _camera_jpeg()
    assert len(original) > 2_000_000
    page.goto("/field/")
    _open_nearest(page, village)
    _full_marks(page, checklist)
    page.locator("#photo-input").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(page.locator("#photo-list li img")).to_have_count(1)
    kept = _kept_photos(page)  # what the phone keeps, and sends
    assert len(kept) == 1
    assert len(kept[0]) < len(original) / 3
    with Image.open(io.BytesIO(kept[0])) as shrunk:
        assert shrunk.format == "JPEG"
        assert shrunk.size == (1500, 2000)  # turned upright: the EXIF orientation was applied
    page.locator("#submit").click()
    expect(page.locator("#result-text")).to_have_attribute("data-score", "100")

    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert len(new) == 1 and len(new[0]["photos"]) == 1
    photo = page.request.get(f"/api/v1/photos/{new[0]['photos'][0]}").json()
    assert photo["width"] <= 1600 and photo["height"] <= 1600
    assert photo["height"] > photo["width"]
    assert photo["location_source"] == "device"
    assert photo["taken_at"] is not None


def _sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def _sign_out(page) -> None:
    page.goto("/")
    page.locator("form.signout button[type=submit]").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/accounts/login/")


def test_a_shared_phone_sends_each_inspection_only_for_its_own_inspector(new_context, signed_in,
                                                                        service_worker_in_control):
    """The inspector queues an inspection without a signal and signs out; a colleague signs in on the same phone
    and opens the field app, first without a signal (the service worker shows the page the inspector left), then
    with one: the app loads the colleague's own page and sends nothing of the inspector's, but says whose it is.
    Once the inspector signs in again, it goes."""
    phone = new_context(viewport=PHONE, locale="en-US", permissions=["geolocation"],
                        geolocation={"latitude": 37.2, "longitude": 104.06, "accuracy": 20})
    posts: list[str] = []
    phone.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/api/v1/" in r.url else None)
    page = phone.new_page()
    _sign_in(page, INSPECTOR)  # a session of its own: signing it out leaves the other tests' sessions alone
    boot = page.request.get("/api/v1/field/bootstrap").json()
    village = sorted((v for v in boot["villages"] if v["town"] == TOWN and v["lat"] is not None),
                     key=lambda v: v["code"])[5]
    checklist = next(c for c in boot["checklists"] if c["town"] is None)
    phone.set_geolocation({"latitude": village["lat"] + NEAR, "longitude": village["lon"], "accuracy": 12})
    watcher = signed_in(INSPECTOR)  # another device, with a signal, to see what arrives
    before = _inspections(watcher, village["code"])

    page.goto("/field/")
    # The app has its data (kept on the phone) and the service worker its copy before the signal goes: going
    # offline while the first bootstrap is on its way leaves the app with nothing to list.
    expect(page.locator("#village-list > li")).not_to_have_count(0)
    service_worker_in_control(page)
    phone.set_offline(True)
    _open_nearest(page, village)
    _full_marks(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    expect(page.locator("#field-status")).to_have_attribute("data-waiting", "1")
    page.close()  # the app is closed; back in the office, with a signal, the inspector signs out

    page = phone.new_page()
    phone.set_offline(False)
    _sign_out(page)
    _sign_in(page, OTHER_USER)
    posts.clear()  # the inspector's own attempts without a signal
    phone.set_offline(True)
    page.goto("/field/")  # the service worker's copy: the page the inspector left, with the inspector's outbox
    config = "JSON.parse(document.getElementById('field-config').textContent).username"
    assert page.evaluate(config) == INSPECTOR
    expect(page.locator("#field-status")).to_have_attribute("data-waiting", "1")

    phone.set_offline(False)  # the server says who is signed in: the colleague's own page is loaded
    entry = page.locator(f'#outbox-list > li[data-owner="{INSPECTOR}"]')
    expect(entry.locator(".state")).to_contain_text(f"sign in as {INSPECTOR}")
    assert page.evaluate(config) == OTHER_USER
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-waiting", "0")
    expect(status).to_have_attribute("data-others", "1")
    expect(entry.locator("button.delete")).to_be_hidden()  # not the colleague's to delete
    page.evaluate("window.dispatchEvent(new Event('online'))")  # another round: still nothing to send
    expect(status).to_have_attribute("data-sending", "false")
    page.wait_for_timeout(500)
    # Nothing of the inspector's; the colleague's app registered this phone as the colleague's device (issue 17).
    assert [url for url in posts if urlsplit(url).path != "/api/v1/devices"] == []
    assert _inspections(watcher, village["code"]).keys() == before.keys()

    _sign_out(page)
    _sign_in(page, INSPECTOR)
    page.goto("/field/")
    expect(page.locator("#sent-list > li")).to_have_count(1, timeout=20_000)
    expect(page.locator("#field-status")).to_have_attribute("data-waiting", "0")
    expect(page.locator("#outbox-list > li")).to_have_count(0)
    new = [row for key, row in _inspections(watcher, village["code"]).items() if key not in before]
    assert len(new) == 1
    assert len(new[0]["photos"]) == 1


def test_a_photo_removed_and_another_taken_arrives_as_itself(signed_in):
    """The server refuses an inspection after its two photos arrived; the inspector edits it, removes the second
    photo and takes another: that one gets a key of its own, and the server stores it rather than answering with
    the removed photo."""
    page, village, checklist = _phone(signed_in, 8)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    page.route("**/api/v1/inspections", lambda route: route.fulfill(
        status=422, json={"detail": "Refused for the test."}), times=1)
    uploaded: list[tuple[int, int]] = []
    page.on("response", lambda r: uploaded.append((r.status, r.json()["id"]))
            if r.request.method == "POST" and r.url.endswith("/api/v1/photos") and r.ok else None)
    _open_nearest(page, village)
    _full_marks(page, checklist)
    page.locator("#photo-input").set_input_files(files=[
        PHOTO, {"name": "second.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((1024, 768))}])
    expect(page.locator("#photo-list li img")).to_have_count(2)
    page.locator("#submit").click()
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-failed", "1")
    assert [code for code, _ in uploaded] == [201, 201]
    first, removed = (photo_id for _, photo_id in uploaded)

    page.locator("#result-home").click()
    page.locator("#outbox-list > li button.edit").click()
    expect(page.locator("#photo-list li img")).to_have_count(2)
    page.locator("#photo-list li").last.locator("button").click()
    expect(page.locator("#photo-list li img")).to_have_count(1)
    page.locator("#photo-input").set_input_files(
        files=[{"name": "third.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((600, 800))}])
    expect(page.locator("#photo-list li img")).to_have_count(2)
    assert page.locator("#photo-list li").evaluate_all("items => items.map(i => i.dataset.n)") == ["1", "3"]
    page.locator("#submit").click()
    expect(page.locator("#result-text")).to_have_attribute("data-score", "100")
    expect(status).to_have_attribute("data-waiting", "0")

    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert len(new) == 1
    photos = new[0]["photos"]
    assert len(photos) == 2 and first in photos and removed not in photos
    third = page.request.get(f"/api/v1/photos/{max(photos)}").json()
    assert (third["width"], third["height"]) == (600, 800)


def test_an_item_sent_after_the_session_changed_is_refused_and_waits(new_context, signed_in):
    """The app is open for the inspector while, in another tab, the phone is signed out and a colleague signs in:
    the server refuses the inspector's item under the colleague's session (409), the app finds out who is signed
    in now, loads the colleague's page, and the item waits for the inspector."""
    phone = new_context(viewport=PHONE, locale="en-US", permissions=["geolocation"],
                        geolocation={"latitude": 37.2, "longitude": 104.06, "accuracy": 20})
    page = phone.new_page()
    _sign_in(page, INSPECTOR)
    boot = page.request.get("/api/v1/field/bootstrap").json()
    village = sorted((v for v in boot["villages"] if v["town"] == TOWN and v["lat"] is not None),
                     key=lambda v: v["code"])[11]
    checklist = next(c for c in boot["checklists"] if c["town"] is None)
    phone.set_geolocation({"latitude": village["lat"] + NEAR, "longitude": village["lon"], "accuracy": 12})
    watcher = signed_in(INSPECTOR)
    before = _inspections(watcher, village["code"])
    page.goto("/field/")
    page.route("**/api/v1/photos", lambda route: route.abort("internetdisconnected"))  # a dead link for now
    _open_nearest(page, village)
    _full_marks(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-sending", "false")
    expect(status).to_have_attribute("data-waiting", "1")

    other = phone.new_page()
    _sign_out(other)
    _sign_in(other, OTHER_USER)
    other.close()
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.request.method == "POST"
            and urlsplit(r.url).path != "/api/v1/devices" else None)
    page.unroute("**/api/v1/photos")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    entry = page.locator(f'#outbox-list > li[data-owner="{INSPECTOR}"]')
    expect(entry.locator(".state")).to_contain_text(f"sign in as {INSPECTOR}")
    assert page.evaluate("JSON.parse(document.getElementById('field-config').textContent).username") == OTHER_USER
    # Signing out revoked the inspector's device token (401); the app then tried the session, the colleague's (409).
    assert answers == [401, 409]
    assert _inspections(watcher, village["code"]).keys() == before.keys()


def test_a_draft_begun_long_ago_is_dated_when_it_is_submitted(signed_in):
    """A draft begun 20 days ago and finished today is an inspection of today (the server would refuse one dated
    more than 14 days back, and its week would be long gone)."""
    page, village, checklist = _phone(signed_in, 3)
    before = _inspections(page, village["code"])
    page.goto("/field/")
    _open_nearest(page, village)
    _full_marks(page, checklist)
    page.locator("#save-draft").click()
    expect(page.locator(f'#draft-list > li[data-code="{village["code"]}"]')).to_have_count(1)
    page.evaluate("""() => new Promise((resolve, reject) => {
      const opened = indexedDB.open('dudao-field');
      opened.onsuccess = () => {
        const drafts = opened.result.transaction('drafts', 'readwrite').objectStore('drafts');
        const all = drafts.getAll();
        all.onsuccess = () => {
          for (const draft of all.result) {
            draft.started_at = new Date(Date.now() - 20 * 86400000).toISOString();
            drafts.put(draft);
          }
          drafts.transaction.oncomplete = resolve;
        };
      };
      opened.onerror = () => reject(opened.error);
    })""")
    page.reload()
    page.locator(f'#draft-list > li[data-code="{village["code"]}"] button').click()
    page.locator("#submit").click()
    expect(page.locator("#result-text")).to_have_attribute("data-score", "100")
    new = [row for key, row in _inspections(page, village["code"]).items() if key not in before]
    assert len(new) == 1
    inspected = dt.datetime.fromisoformat(new[0]["inspected_at"])
    received = dt.datetime.fromisoformat(new[0]["received_at"])
    assert abs(received - inspected) < dt.timedelta(minutes=5)


def test_a_registered_phone_syncs_with_its_device_token_after_the_session_expired(signed_in, tmp_path):
    """Issue 17: the field app registers the phone (a device token kept in IndexedDB); the session then lapses
    (its cookies are gone) while the phone has no signal; an inspection made offline is sent once the signal is
    back, with the token, and counts as the inspector's. Revoking the device on the account page cuts it off: the
    next sync is refused and the app asks to sign in again."""
    page, village, checklist = _phone(signed_in, 9)
    context = page.context
    watcher = signed_in(INSPECTOR)
    before = _inspections(watcher, village["code"])
    page.goto("/field/")
    expect(page.locator("#village-list > li")).not_to_have_count(0)
    expect(page.locator("#field")).to_have_attribute("data-device", re.compile(r"^\d+$"))
    device = int(page.locator("#field").get_attribute("data-device") or "0")
    account = watcher.context.new_page()
    account.goto("/account/")
    expect(account.locator(f'#devices tr[data-device="{device}"]')).to_contain_text("Linux · Chrome")

    context.clear_cookies()  # the session expired
    context.set_offline(True)
    _open_nearest(page, village)
    expected, _lost = _score(page, checklist)
    _attach_photo(page)
    page.locator("#submit").click()
    status = page.locator("#field-status")
    expect(status).to_have_attribute("data-waiting", "1")
    context.set_offline(False)
    expect(status).to_have_attribute("data-waiting", "0", timeout=20_000)
    new = [row for key, row in _inspections(watcher, village["code"]).items() if key not in before]
    assert len(new) == 1
    assert (new[0]["score"], len(new[0]["photos"])) == (expected, 1)
    expect(page.locator("#sign-in-again")).to_be_hidden()

    account.reload()
    account.locator(f'#devices tr[data-device="{device}"] button[type=submit]').click()
    expect(account.locator(f'#devices tr[data-device="{device}"]')).to_have_count(0)
    page.locator("#result-home").click()
    _open_nearest(page, village)
    _full_marks(page, checklist)
    page.locator("#submit").click()
    expect(page.locator("#sign-in-again")).to_be_visible(timeout=20_000)
    expect(status).to_have_attribute("data-waiting", "1")
    expect(page.locator("#field")).not_to_have_attribute("data-device", re.compile(r"."))
    account.screenshot(path=str(tmp_path / "field-device-revoked.png"), full_page=True)
