"""The weekly round in a real browser, end to end: a township orders its villages by dragging (and with the ↑/↓
buttons) on a phone-sized screen and submits; the office (the other sources come from the field) computes and requests
publication; a second office user approves; the result table shows the tier colours and the village page explains
the composite.

All of it is one test: publishing closes the current week for the whole session's server, so no other test may
rely on it afterwards, and this one relies on nothing done before (the week is read from the pages).
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

XIQUAN = "620423103000"
RED = "rgb(192, 57, 43)"  # the default red colour, #c0392b
GREEN = "rgb(27, 127, 59)"  # #1b7f3b


def _order(page) -> list[str]:
    return page.locator("#order-list input[name=code]").evaluate_all("inputs => inputs.map(i => i.value)")


def _drag(page, source, target) -> None:
    """Press the source handle, move in small steps to just above the target item, release (SortableJS runs on
    pointer events, as it does for a finger on a phone)."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 8, steps=4)
    page.mouse.move(x, end["y"] + 4, steps=25)
    page.mouse.move(x, end["y"] + 2, steps=3)
    page.mouse.up()


def test_township_drags_office_computes_second_office_user_approves(signed_in, tmp_path):
    # 1. The township, on a phone-sized screen.
    town = signed_in("demo_town", viewport={"width": 360, "height": 800}, locale="en-US")
    town.goto("/ranking/submit/")
    expect(town.locator("#order-list.sortable-ready")).to_be_visible()
    items = town.locator("#order-list > li")
    count = items.count()
    assert count >= 10
    before = _order(town)
    assert all(code.startswith("620423103") for code in before)
    # The ↑/↓ buttons fit on the phone's screen.
    box = items.nth(0).locator("button.move.down").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360 and box["height"] >= 40

    # A real drag: the fifth village by its handle to the top.
    items.nth(0).evaluate("li => li.scrollIntoView({block: 'start'})")
    dragged = before[4]
    _drag(town, items.nth(4).locator(".handle"), items.nth(0))
    expect(items.nth(0)).to_have_attribute("data-code", dragged)
    assert _order(town) == [dragged] + before[:4] + before[5:]
    expect(items.nth(0).locator(".pos")).to_have_text("1")
    expect(town.locator("#order-form .unsaved")).to_be_visible()

    # The buttons: down and up again, then the last village one place up.
    items.nth(0).locator("button.move.down").click()
    expect(items.nth(1)).to_have_attribute("data-code", dragged)
    items.nth(1).locator("button.move.up").click()
    expect(items.nth(0)).to_have_attribute("data-code", dragged)
    expect(items.nth(0).locator("button.move.up")).to_be_disabled()
    items.nth(count - 1).locator("button.move.up").click()
    expected = [dragged] + before[:4] + before[5:]
    expected[-2], expected[-1] = expected[-1], expected[-2]
    assert _order(town) == expected
    expect(town.locator("#order-live")).to_contain_text(f"position {count - 1}")

    with town.expect_navigation():
        town.locator("#order-form button[type=submit]").click()
    assert urlsplit(town.url).query == f"town={XIQUAN}"
    expect(town.locator(".flash.success")).to_contain_text(f"Submitted the ranking of {count} villages")
    expect(town.locator("#submission-status")).to_contain_text(re.compile(r"Submitted by \S.* \(township staff\)"))
    town.reload()
    assert _order(town) == expected  # the page starts from the order just submitted

    # 2. The office: compute and request publication.
    office = signed_in("demo_office", locale="en-US")
    office.goto("/ranking/")
    week = office.locator(".week-nav input[name=week]").input_value()
    assert re.fullmatch(r"\d{4}-W\d{2}", week)
    # Who submitted, by name and role.
    expect(office.locator(f'#town-submissions tr[data-town="{XIQUAN}"]')).to_contain_text("(township staff)")
    # This week's inspection and drone rankings come from the field inspections and the scored drone photos:
    # the page says so, and there is nothing to upload for them.
    expect(office.locator("body")).to_contain_text("field inspections (fed automatically)")
    expect(office.locator("body")).to_contain_text("drone photos (fed automatically)")
    expect(office.locator("body")).not_to_contain_text("field:")
    with office.expect_navigation():
        office.locator("button[name=action][value=compute]").click()
    expect(office.locator("#round-status")).to_have_class(re.compile("status-computed"))
    # Townships are missing this week: what is missing stands next to the buttons, and requesting publication
    # needs a reason. The browser asks for it first; the server refuses it too.
    missing = office.locator("#readiness-towns [data-town]")
    assert missing.count() >= 1
    expect(office.locator("#readiness-towns")).to_contain_text("not submitted")
    reason = office.locator("#publish-form textarea[name=publish_reason]")
    office.locator("button[name=action][value=request]").click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    expect(office.locator("#round-status")).to_have_class(re.compile("status-computed"))
    reason.evaluate("el => el.removeAttribute('required')")
    with office.expect_navigation():
        office.locator("button[name=action][value=request]").click()
    expect(office.locator(".flash.error")).to_contain_text("state the reason for publishing week")
    expect(office.locator("#round-status")).to_have_class(re.compile("status-computed"))
    office.screenshot(path=str(tmp_path / "publish-refused-without-reason.png"), full_page=True)
    office.locator("#publish-form textarea[name=publish_reason]").fill("三个乡镇因停电未能报送，按期发布")
    with office.expect_navigation():
        office.locator("button[name=action][value=request]").click()
    expect(office.locator("#round-status")).to_have_class(re.compile("status-pending"))
    expect(office.locator("#round-publish-reason")).to_have_text("三个乡镇因停电未能报送，按期发布")
    expect(office.locator("#awaiting")).to_contain_text("another office user must approve it")
    expect(office.locator("button[name=action][value=approve]")).to_have_count(0)

    # 3. A second office user approves, which publishes.
    admin = signed_in("demo_admin", locale="en-US")
    admin.goto(f"/ranking/?week={week}")
    # Approving asks for a confirmation naming the week and its counts; without it nothing happens.
    confirm = admin.locator("#confirm-label")
    expect(confirm).to_contain_text(f"I confirm publishing week {week}:")
    admin.locator("button[name=action][value=approve]").click()
    assert confirm.locator("input").evaluate("el => el.validity.valueMissing") is True
    confirm.locator("input").evaluate("el => el.removeAttribute('required')")
    with admin.expect_navigation():
        admin.locator("button[name=action][value=approve]").click()
    expect(admin.locator(".flash.error")).to_contain_text(f"Confirm the week and its counts before publishing week {week}.")
    expect(admin.locator("#round-status")).to_have_class(re.compile("status-pending"))
    admin.locator("#confirm-label input").check()
    with admin.expect_navigation():
        admin.locator("button[name=action][value=approve]").click()
    expect(admin.locator("#round-status")).to_have_class(re.compile("status-published"))
    expect(admin.locator("#round-publish-reason")).to_have_text("三个乡镇因停电未能报送，按期发布")
    admin.screenshot(path=str(tmp_path / "published-with-reason.png"), full_page=True)
    expect(admin.locator(".flash.success")).to_contain_text(f"Week {week} is published")
    expect(admin.locator("#round-state")).to_contain_text(re.compile(r"approved by \S.* \(county administrator\)"))

    # 4. The result table: tiers as coloured badges.
    with admin.expect_navigation():
        admin.locator(f'#round-state a[href="/ranking/{week}/"]').click()
    table = admin.locator("#results")
    # The first page (50 rows) holds the green places; the tier filter shows the red ones.
    green = table.locator(".tier[data-tier=green]")
    assert green.count() >= 30
    assert green.first.evaluate("el => getComputedStyle(el).backgroundColor") == GREEN
    expect(admin.locator("#agreement")).to_be_visible()
    admin.goto(f"/ranking/{week}/?tier=red")
    red = table.locator(".tier[data-tier=red]")
    assert red.count() >= 30
    assert red.first.evaluate("el => getComputedStyle(el).backgroundColor") == RED
    assert red.first.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"

    # 5. The dragged village's page explains its composite: first of its township.
    admin.goto(f"/ranking/{week}/?town={XIQUAN}")
    with admin.expect_navigation():
        table.locator(f'tr[data-code="{dragged}"] a').first.click()
    explanation = admin.locator("#explanation")
    town_part = explanation.locator("li[data-source=town]")
    expect(town_part).to_have_attribute("data-r", "1.0")
    expect(town_part).to_contain_text(f"rank r = 1 of {count}")
    expect(town_part).to_contain_text(f"p = ({count} − 1 + 0.5) / {count}")
    expect(explanation.locator("#composite-value")).to_have_text(re.compile(r"^\d+\.\d{6}$"))
    expect(explanation.locator("#tier-explanation .tier")).to_be_visible()

    # The township sees the same week published, and its submission page is closed.
    town.goto("/ranking/submit/")
    expect(town.locator("#submission-closed")).to_be_visible()
    expect(town.locator("#order-list")).to_have_count(0)
