"""The public portal on a phone without JavaScript, in a real browser, with a screenshot (in this run's pytest
temporary folder): the latest published week's green and red lists, as the server's database holds them, fit the
phone's width; no cookie is set."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


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
    page.locator("#list-red ol.villages li a").first.click()
    expect(page.locator("#village-weeks tbody tr").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "public-village-phone.png"), full_page=True)
