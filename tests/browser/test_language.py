"""The language buttons in the footer switch the whole page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _switch_to_english(page) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.locator("footer").get_by_role("button", name="English", exact=True).click()
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("footer").get_by_role("button", name="English", exact=True)).to_have_class("link current")


def test_english_button_on_the_sign_in_page(page):
    page.goto("/accounts/login/")

    _switch_to_english(page)
    assert page.url.endswith("/accounts/login/")
    expect(page.locator("main h1")).to_have_text("Sign in")


def test_english_button_on_the_unit_tree(signed_in):
    page = signed_in("demo_admin")
    page.goto("/units/")

    _switch_to_english(page)
    assert page.url.endswith("/units/")
    expect(page.locator("main h1")).to_have_text("Units")
