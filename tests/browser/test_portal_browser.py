"""The public portal on a phone without JavaScript, in a real browser, with a screenshot (in this run's pytest
temporary folder): the latest published week's green and red lists, as the server's database holds them, fit the
phone's width; no cookie is set."""

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _jpeg() -> bytes:
    image = Image.new("RGB", (800, 600), (120, 160, 90))
    ImageDraw.Draw(image).rectangle((200, 150, 600, 450), fill=(200, 60, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def test_the_latest_weeks_lists_on_a_phone_without_javascript(new_context, server_db, tmp_path):
    from dudao.ranking.models import Result, Round

    latest = Round.objects.using(server_db).filter(status="published").order_by("-week_start").first()
    green = Result.objects.using(server_db).filter(round=latest, tier="green").count()
    red = Result.objects.using(server_db).filter(round=latest, tier="red").count()
    context = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                          java_script_enabled=False)
    page = context.new_page()
    page.goto("/public/")
    expect(page.locator("h1")).to_contain_text(latest.week.split("-W")[0] + "年第")
    expect(page.locator("#list-green ol.villages li")).to_have_count(green)
    expect(page.locator("#list-red ol.villages li")).to_have_count(red)
    expect(page.locator("#list-green h2")).to_contain_text("绿榜")
    expect(page.locator("#list-red h2")).to_contain_text("红榜")
    for part in ("#figures", "#list-red", "#towns table"):  # nothing wider than the phone
        assert page.locator(part).bounding_box()["width"] <= PHONE["width"], part
    page.screenshot(path=str(tmp_path / "public-phone.png"), full_page=True)
    assert (tmp_path / "public-phone.png").stat().st_size > 10_000
    assert context.cookies() == []
    with page.expect_navigation(wait_until="load"):  # a screenshot while the page still loads failed once (in CI)
        page.locator("#list-red ol.villages li a").first.click()
    expect(page.locator("#village-weeks tbody tr").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "public-village-phone.png"), full_page=True)


def test_a_townships_good_practice_published_by_the_office_and_read_on_a_phone(new_context, signed_in, server_db,
                                                                                 tmp_path, image_loaded):
    """喜泉镇 writes up what worked and submits it; the office publishes it; a villager reads it on a phone without
    JavaScript, with its photo (a re-encoded copy) and the township, never the author."""
    from dudao.practices.models import Practice

    title = "保洁员兼任监督员（浏览器测试）"
    town = signed_in("demo_town")
    town.goto("/practices/new/")
    form = town.locator("#practice-form")
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=text]").fill("每名保洁员包片到户，每天巡查，发现问题当场提醒。\n大水䃎村试行两周。")
    form.locator("input[name=photo]").set_input_files(
        files=[{"name": "practice.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    with town.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(town.locator("#practice-state")).to_have_attribute("data-status", "draft")
    with town.expect_navigation():
        town.locator("button[name=action][value=submit]").click()
    expect(town.locator("#practice-state")).to_have_attribute("data-status", "submitted")
    practice = Practice.objects.using(server_db).get(title=title)
    assert practice.author_label == "demo_town"

    office = signed_in("demo_office")
    office.goto(f"/practices/{practice.pk}/")
    with office.expect_navigation():
        office.locator("button[name=action][value=publish]").click()
    expect(office.locator("#practice-state")).to_have_attribute("data-status", "published")

    context = new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                          java_script_enabled=False)
    page = context.new_page()
    page.goto("/public/practices/")
    page.locator("#practices a", has_text=title).click()
    expect(page.locator("#practice h1")).to_have_text(title)
    expect(page.locator("#practice-town")).to_contain_text(practice.town.name)
    expect(page.locator("#practice-text")).to_contain_text("大水䃎村试行两周")
    page.wait_for_load_state("load")
    assert image_loaded(page.locator("#practice img")) > 0
    assert "demo_town" not in page.content()
    assert page.locator("#practice").bounding_box()["width"] <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "public-practice-phone.png"), full_page=True)
    assert (tmp_path / "public-practice-phone.png").stat().st_size > 10_000
    assert context.cookies() == []
