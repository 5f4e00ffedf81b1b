"""Benchmark (issue 16): the grid person's home screen data under 50 concurrent clients, each signed in as a
different grid leader on a different grid, against the real server (gunicorn, 3 sync workers, loopback), at
province scale (16,000 villages under 110 townships, 5 grids each: about 80,000 grids, each with a grid leader, a
grid worker and a cleaner) or county scale (the demo: 151 villages, 3–8 grids each), measured against the trivial
endpoint (/healthz) of the same server in the same run, just before each URL ("trivial/s": what else the machine
does drifts).

Run: .venv/bin/python bench/grid_home_load.py [province|county]   (default province)
The data, the server start and the load client's settings are bench/leaders_load.py's (imported, not copied): a
fresh temporary DUDAO_HOME with the demo and, for the province, its extra villages, rounds and results written with
bulk_create; the province's grids and their people go through the units and people imports as in
bench/grids_import.py (its sheets, imported). DUDAO_BENCH_CACHE=DIR keeps the built database between runs (the
province with its grids as DIR/grid-province.sqlite3: about ten minutes to build); DATABASE_URL measures PostgreSQL.

The grid person's screens have no JSON endpoint: the phone reads pages. Measured: the home page (/grid/: their
grids, their grids' open problems with the deadlines, today's rounds), their grids' problems (/problems/?tab=all),
their grids' households for the courtyard round (/grid/courtyards/) and their village's weekly extract. Each of the
50 connections' requests goes out as one of the 50 grid leaders in turn (wrk's Lua request() cycles through them; a
user's extract is their own village's). For each URL it prints requests/s, the ratio to /healthz (target >= 0.3),
p95 latency (target <= 300 ms), errors (a non-200 answer counts), the database queries and size of one request and
its time alone (first grid leader). The screens are kept pages (dudao.core.kept): before each URL's load every
session reads its page a few times per worker, so the load measures phones opening their screens again, not the
first reads. Exit 1 when a target is not met.
"""

import json
import os
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

import leaders_load as base  # bench/leaders_load.py: build(), province(), copy_kept(), wrk(), drain(), queries_of()
from common import child_answer, gunicorn, sessions  # bench/common.py

CLIENTS = 50  # one grid leader per connection, each on a different grid
RATIO_TARGET = 0.3
P95_TARGET_MS = 300
# name, path ({week}: the latest published week, {village}: the client's village)
URLS: list[tuple[str, str]] = [
    ("healthz (baseline)", "/healthz"),
    ("grid home", "/grid/"),
    ("grid problems", "/problems/?tab=all"),
    ("grid courtyards", "/grid/courtyards/"),
    ("village extract", "/bulletins/{week}/village/{village}/"),
]
GRID_CACHE = "grid-{size}.sqlite3"  # in DUDAO_BENCH_CACHE: the size's database with its grids and people


# The data ---------------------------------------------------------------------------------------------------


def province_grids() -> None:
    """Five grids for each of the province's villages that has none (the demo's have theirs) through the units
    import, and a grid leader, a grid worker and a cleaner for each through the people import (sheets of
    bench/grids_import.py)."""
    from grids_import import GRIDS_PER_VILLAGE, grids_sheet, people_sheet  # bench/grids_import.py

    from dudao.accounts.access import SYSTEM
    from dudao.org import services
    from dudao.org.models import Level, Unit

    start = time.perf_counter()
    with_grids = {grid.village_code() for grid in Unit.objects.filter(level=Level.GRID)}  # the demo's
    villages = sorted(set(Unit.objects.ranked().values_list("code", flat=True)) - with_grids)
    report = services.units_import(actor=SYSTEM, data=grids_sheet(villages), filename="grids.csv")
    assert report.ok, report.problems[:5]
    codes = [f"62049{village[6:]}{g}" for village in villages for g in range(1, GRIDS_PER_VILLAGE + 1)]
    for role, first_phone in (("grid_leader", 4_000_000_000), ("grid_worker", 5_000_000_000),
                              ("cleaner", 6_000_000_000)):
        report = services.people_import(actor=SYSTEM, data=people_sheet(codes, role, first_phone),
                                        filename="people.csv")
        assert report.ok, report.problems[:5]
    print(f"province: {len(codes)} grids added with their people in {time.perf_counter() - start:.0f} s", flush=True)


def grid_leaders(count: int) -> list[tuple[str, str]]:
    """An account (role grid, scoped to the grid) for the leaders of `count` grids spread over the county's grids,
    one per grid; their (user name, village code)."""
    from django.utils import timezone

    from dudao.accounts.access import SYSTEM
    from dudao.accounts.models import Role, User
    from dudao.accounts.services import user_save
    from dudao.org.models import Level, Post

    posts = list(Post.objects.held_between(timezone.localdate()).filter(role="grid_leader", unit__level=Level.GRID)
                 .select_related("person", "unit").order_by("unit__code"))
    by_grid = {post.unit_id: post for post in posts}  # one leader per grid
    chosen = list(by_grid.values())[::max(1, len(by_grid) // count)][:count]
    out = []
    for post in chosen:
        user = User.objects.filter(username=post.person.phone).first()
        if user is None:
            user = user_save(actor=SYSTEM, username=post.person.phone, role=Role.GRID, scope_unit=post.unit,
                             person=post.person)
        out.append((user.username, post.unit.village_code()))
    return out


# The load ---------------------------------------------------------------------------------------------------


def headers(cookie: str) -> dict[str, str]:
    """What a phone's request carries (kept pages are kept per language and encoding as well as per session)."""
    return {"Accept-Language": "zh-hans", "Accept-Encoding": "gzip", "Cookie": f"sessionid={cookie}"}


def wrk_clients(address: str, requests: list[tuple[str, str]]) -> tuple[float, float, int]:
    """(requests/s, p95 ms, errors) of base.CLIENTS connections for base.SECONDS, the requests going out as the
    (path, session) pairs in turn; an answer of 400 or more is an error (wrk's count)."""
    script = Path(tempfile.mkdtemp()) / "clients.lua"
    clients = ",\n".join(f"  {{{json.dumps(path)}, {json.dumps(cookie)}}}" for path, cookie in requests)
    script.write_text(
        f"local clients = {{\n{clients}\n}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local p = clients[n % #clients + 1]\n"
        '  return wrk.format("GET", p[1], {["Accept-Language"] = "zh-hans", ["Accept-Encoding"] = "gzip",\n'
        '                                   ["Cookie"] = "sessionid=" .. p[2]})\n'
        "end\n"
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("JSON {\\"requests\\": %d, \\"seconds\\": %f, \\"p95\\": %f, \\"errors\\": %d}\\n",\n'
        '    summary.requests, summary.duration / 1e6, latency:percentile(95) / 1000,\n'
        '    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status'
        ' + summary.errors.timeout))\n'
        'end\n')
    command = ["wrk", "-t", "2", "-c", str(base.CLIENTS), "-d", f"{base.SECONDS}s", "--timeout", "10s",
               "-s", str(script), address]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    data = json.loads(next(x for x in out.splitlines() if x.startswith("JSON "))[5:])
    return data["requests"] / data["seconds"], data["p95"], data["errors"]


def threaded_clients(address: str, requests: list[tuple[str, str]]) -> tuple[float, float, int]:
    """The same with base.CLIENTS Python threads, each client one of the pairs (when wrk is not installed)."""
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + base.SECONDS
    lock = threading.Lock()

    def client(path: str, cookie: str) -> None:
        while time.perf_counter() < stop:
            begin = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(address + path, headers=headers(cookie)),  # noqa: S310
                                            timeout=10) as response:
                    response.read()
                    ok = response.status == 200
            except (OSError, urllib.error.HTTPError):
                ok = False
            with lock:
                latencies.append(time.perf_counter() - begin)
                errors[0] += 0 if ok else 1

    started = time.perf_counter()
    pool = [threading.Thread(target=client, args=requests[n % len(requests)]) for n in range(base.CLIENTS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else float("nan")
    return len(latencies) / elapsed, p95, errors[0]


def measure(size: str, copied: str | None) -> bool:
    from django.db import connection

    base.CLIENTS = CLIENTS
    data = base.build(size, size if copied == "grid" else copied, users=set())
    if size == "province" and copied != "grid":
        province_grids()
        if base.CACHE and not os.environ.get("DATABASE_URL"):
            connection.close()
            Path(base.CACHE).mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(os.environ["DUDAO_HOME"]) / "dudao.sqlite3",
                        Path(base.CACHE) / GRID_CACHE.format(size=size))
    from dudao.org.models import Level, Unit

    leaders = grid_leaders(CLIENTS)
    signed_in = sessions(name for name, _village in leaders)
    load = wrk_clients if shutil.which("wrk") else threaded_clients
    ok = len(leaders) == CLIENTS
    with gunicorn(base.WORKERS) as address:
        print(f"\n{size} ({data['villages']} villages, {Unit.objects.filter(level=Level.GRID).count()} grids), "
              f"{len(leaders)} grid leaders on as many grids, {CLIENTS} connections, {base.WORKERS} sync workers, "
              f"{'wrk' if load is wrk_clients else 'Python threads'}, {base.SECONDS} s each")
        print(f"{'URL':<20} {'req/s':>8} {'ratio':>6} {'p95 ms':>8} {'errors':>6} {'queries':>7} {'KB':>7} "
              f"{'ms alone':>8} {'trivial/s':>9}")
        baseline: float | None = None
        for name, template in URLS:
            if baseline is None:  # the trivial endpoint, anonymous
                baseline, p95, errors = base.wrk(address, template, None) if load is wrk_clients else \
                    base.threaded(address, template, None)
                base.drain(address)
                ok = ok and errors == 0
                print(f"{name:<20} {baseline:>8.1f} {1:>6.3f} {p95:>8.0f} {errors:>6}", flush=True)
                continue
            requests = [(template.format(week=data["week"], village=village), signed_in[username])
                        for username, village in leaders]
            status, count, size_bytes, ms, _kept, _kept_ms = base.queries_of(requests[0][0], leaders[0][0])
            if status != 200:
                print(f"{name:<20} answers {status}")
                ok = False
                continue
            # Every session's page, a few times per worker (each sync worker keeps its own pages, dudao.core.kept):
            # the steady state of phones that open their screens again and again is measured, not the first reads.
            for path, cookie in requests * (2 * base.WORKERS):
                with urllib.request.urlopen(urllib.request.Request(  # noqa: S310 (loopback)
                        address + path, headers=headers(cookie)), timeout=120) as response:
                    response.read()
                    assert response.geturl() == address + path, f"{path} answers {response.geturl()}"
            # the trivial endpoint again, just before: what else the machine does drifts
            baseline, _p95, _errors = base.wrk(address, "/healthz", None) if load is wrk_clients else \
                base.threaded(address, "/healthz", None)
            base.drain(address)
            rate, p95, errors = load(address, requests)
            base.drain(address)
            good = rate / baseline >= RATIO_TARGET and p95 <= P95_TARGET_MS and errors == 0
            ok = ok and good
            print(f"{name:<20} {rate:>8.1f} {rate / baseline:>6.3f} {p95:>8.0f} {errors:>6} {count:>7} "
                  f"{size_bytes / 1024:>7.0f} {ms:>8.1f} {baseline:>9.1f}{'' if good else '  below target'}",
                  flush=True)
    print(f"\ntargets: ratio >= {RATIO_TARGET}, p95 <= {P95_TARGET_MS} ms, no errors: {'met' if ok else 'NOT met'}")
    return ok


def child(size: str) -> None:
    """Start from DUDAO_BENCH_CACHE's grid copy of the size when there is one (else as leaders_load does)."""
    home = tempfile.mkdtemp(prefix=f"dudao-bench-grid-{size}-")
    os.environ["DUDAO_HOME"] = home
    kept = Path(base.CACHE) / GRID_CACHE.format(size=size) if base.CACHE else None
    if kept is not None and kept.exists() and not os.environ.get("DATABASE_URL"):
        shutil.copy(kept, Path(home) / "dudao.sqlite3")
        if (Path(base.CACHE) / f"{size}-media").exists():
            shutil.copytree(Path(base.CACHE) / f"{size}-media", Path(home) / "media")
        copied: str | None = "grid"
    else:
        copied = base.copy_kept(size, home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if os.environ.get("DATABASE_URL"):
        call_command("migrate", verbosity=0)
        call_command("flush", "--noinput", verbosity=0)
    try:
        print("RESULT " + json.dumps({"ok": measure(size, copied)}), flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    size = sys.argv[1] if len(sys.argv) > 1 else "province"
    if size not in ("province", "county"):
        sys.exit("usage: bench/grid_home_load.py [province|county]")
    sys.exit(0 if child_answer([__file__, "--child", size], "RESULT")["ok"] else 1)


if __name__ == "__main__":
    main()
