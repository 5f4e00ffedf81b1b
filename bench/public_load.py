"""Benchmark: the public portal under 100 concurrent anonymous clients against the real server (gunicorn, 3 sync
workers, loopback) at province scale (16,000 villages under 110 townships, 52 published weeks) or county scale (the
demo), measured against the trivial endpoint (/healthz) of the same server in the same run, just before each URL
("trivial/s": what else the machine does drifts).

Run: .venv/bin/python bench/public_load.py [province|county]   (default province)
The data, the server start and the load client are bench/leaders_load.py's (imported, not copied): a fresh
temporary DUDAO_HOME with the demo and, for the province, its extra villages, rounds and results written with
bulk_create; DUDAO_BENCH_CACHE=DIR keeps the built database between runs; DATABASE_URL measures PostgreSQL.

For each URL it prints requests/s, the ratio to /healthz (target >= 0.5), p95 latency (target <= 200 ms), errors, the
database queries of one request once the page is kept, its size and its time alone. The portal keeps what is
published (it never changes): the first request of a page renders it, every later one reads it from the cache.
"""

import shutil
import sys
import time
import urllib.request

import leaders_load as base  # bench/leaders_load.py: build(), province(), wrk(), threaded(), drain(), queries_of()
from common import child_answer, gunicorn  # bench/common.py

CLIENTS = 100
RATIO_TARGET = 0.5
P95_TARGET_MS = 200
# name, path ({week}: the latest published week, {village}: a village of the province)
URLS: list[tuple[str, str]] = [
    ("healthz (baseline)", "/healthz"),
    ("public (latest week)", "/public/"),
    ("public week", "/public/weeks/{week}/"),
    ("public village", "/public/villages/{village}/"),
    ("public lists.csv", "/public/weeks/{week}/lists.csv"),
]


def measure(size: str, copied: str | None) -> bool:
    from dudao.org.models import Unit

    base.CLIENTS = CLIENTS  # the load clients of leaders_load read it
    data = base.build(size, copied)
    village = Unit.objects.ranked().order_by("-code").values_list("code", flat=True).first()
    load = base.wrk if shutil.which("wrk") else base.threaded
    ok = True
    with gunicorn(base.WORKERS) as address:
        print(f"\n{size} ({data['villages']} villages), {CLIENTS} clients, {base.WORKERS} sync workers, "
              f"{'wrk' if load is base.wrk else 'Python threads'}, {base.SECONDS} s each, anonymous")
        print(f"{'URL':<22} {'req/s':>8} {'ratio':>6} {'p95 ms':>8} {'errors':>6} {'queries':>7} {'KB':>7} "
              f"{'ms alone':>8} {'first ms':>8} {'trivial/s':>9}")
        baseline: float | None = None
        trivial = ""
        for name, template in URLS:
            path = template.format(week=data["week"], village=village)
            started = time.perf_counter()
            urllib.request.urlopen(address + path, timeout=120).read()  # one worker renders and keeps it
            first = (time.perf_counter() - started) * 1000
            status, count, size_bytes, ms, _kept, _kept_ms = base.queries_of(path, None)
            if status != 200:
                print(f"{name:<22} answers {status}")
                ok = False
                continue
            for _ in range(2 * base.WORKERS):  # every worker keeps its own copy (Django's per-process cache)
                urllib.request.urlopen(address + path, timeout=120).read()
            if baseline is not None:  # the trivial endpoint again, just before: what else the machine does drifts
                baseline, _p95, _errors = load(address, trivial, None)
                base.drain(address)
            rate, p95, errors = load(address, path, None)
            base.drain(address)
            if baseline is None:
                baseline, trivial = rate, path
            good = name.startswith("healthz") or (rate / baseline >= RATIO_TARGET and p95 <= P95_TARGET_MS)
            ok = ok and good and errors == 0
            verdict = "" if good else "  below target"
            print(f"{name:<22} {rate:>8.1f} {rate / baseline:>6.3f} {p95:>8.0f} {errors:>6} {count:>7} "
                  f"{size_bytes / 1024:>7.0f} {ms:>8.1f} {first:>8.0f} {baseline:>9.1f}{verdict}", flush=True)
    print(f"\ntargets: ratio >= {RATIO_TARGET}, p95 <= {P95_TARGET_MS} ms: {'met' if ok else 'NOT met'}")
    return ok


def child(size: str) -> None:
    base.run_child(size, "public", lambda size_, copied: {"ok": measure(size_, copied)}, "RESULT")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    size = sys.argv[1] if len(sys.argv) > 1 else "province"
    if size not in ("province", "county"):
        sys.exit("usage: bench/public_load.py [province|county]")
    sys.exit(0 if child_answer([__file__, "--child", size], "RESULT")["ok"] else 1)


if __name__ == "__main__":
    main()
