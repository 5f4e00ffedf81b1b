"""The sign-in page in a real browser: Chinese by default, errors stay on the page, small screens fit."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "jingtai-demo-2026"


def _submit(page, username: str, password: str) -> None:
    form = page.locator("main form[method=post]")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def test_sign_in_page_is_chinese(page):
    page.goto("/accounts/login/")

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.locator("main h1")).to_have_text("登录")


def test_wrong_password_stays_on_the_page_and_right_one_lands_home(page):
    page.goto("/accounts/login/")

    with page.expect_navigation():
        _submit(page, "demo_admin", "not-the-password")
    assert urlsplit(page.url).path == "/accounts/login/"
    expect(page.locator("main [role=alert]")).to_be_visible()
    expect(page.locator("main [role=alert]")).not_to_be_empty()
    expect(page.locator("main input[name=username]")).to_have_value("demo_admin")

    with page.expect_navigation():
        _submit(page, "demo_admin", DEMO_PASSWORD)
    assert urlsplit(page.url).path == "/"
    expect(page.locator("main [role=alert]")).to_have_count(0)
    expect(page.locator("main h1")).to_contain_text("演示管理员")  # the demo admin's display name


def test_sign_in_fits_a_small_phone(new_context):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto("/accounts/login/")

    submit = page.locator("main form[method=post] button[type=submit]")
    expect(submit).to_be_visible()
    expect(submit).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
