"""The map in a real browser: the leader's county in three tier colours with a legend, names and township borders;
hover names the village and clicking opens its page."""

import io
import re
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import expect

DESKTOP = {"viewport": {"width": 1280, "height": 1000}}
BACKGROUND = (0xEE, 0xF2, 0xF5)  # .dudao-map-canvas in map.css
FILL_OPACITY = 0.78  # map.js


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _shown(colour: str) -> tuple[int, ...]:
    """A tier's colour as the canvas shows it: filled at FILL_OPACITY over the map's background."""
    return tuple(round(FILL_OPACITY * c + (1 - FILL_OPACITY) * b) for c, b in zip(_hex(colour), BACKGROUND, strict=True))


def test_the_leader_sees_the_county_in_three_colours_with_legend_names_hover_and_click(signed_in, tmp_path):
    page = signed_in("demo_leader", **DESKTOP)
    page.goto("/map/")
    figure = page.locator(".dudao-map")
    expect(figure).to_have_attribute("data-state", "drawn")
    expect(figure).to_have_attribute("data-features", "151")
    # the legend: the three tiers and "no result", with their counts
    legend = figure.locator(".dudao-map-legend li")
    expect(legend).to_have_count(4)
    expect(legend.nth(0)).to_have_attribute("data-state", "green")
    expect(legend.nth(0)).to_have_text(re.compile(r"绿\s*30"))
    expect(legend.nth(1)).to_have_text(re.compile(r"黄\s*91"))
    expect(legend.nth(2)).to_have_text(re.compile(r"红\s*30"))
    expect(legend.nth(3)).to_have_text(re.compile(r"无结果\s*0"))
    expect(figure.locator(".dudao-map-synthetic")).to_have_text("示意边界，非真实行政区划")
    # names: townships first, then villages where there is room; no name covers another
    expect(figure.locator(".dudao-map-label.town", has_text="喜泉镇")).to_have_count(1)
    boxes = [b for b in (label.bounding_box() for label in figure.locator(".dudao-map-label").all()) if b]
    assert len(boxes) > 30
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                   and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]]
    assert overlapping == []
    shot = figure.locator(".dudao-map-canvas").screenshot(path=str(tmp_path / "map.png"))
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    pixels = [image.getpixel((x, y)) for y in range(0, image.height, 2) for x in range(0, image.width, 2)]
    colours = {e["state"]: e["colour"] for e in page.request.get("/map/data.json").json()["meta"]["legend"]}
    for tier in ("green", "yellow", "red"):
        target = _shown(colours[tier])
        near = sum(1 for p in pixels if max(abs(a - b) for a, b in zip(p, target, strict=True)) <= 6)
        assert near > 500, (tier, target, near)  # every second pixel of every second row
    # hover a village's name: the box names it with its tier and position; a click opens its page
    label = figure.locator(".dudao-map-label:not(.town)").first
    box = label.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    info = figure.locator(".dudao-map-info")
    expect(info).to_be_visible()
    name = info.locator("strong").inner_text()
    expect(info.locator("[data-field=position]")).to_have_text(re.compile(r"^名次: \d+$"))
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"/ranking/village/\d{12}/\?week=2026-W49$"))
    assert urlsplit(page.url).path.startswith("/ranking/village/")
    expect(page.locator("h1")).to_contain_text(name)
