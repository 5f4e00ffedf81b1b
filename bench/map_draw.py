"""Benchmark: the map of a province (16,000 villages) drawn in the browser, against an empty map in the same run.

Run: .venv/bin/python bench/map_draw.py [VILLAGES] [REPEATS]   (no database: the villages are generated, the
map data is serialised by the same code as /map/data.json (dudao.maps.selectors.feature_collection), and a tiny
loopback server serves it with the map component (templates/maps/_map.html, rendered by Django) and the static
files. Headless /usr/bin/chromium through Playwright loads the page; the component sets data-drawn-ms on the map
when the canvas has painted (from the start of drawing, the data's fetch and parse included).

Prints, for the empty map (baseline) and the full one: the payload (bytes, and gzipped as a server would send
it), the component's time to drawn and the page's time from navigation to drawn (medians of REPEATS loads), and
the ratio of each to the target of 1 s.
"""

import gzip
import http.server
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DUDAO_HOME", tempfile.mkdtemp(prefix="dudao-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")

import django  # noqa: E402

django.setup()

from django.template.loader import render_to_string  # noqa: E402
from django.utils import translation  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from dudao.maps import geometry  # noqa: E402
from dudao.maps.selectors import Area, Layer, feature_collection  # noqa: E402

STATIC = Path(__file__).resolve().parents[1] / "src" / "dudao" / "static"
CHROMIUM = "/usr/bin/chromium"
TARGET_MS = 1000.0
TIERS = [("green", "绿", "#1b7f3b"), ("yellow", "黄", "#b58900"), ("red", "红", "#c0392b")]


def province(villages: int, vertices: int = 12) -> tuple[list[Area], Layer]:
    """Villages as jittered polygons on a grid over about 8° × 6°, a township outline per 160 villages."""
    rng = random.Random(16000)
    columns = math.ceil(math.sqrt(villages * 1.6))
    rows = math.ceil(villages / columns)
    width, height = 8.0 / columns, 6.0 / rows
    areas: list[Area] = []
    states = {}
    for n in range(villages):
        col, row = n % columns, n // columns
        cx, cy = 100.0 + (col + 0.5) * width, 33.0 + (row + 0.5) * height
        ring = []
        for k in range(vertices):
            angle = 2 * math.pi * k / vertices
            r = 0.5 * rng.uniform(0.8, 1.0)
            ring.append([round(cx + r * width * math.cos(angle), 5), round(cy + r * height * math.sin(angle), 5)])
        ring.append(ring[0])
        tier = TIERS[rng.randrange(3)][0]
        areas.append(Area(n, f"62{n:010d}", f"第{n + 1}村", "village", f"第{n // 160 + 1}镇", True,
                          geometry.dumps({"type": "Polygon", "coordinates": [ring]})))
        states[n] = {"state": tier, "position": n + 1, "composite": round(rng.uniform(0, 100), 3)}
    # township outlines: blocks of 16 × 10 cells
    block_w, block_h = 16 * width, 10 * height
    for t in range(math.ceil(columns / 16) * math.ceil(rows / 10)):
        bx, by = t % math.ceil(columns / 16), t // math.ceil(columns / 16)
        x0, y0 = 100.0 + bx * block_w, 33.0 + by * block_h
        ring = [[round(x0, 5), round(y0, 5)], [round(x0 + block_w, 5), round(y0, 5)],
                [round(x0 + block_w, 5), round(y0 + block_h, 5)], [round(x0, 5), round(y0 + block_h, 5)],
                [round(x0, 5), round(y0, 5)]]
        areas.append(Area(10**6 + t, f"63{t:010d}", f"第{t + 1}镇", "town", "", True,
                          geometry.dumps({"type": "Polygon", "coordinates": [ring]})))
    legend = [{"state": s, "label": label, "colour": colour, "count": 0} for s, label, colour in TIERS]
    legend.append({"state": "none", "label": "无结果", "colour": "#b8bec6", "count": 0})
    layer = Layer(legend, states, [{"key": "position", "label": "名次"}, {"key": "composite", "label": "综合得分"}],
                  title="2026-W49", link="/ranking/village/{code}/")
    return areas, layer


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, tuple[bytes, str]]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        path = self.path.split("?")[0]
        if path in self.server.pages:  # type: ignore[attr-defined]
            body, kind = self.server.pages[path]  # type: ignore[attr-defined]
        elif path.startswith("/static/") and (STATIC / path[len("/static/"):]).is_file():
            file = STATIC / path[len("/static/"):]
            body = file.read_bytes()
            kind = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}.get(file.suffix, "text/plain")
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass


def page(data_url: str) -> bytes:
    with translation.override("zh-hans"):
        component = render_to_string("maps/_map.html", {"data_url": data_url, "height": "800px"})
    return (f'<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>map</title></head>'
            f'<body>{component}</body></html>').encode()


def measure(browser, url: str, repeats: int) -> tuple[float, float, int]:
    drawn, total, features = [], [], 0
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        tab = context.new_page()
        tab.goto(url)
        tab.wait_for_selector(".dudao-map[data-state=drawn], .dudao-map[data-state=empty]", timeout=60000)
        ms, features_text, since_start = tab.evaluate(
            "() => { const m = document.querySelector('.dudao-map');"
            " return [Number(m.dataset.drawnMs || 0), m.dataset.features, performance.now()]; }")
        marks = tab.evaluate("() => performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)])")
        if os.environ.get("BENCH_MARKS"):
            print(url, marks, since_start)
        drawn.append(ms)
        total.append(since_start)
        features = int(features_text or 0)
        context.close()
    return statistics.median(drawn), statistics.median(total), features


def main() -> None:
    villages = int(sys.argv[1]) if len(sys.argv) > 1 else 16000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    areas, layer = province(villages)
    start = time.perf_counter()
    full = feature_collection(areas, layer, {"layer": "tier", "week": "2026-W49", "status": "published"}).encode()
    serialise_ms = (time.perf_counter() - start) * 1000
    empty = feature_collection([], Layer(layer.legend, {}), {"layer": "tier"}).encode()
    server = Server(("127.0.0.1", 0), Handler)
    server.pages = {"/empty/": (page("/empty.json"), "text/html; charset=utf-8"),
                    "/full/": (page("/full.json"), "text/html; charset=utf-8"),
                    "/empty.json": (empty, "application/geo+json"), "/full.json": (full, "application/geo+json")}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        baseline = measure(browser, f"{base}/empty/", repeats)
        drawn = measure(browser, f"{base}/full/", repeats)
        browser.close()
    server.shutdown()
    packed_ms = time.perf_counter()
    gzip.compress(full, compresslevel=1, mtime=0)  # as /map/data.json sends it to a browser
    packed_ms = (time.perf_counter() - packed_ms) * 1000
    print(f"server side: {villages} villages serialised in {serialise_ms:.0f} ms (the endpoint's serialiser, "
          f"geometries already kept as JSON), gzip level 1 in {packed_ms:.0f} ms")
    print(f"{'map':<10} {'features':>8} {'payload':>12} {'gzip -1':>10} {'drawn (component)':>18} "
          f"{'navigation→drawn':>17}")
    for label, (ms, total, count), body in (("empty", baseline, empty), ("full", drawn, full)):
        print(f"{label:<10} {count:>8} {len(body):>12,} {len(gzip.compress(body, 1)):>10,} {ms:>15.0f} ms "
              f"{total:>14.0f} ms")
    print(f"full − empty: {drawn[0] - baseline[0]:.0f} ms to drawn; full / target (1 s): {drawn[0] / TARGET_MS:.2f}; "
          f"navigation→drawn / target: {drawn[1] / TARGET_MS:.2f}")


if __name__ == "__main__":
    main()
