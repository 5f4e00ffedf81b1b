"""A village's trend in a real browser, with screenshots (in this run's pytest temporary folder): the ECharts
chart is drawn on its canvas (not blank), the table under it lists every published week; the township's tiers and
the tier transitions (a Sankey) are drawn too."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DASHUI = "620423103200"  # 大水䃎村
XIQUAN = "620423103000"  # 喜泉镇


def _painted(chart) -> int:
    """How many pixels of the chart's canvas are not the white page."""
    image = Image.open(io.BytesIO(chart.locator("canvas").first.screenshot())).convert("RGB")
    return sum(1 for y in range(0, image.height, 2) for x in range(0, image.width, 2)
               if max(255 - c for c in image.getpixel((x, y))) > 24)


def test_a_villages_trend_with_its_charts_drawn(signed_in, server_db, tmp_path):
    from dudao.ranking.models import Round

    weeks = sorted(set(Round.objects.using(server_db).filter(status__in=["published", "superseded"])
                       .values_list("week", flat=True)))
    page = signed_in("demo_leader", viewport={"width": 1280, "height": 1000})
    page.goto(f"/trends/village/{DASHUI}/")
    expect(page.locator("h1")).to_contain_text("大水䃎村")
    chart = page.locator(".trend-chart")
    expect(chart).to_have_attribute("data-state", "drawn")
    assert _painted(chart) > 2000
    expect(page.locator("#trend-village-table tbody tr")).to_have_count(len(weeks))
    assert page.locator("#trend-village-table tbody tr td:first-child").all_inner_texts() == weeks
    page.screenshot(path=str(tmp_path / "trend-village.png"), full_page=True)

    page.locator(f'a[href="/trends/town/{XIQUAN}/"]').first.click()
    chart = page.locator(".trend-chart")
    expect(chart).to_have_attribute("data-state", "drawn")
    assert _painted(chart) > 2000
    page.screenshot(path=str(tmp_path / "trend-town.png"), full_page=True)

    page.goto("/trends/transitions/")
    chart = page.locator(".trend-chart")
    expect(chart).to_have_attribute("data-state", "drawn")
    assert _painted(chart) > 2000
    page.screenshot(path=str(tmp_path / "trend-transitions.png"), full_page=True)
