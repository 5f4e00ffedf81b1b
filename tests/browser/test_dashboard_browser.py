"""The leader's dashboard and the command room's large screen in a real browser, with screenshots (in this run's
pytest temporary folder, under screenshots*/): the leader lands on the dashboard, whose league and tier counts
equal the week's results; the large screen at 1920×1080 shows the same league, turns its panels by itself, and keeps
its last figures with a note while the network is down, then recovers.

What the pages show is checked against the live server's own database (read with the ORM through an extra
connection alias), never against fixed numbers.
"""

from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def _league(server_db) -> tuple[str, dict[str, Counter]]:
    from dudao.ranking.models import Result, Round

    round_ = Round.objects.using(server_db).filter(status="published").order_by("-week_start", "-revision").first()
    assert round_ is not None, "the demo has no published week"
    towns: dict[str, Counter] = {}
    for town, tier in Result.objects.using(server_db).filter(round=round_).values_list("town__name", "tier"):
        towns.setdefault(town, Counter())[tier] += 1
    return round_.week, towns


def test_the_leaders_dashboard_and_the_large_screen(signed_in, server_db, shots):
    week, towns = _league(server_db)

    # 1. The leader signs in and lands on the dashboard of the latest published week.
    page = signed_in("demo_leader", viewport={"width": 1440, "height": 900})
    page.goto("/")
    assert urlsplit(page.url).path == "/dashboard/"
    expect(page.locator("h1")).to_contain_text(week)
    rows = page.locator("#league tbody tr")
    expect(rows).to_have_count(len(towns))
    shown = {rows.nth(n).locator("td").nth(1).inner_text(): (
        int(rows.nth(n).locator("td.green").inner_text()), int(rows.nth(n).locator("td.yellow").inner_text()),
        int(rows.nth(n).locator("td.red").inner_text())) for n in range(len(towns))}
    assert shown == {name: (c["green"], c["yellow"], c["red"]) for name, c in towns.items()}
    tiers = {tier: int(page.locator(f'#dashboard-tiers article[data-tier="{tier}"] .big').inner_text())
             for tier in ("green", "yellow", "red")}
    assert tiers == {tier: sum(c[tier] for c in towns.values()) for tier in tiers}
    expect(page.locator("#dashboard-map a")).to_have_attribute("href", f"/map/?week={week}")
    expect(page.locator("#dashboard-movers article")).to_have_count(4)
    page.screenshot(path=str(shots / "dashboard-leader.png"), full_page=True)

    # Every figure clicks through: the first township of the league opens its part of the week's ranking.
    first = rows.nth(0).locator("td").nth(1)
    name = first.inner_text()
    first.locator("a").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/ranking/{week}/")
    assert "town=" in page.url
    expect(page.locator("select[name=town] option:checked")).to_have_text(name)

    # 2. The large screen on the wall: the browser's clock is the test's, to turn panels and time refreshes.
    wall = signed_in("demo_leader", viewport=WALL)
    wall.clock.install()
    wall.goto("/screen/")
    screen = wall.locator("#screen")
    league = wall.locator("#screen-league tbody tr")
    expect(league).to_have_count(len(towns))
    expect(wall.locator("#screen-week")).to_have_text(week)
    expect(screen).to_have_attribute("data-current", "overview")
    expect(wall.locator("#tier-tiles .tile")).to_have_count(3)
    assert [int(t) for t in wall.locator("#tier-tiles .tile-value").all_inner_texts()] == [
        sum(c[tier] for c in towns.values()) for tier in ("green", "yellow", "red")]
    size = wall.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [1920, 1080]
    wall.screenshot(path=str(shots / "screen-overview.png"))
    wall.clock.run_for(15_000)
    expect(screen).to_have_attribute("data-current", "movers")
    for kind in ("red_to_green", "green_to_red", "new_reds", "escalated"):
        column = wall.locator(f'#panel-movers .column[data-kind="{kind}"]')
        count = int(column.locator(".count").inner_text())
        assert int(wall.locator(f'#mover-tiles [data-kind="{kind}"]').text_content()) == count
        expect(column.locator("li:not(.more)")).to_have_count(min(count, 12))
        expect(column.locator("li.more")).to_have_count(1 if count > 12 else 0)
        if count > 12:
            expect(column.locator("li.more")).to_have_text(f"… +{count - 12}")
    wall.clock.run_for(15_000)
    expect(screen).to_have_attribute("data-current", "league")
    expect(wall.locator("#panel-league")).to_be_visible()
    assert set(wall.locator("#screen-league tbody tr td:nth-child(2)").all_inner_texts()) == set(towns)
    bottom = wall.evaluate("() => document.querySelector('#screen-league').getBoundingClientRect().bottom")
    assert bottom <= 1080
    wall.screenshot(path=str(shots / "screen-league.png"))

    # 3. The network drops: the last figures stay with a note; when it is back, the note goes.
    updated = screen.get_attribute("data-updated")
    wall.route("**/screen/data.json*", lambda route: route.abort("internetdisconnected"))
    wall.clock.run_for(60_000)
    expect(wall.locator("#screen-offline")).to_be_visible()
    expect(league).to_have_count(len(towns))
    wall.screenshot(path=str(shots / "screen-offline.png"))
    wall.unroute("**/screen/data.json*")
    wall.clock.run_for(5_000)
    expect(wall.locator("#screen-offline")).to_be_hidden()
    assert screen.get_attribute("data-updated") >= updated
    expect(league).to_have_count(len(towns))
