"""The unit tree's live search (htmx) in a real browser: pinyin initials, rare characters, area limits."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DASHUIZHE = "\u5927\u6c34\u40ce\u6751"  # 大水䃎村; U+40CE is in CJK Extension A


def _wait_for_search(page, text: str):
    """Type into the search box and wait until htmx has fetched the results for it."""
    def is_search_for_text(response) -> bool:
        url = urlsplit(response.url)
        return url.path == "/units/search/" and parse_qs(url.query).get("q") == [text]

    with page.expect_response(is_search_for_text) as info:
        page.locator("#unit-search").fill(text)
    response = info.value
    assert response.ok
    return response


def test_pinyin_initials_and_names_find_units(signed_in):
    page = signed_in("demo_admin")
    page.goto("/units/")

    page.locator("#unit-search").fill("dsz")
    link = page.locator("#search-results").get_by_role("link", name=DASHUIZHE, exact=True)
    expect(link).to_be_visible()
    assert link.text_content() == DASHUIZHE
    assert "\u40ce" in page.locator("#search-results").inner_text()
    assert urlsplit(page.url).path == "/units/" and not urlsplit(page.url).query  # live search, no page load

    page.locator("#unit-search").fill("一条山")
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="一条山镇", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name=DASHUIZHE, exact=True)).to_have_count(0)


def test_township_staff_search_only_their_township(signed_in):
    page = signed_in("demo_town")  # township staff of 喜泉镇
    page.goto("/units/")
    results = page.locator("#search-results")

    _wait_for_search(page, "一条山")  # 一条山镇 is another township
    expect(results).to_contain_text("一条山")  # the "no unit matches" note names the query
    expect(results.get_by_role("link")).to_have_count(0)

    _wait_for_search(page, "dsz")
    expect(results.get_by_role("link", name=DASHUIZHE, exact=True)).to_be_visible()
