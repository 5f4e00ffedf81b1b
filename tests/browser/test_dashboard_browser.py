"""The leader's dashboard and the command room's large screen in a real browser, with screenshots (in this run's
pytest temporary folder, under screenshots*/): the leader lands on the dashboard, whose league and tier counts
equal the week's results; the large screen at 1920×1080 shows the same league, turns its panels by itself, and keeps
its last figures with a note while the network is down, then recovers.

What the pages show is checked against the live server's own database (read with the ORM through an extra
connection alias), never against fixed numbers.
"""

import io
from collections import Counter
from urllib.parse import urlsplit

import pytest
from PIL import Image
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


BACKGROUNDS = {"light": (0xEE, 0xF2, 0xF5), "dark": (0x0F, 0x1A, 0x2C)}  # .dudao-map-canvas: map.css, screen.css
FILL_OPACITY = 0.78  # map.js


def _colours_shown(figure, data: dict, background: str = "light") -> set[str]:
    """The tiers whose colour (filled at FILL_OPACITY over the map's background) covers over 500 of the pixels the
    map's canvas shows (every second pixel of every second row)."""
    shot = figure.locator(".dudao-map-canvas").screenshot()
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    pixels = [image.getpixel((x, y)) for y in range(0, image.height, 2) for x in range(0, image.width, 2)]
    shown = set()
    for entry in data["meta"]["legend"]:
        if entry["state"] not in ("green", "yellow", "red"):
            continue
        colour = entry["colour"]
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        target = tuple(round(FILL_OPACITY * c + (1 - FILL_OPACITY) * b)
                       for c, b in zip(rgb, BACKGROUNDS[background], strict=True))
        if sum(1 for p in pixels if max(abs(a - b) for a, b in zip(p, target, strict=True)) <= 6) > 500:
            shown.add(entry["state"])
    return shown


def _names_placed(figure, towns) -> None:
    """Names on the map: townships first (喜泉镇 among them), then villages where there is room; only real names."""
    expect(figure.locator(".dudao-map-label.town", has_text="喜泉镇")).to_have_count(1)
    placed = figure.locator(".dudao-map-label.town").all_inner_texts()
    assert set(placed) <= set(towns)
    assert len(placed) == len(set(placed)) >= len(towns) // 2
    assert figure.locator(".dudao-map-label:not(.town)").count() > 20


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
    # The week's tier map: the county in three colours, the legend counting the tiers above, the townships named.
    figure = page.locator("#dashboard-tier-map")
    expect(figure).to_have_attribute("data-state", "drawn")
    expect(figure).to_have_attribute("data-features", str(sum(sum(c.values()) for c in towns.values())))
    legend = figure.locator(".dudao-map-legend li")
    expect(legend).to_have_count(4)
    for n, tier in enumerate(("green", "yellow", "red")):
        expect(legend.nth(n)).to_have_attribute("data-state", tier)
        expect(legend.nth(n).locator(".dudao-map-count")).to_have_text(str(tiers[tier]))
    _names_placed(figure, towns)
    assert _colours_shown(figure, page.request.get(f"/map/data.json?layer=tier&week={week}").json()) == {
        "green", "yellow", "red"}
    expect(page.locator("#dashboard-map-link")).to_have_attribute("href", f"/map/?week={week}")
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

    # 4. The tier map panel: drawn when it shows (the sixth panel), dark, three colours; the townships named.
    wall.clock.run_for(70_000)
    expect(screen).to_have_attribute("data-current", "map")
    shown = wall.locator("#screen-map .dudao-map:not(.pending)")
    # The map may have been drawn on an earlier showing (while the figures were offline): the new one is drawn
    # over it and replaces it once drawn, so wait for that before looking.
    expect(wall.locator("#screen-map .dudao-map")).to_have_count(1)
    expect(shown).to_have_attribute("data-state", "drawn")
    expect(shown.locator(".dudao-map-legend li")).to_have_count(4)
    _names_placed(shown, towns)
    data = wall.request.get(f"/map/data.json?layer=tier&week={week}").json()
    assert _colours_shown(shown, data, "dark") == {"green", "yellow", "red"}
    wall.screenshot(path=str(shots / "screen-map.png"))
    # The map's data cannot be fetched while new figures came in: the next showing keeps the last map.
    drawn_url = shown.get_attribute("data-url")
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort("internetdisconnected")

    wall.route("**/map/data.json*", refuse)
    wall.clock.run_for(90_000)
    expect(screen).to_have_attribute("data-current", "map")
    expect(wall.locator("#screen-map .dudao-map")).to_have_count(1)
    assert len(refused) == 1
    assert not refused[0].endswith(drawn_url)  # the newer figures were asked for
    expect(shown).to_have_attribute("data-state", "drawn")
    assert shown.get_attribute("data-url") == drawn_url
    wall.screenshot(path=str(shots / "screen-map-offline.png"))
