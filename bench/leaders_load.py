"""Benchmark: the pages and data leaders open most, under 50 concurrent clients, against the real server
(gunicorn, 3 sync workers, loopback), at county scale (the demo: 151 villages) and province scale (16,000
villages under 110 townships, 52 published weeks).

Run: .venv/bin/python bench/leaders_load.py [county|province|both]   (default both)
Each size gets a fresh temporary DUDAO_HOME with the demo (SQLite); set DATABASE_URL to an empty scratch
PostgreSQL database to measure PostgreSQL (it is flushed and filled for each size). The province's extra
villages, rounds and results are written directly with bulk_create (synthetic, fast).

For every URL of the table below it prints requests/s, the ratio to the trivial endpoint (/healthz) measured in
the same run just before it (target ≥ 0.3; "trivial/s" is that rate), p95 latency (target ≤ 300 ms), the
database queries and CPU time of one render ("queries", "ms alone") and of one answer from the kept pages
("kept", decision 0012), and at the end the
render's queries at both sizes side by side (they must not grow with the number of villages). Every worker
process renders and keeps each page before it is measured (a steady state; a change of the data makes each
process render once again, which "ms alone" shows). Clients send Accept-Encoding: gzip as browsers do. A URL that
answers 404 is skipped with a note. The load is made by `wrk` (installed by `scripts/setup.sh --dev`), else by a
threaded Python client (which then limits what it can measure).
"""

import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import gunicorn, sessions  # bench/common.py

# name, path ({week}: the latest published week), user (None: anonymous)
URLS: list[tuple[str, str, str | None]] = [
    ("healthz (baseline)", "/healthz", None),
    ("home", "/", "demo_leader"),
    ("county ranking", "/ranking/{week}/", "demo_leader"),
    ("interviews", "/interviews/", "demo_leader"),
    ("bulletin", "/bulletins/{week}/", "demo_leader"),
    ("problems", "/problems/", "demo_leader"),
    ("api units", "/api/v1/units", "demo_leader"),
    ("api rounds", "/api/v1/rounds", "demo_leader"),
    ("api round results", "/api/v1/rounds/{week}/results", "demo_leader"),
    ("dashboard", "/dashboard/", "demo_leader"),
    ("screen data", "/screen/data.json?week={week}", "demo_leader"),
    ("map data", "/map/data.json?week={week}", "demo_leader"),
]
# DUDAO_BENCH_CACHE=DIR keeps each size's built SQLite database (and its media) there and starts from it next time
# (the demo alone takes minutes to build): to measure two versions of the code on the same data.
CACHE = os.environ.get("DUDAO_BENCH_CACHE", "")
QUICK = os.environ.get("DUDAO_BENCH_QUICK", "") == "1"  # only the queries and time of one request, no server
CLIENTS = 50
SECONDS = 10
WORKERS = 3
PROVINCE_TOWNS = 99  # with the demo's 11: 110 townships
PROVINCE_VILLAGES_PER_TOWN = 160  # with the demo's 151: 15,991 villages
PROVINCE_WEEKS = 52


# The data ---------------------------------------------------------------------------------------------------


def province_villages(county, rng: random.Random) -> list[tuple[int, int]]:
    """Add 99 townships of 160 villages under the county (bulk_create, synthetic); their (pk, township pk)."""
    from dudao.org.models import Datum, Level, Unit

    towns = [Unit(code=f"620423{400 + t:03d}000", name=f"测试{t + 1}镇", level=Level.TOWN, parent=county,
                  path=f"{county.path}620423{400 + t:03d}000/", lon=104.0 + t / 100, lat=37.0 + t / 100,
                  point_datum=Datum.GCJ02)
             for t in range(PROVINCE_TOWNS)]
    Unit.objects.bulk_create(towns, batch_size=1000)
    towns = list(Unit.objects.filter(code__in=[t.code for t in towns]).order_by("code"))
    villages = [Unit(code=f"{t.code[:9]}{200 + v:03d}", name=f"{t.name}第{v + 1}村", level=Level.VILLAGE, parent=t,
                     path=f"{t.path}{t.code[:9]}{200 + v:03d}/", lon=t.lon + rng.uniform(-0.05, 0.05),
                     lat=t.lat + rng.uniform(-0.05, 0.05), point_datum=Datum.GCJ02, point_synthetic=True)
                for t in towns for v in range(PROVINCE_VILLAGES_PER_TOWN)]
    Unit.objects.bulk_create(villages, batch_size=2000)
    return list(Unit.objects.filter(level=Level.VILLAGE, parent__in=towns).values_list("pk", "parent_id"))


def province(campaign) -> None:
    """Add 99 townships of 160 villages to the demo county and make 52 published weeks with a result for every
    village (the demo's published weeks get results for the new villages; earlier weeks are added)."""
    from dudao.core import weeks
    from dudao.org.models import Unit
    from dudao.ranking import services as ranking_services
    from dudao.ranking.models import Entry, Result, Round, RoundStatus, SourceName, Tier
    from dudao.ranking.selectors import export_rows

    county = campaign.county
    rng = random.Random(13)
    villages = province_villages(county, rng)
    towns = list(Unit.objects.filter(code__in=[f"620423{400 + t:03d}000" for t in range(PROVINCE_TOWNS)]))
    published = list(Round.objects.filter(campaign=campaign, status=RoundStatus.PUBLISHED).order_by("week_start"))
    first = published[0]
    added = []
    for n in range(PROVINCE_WEEKS - len(published)):
        week = weeks.add_weeks(first.week, -(n + 1))
        added.append(Round(campaign=campaign, week=week, week_start=weeks.week_start(week), revision=1,
                           status=RoundStatus.PUBLISHED, settings=first.settings, computed_at=first.computed_at,
                           published_at=first.published_at, published_by_label=first.published_by_label))
    Round.objects.bulk_create(added)
    demo_units = list(Unit.objects.filter(level__in=["village", "community"], parent__in=Unit.objects.filter(
        parent=county).exclude(pk__in=[t.pk for t in towns])).values_list("pk", "parent_id"))
    for round_ in Round.objects.filter(campaign=campaign, status=RoundStatus.PUBLISHED):
        have = Result.objects.filter(round=round_).count()
        rows = villages if have else demo_units + villages
        order = list(range(len(rows)))
        rng.shuffle(order)
        total = have + len(rows)
        results = []
        for position, index in enumerate(order, start=have + 1):
            unit_id, town_id = rows[index]
            tier = Tier.GREEN if position <= 30 else Tier.RED if position > total - 30 else Tier.YELLOW
            p = (total - position + 0.5) / total
            results.append(Result(round=round_, unit_id=unit_id, town_id=town_id, composite=100 * p,
                                  position=position, tier=tier, r_town=float(position % 160 + 1), p_town=p,
                                  r_inspection=float(position), p_inspection=p))
        Result.objects.bulk_create(results, batch_size=5000)
        # As ranking_compute leaves it: the digest of the round's ranked rows (what keeps their count, for one).
        round_.result_digest = ranking_services.results_digest(export_rows(round_))
        round_.save(update_fields=["result_digest"])
    latest = published[-1]
    entries = []
    for n, (unit_id, _town) in enumerate(villages):
        entries.append(Entry(round=latest, source=SourceName.TOWN, unit_id=unit_id, rank=n % 160 + 1))
        if n % 3 == 0:
            entries.append(Entry(round=latest, source=SourceName.INSPECTION, unit_id=unit_id,
                                 score=float(rng.randrange(40, 100))))
    Entry.objects.bulk_create(entries, batch_size=5000)


def build(size: str, copied: str | None, users: set[str] | None = None) -> dict:
    """Load the demo (and the province's data) unless the size's database was copied from the cache (`copied`:
    the name of the copy); sign the users in (those of URLS unless `users` names them); return what the
    measurements need."""
    from django.core.management import call_command

    from dudao.campaigns.services import campaign_get
    from dudao.org.models import Unit
    from dudao.ranking.models import Round, RoundStatus

    start = time.perf_counter()
    call_command("migrate", verbosity=0)  # the code measured may have migrations a copy has not
    if copied != size:
        if copied is None:  # else the county's copy, the demo in it
            call_command("demo", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
        if size == "province":
            province(campaign_get())
        if not os.environ.get("DATABASE_URL") and CACHE:
            from django.db import connection

            connection.close()
            Path(CACHE).mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(os.environ["DUDAO_HOME"]) / "dudao.sqlite3", Path(CACHE) / f"{size}.sqlite3")
            # and the stored files (photos, drone images) the database names: the API and pages open them
            shutil.copytree(Path(os.environ["DUDAO_HOME"]) / "media", Path(CACHE) / f"{size}-media",
                            dirs_exist_ok=True)
    call_command("collectstatic", "--noinput", verbosity=0)
    signed_in = sessions(users if users is not None else {u for _n, _p, u in URLS if u})
    week = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("-week_start").first().week
    villages = Unit.objects.ranked().count()
    print(f"{size}: {villages} villages, {Round.objects.filter(status=RoundStatus.PUBLISHED).count()} published "
          f"weeks, built in {time.perf_counter() - start:.0f} s", flush=True)
    return {"sessions": signed_in, "week": week, "villages": villages}


# The measurements -------------------------------------------------------------------------------------------


def queries_of(path: str, username: str | None) -> tuple[int, int, int, float, int, float]:
    """(status, queries, bytes, ms, kept queries, kept ms) of one request in this process, after one warm-up
    request: queries and ms of a render (no page kept: the mean of five renders one after the other, the server's
    CPU per request as nothing else runs), then of a request served from the kept pages (dudao.core.kept)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dudao.accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    if username:
        client.force_login(User.objects.get(username=username))
    client.get(path)
    figures: list[float] = []
    for seconds in (0, settings.KEPT_PAGES_SECONDS):
        settings.KEPT_PAGES_SECONDS = seconds
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        figures.append(len(captured))  # now: the next request empties the log it reads
        start = time.perf_counter()
        for _ in range(5):
            client.get(path)
        figures.append((time.perf_counter() - start) * 200)
    render_queries, render_ms, kept_queries, kept_ms = figures
    return response.status_code, int(render_queries), len(response.content), render_ms, int(kept_queries), kept_ms


def warm(base: str, path: str, cookie: str | None) -> None:
    """CLIENTS requests at once, so that every worker process has rendered and kept the page (first reads, the
    round's kept checks, the kept page) before it is measured: a steady state, whose renders are measured alone."""
    headers = {"Accept-Encoding": "gzip"} | ({"Cookie": f"sessionid={cookie}"} if cookie else {})

    def one() -> None:
        request = urllib.request.Request(base + path, headers=headers)
        urllib.request.urlopen(request, timeout=300).read()  # noqa: S310 (loopback)

    for _ in range(2):
        pool = [threading.Thread(target=one) for _ in range(CLIENTS)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()


def wrk(base: str, path: str, cookie: str | None) -> tuple[float, float, int]:
    """(requests/s, p95 ms, errors) under CLIENTS connections for SECONDS."""
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"p95\\": %f, \\"errors\\": %d}\\n",\n'
        '    summary.requests, summary.duration / 1e6, latency:percentile(95) / 1000,\n'
        '    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status'
        ' + summary.errors.timeout))\n'
        'end\n')
    command = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{SECONDS}s", "--timeout", "10s", "-s", str(script),
               "-H", "Accept-Language: zh-hans", "-H", "Accept-Encoding: gzip"]  # as browsers send
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    data = json.loads(line[5:])
    return data["requests"] / data["seconds"], data["p95"], data["errors"]


def threaded(base: str, path: str, cookie: str | None) -> tuple[float, float, int]:
    """The same as wrk() with CLIENTS Python threads (when wrk is not installed)."""
    headers = {"Accept-Language": "zh-hans", "Accept-Encoding": "gzip"}
    headers |= {"Cookie": f"sessionid={cookie}"} if cookie else {}
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + SECONDS
    lock = threading.Lock()

    def client() -> None:
        while time.perf_counter() < stop:
            begin = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers),  # noqa: S310
                                            timeout=10) as response:
                    response.read()
                    ok = response.status == 200
            except (OSError, urllib.error.HTTPError):
                ok = False
            with lock:
                latencies.append(time.perf_counter() - begin)
                errors[0] += 0 if ok else 1

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else float("nan")
    return len(latencies) / elapsed, p95, errors[0]


def drain(base: str) -> None:
    """Wait until the server has answered what the clients left queued when the run stopped (a health check
    waits behind it), so that the next URL is not measured behind the last one's backlog."""
    urllib.request.urlopen(base + "/healthz", timeout=600).read()  # noqa: S310 (loopback)


def measure(size: str, copied: str | None) -> dict[str, int]:
    """Build the size's data, start the server, load every URL; returns queries per URL."""
    data = build(size, copied)
    load = wrk if shutil.which("wrk") else threaded
    queries: dict[str, int] = {}
    with gunicorn(WORKERS) as base:
        print(f"\n{size} ({data['villages']} villages), {CLIENTS} clients, {WORKERS} sync workers, "
              f"{'wrk' if load is wrk else 'Python threads'}, {SECONDS} s each")
        print(f"{'URL':<22} {'req/s':>8} {'ratio':>6} {'p95 ms':>8} {'errors':>6} {'queries':>7} {'KB':>7} "
              f"{'ms alone':>8} {'kept: queries':>13} {'ms':>5} {'trivial/s':>9}")
        baseline: float | None = None
        trivial = ""
        for name, template, username in URLS:
            path = template.format(week=data["week"])
            status, count, size_bytes, ms, kept_count, kept_ms = queries_of(path, username)
            if status == 404:
                print(f"{name:<22} skipped: {path} answers 404 (not built on this branch yet)")
                continue
            if status != 200:
                print(f"{name:<22} skipped: {path} answers {status}")
                continue
            if QUICK:
                queries[name] = count
                print(f"{name:<22} {'':>8} {'':>6} {'':>8} {'':>6} {count:>7} {size_bytes / 1024:>7.0f} {ms:>8.1f} "
                      f"{kept_count:>13} {kept_ms:>5.1f}", flush=True)
                continue
            cookie = data["sessions"].get(username) if username else None
            if baseline is not None:  # the trivial endpoint again, just before: what else the machine does drifts
                baseline, _p95, _errors = load(base, trivial, None)
                drain(base)
            warm(base, path, cookie)
            rate, p95, errors = load(base, path, cookie)
            drain(base)
            if baseline is None:
                baseline, trivial = rate, path
            queries[name] = count
            verdict = "" if rate / baseline >= 0.3 and p95 <= 300 else "  below target"
            print(f"{name:<22} {rate:>8.1f} {rate / baseline:>6.3f} {p95:>8.0f} {errors:>6} {count:>7} "
                  f"{size_bytes / 1024:>7.0f} {ms:>8.1f} {kept_count:>13} {kept_ms:>5.1f} {baseline:>9.1f}{verdict}",
                  flush=True)
    return queries


def copy_kept(size: str, home: str) -> str | None:
    """Start from the size's database kept in DUDAO_BENCH_CACHE (or the county's, for the province) when there is
    one (SQLite only); returns the name of the copy taken, for build()."""
    if os.environ.get("DATABASE_URL") or not CACHE:
        return None
    for name in (size, "county"):  # the province starts from the county's demo when it is kept
        if (Path(CACHE) / f"{name}.sqlite3").exists():
            shutil.copy(Path(CACHE) / f"{name}.sqlite3", Path(home) / "dudao.sqlite3")
            if (Path(CACHE) / f"{name}-media").exists():
                shutil.copytree(Path(CACHE) / f"{name}-media", Path(home) / "media")
            return name
    return None


def run_child(size: str, name: str, measure_size, tag: str) -> None:
    """A size's measurements in this (child) process: a fresh DUDAO_HOME (from the kept copy when there is one),
    Django set up on it, `measure_size(size, copied)`; its answer printed as one line `TAG json` for the parent."""
    home = tempfile.mkdtemp(prefix=f"dudao-bench-{name}-{size}-")
    os.environ["DUDAO_HOME"] = home
    copied = copy_kept(size, home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if os.environ.get("DATABASE_URL"):
        call_command("migrate", verbosity=0)
        call_command("flush", "--noinput", verbosity=0)
    try:
        print(f"{tag} " + json.dumps(measure_size(size, copied)), flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def child(size: str) -> None:
    run_child(size, "leaders", measure, "QUERIES")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    sizes = ["county", "province"] if which == "both" else [which]
    found: dict[str, dict[str, int]] = {}
    for size in sizes:  # one process per size: each its own DUDAO_HOME and settings
        process = subprocess.Popen([sys.executable, __file__, "--child", size], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("QUERIES "):
                found[size] = json.loads(line[8:])
            else:
                print(line, end="", flush=True)
        if process.wait():
            sys.exit(process.returncode)
    if len(found) == 2:
        print("\nqueries per request (must not grow with the villages)")
        print(f"{'URL':<22} {'county':>7} {'province':>9}")
        for name in found["county"]:
            county, prov = found["county"][name], found["province"].get(name)
            note = "  grows" if prov is not None and prov > county else ""
            print(f"{name:<22} {county:>7} {prov if prov is not None else '-':>9}{note}")


if __name__ == "__main__":
    main()
