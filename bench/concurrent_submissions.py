"""Evidence: concurrent field submissions, sent again as phones do, are stored exactly once — on SQLite and on
PostgreSQL, behind several server processes.

Run: .venv/bin/python bench/concurrent_submissions.py [sqlite|postgresql]   (after scripts/setup.sh --dev; loopback
only, a few minutes per database) — SQLite, and PostgreSQL as well when DATABASE_URL names a scratch database (it
is emptied); the argument picks one of them. Each database
gets a fresh copy of the demo (bench/evidence.py) and gunicorn with 4 worker processes × 2 threads. 20 inspectors
(API tokens) each send 50 submissions at once with the other 19: 45 inspections (the field API's client_key, the
phone's idempotency key) and 5 problem reports (their client_key). A third of the submissions is sent twice at the
same moment (two connections), every one whose answer was lost or an error is sent again (up to 5 times), and
afterwards a fifth of all is sent once more. Then the rows are counted by key: lost (a key acknowledged, or
sent, with no row) and duplicated (a key with more than one row) must both be 0, and no answer a server error.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import common  # noqa: E402  (bench/common.py)
import evidence  # noqa: E402

CLIENTS = 20
PER_CLIENT = 50
PROBLEMS = 5  # of each client's submissions
WORKERS = 4
SEED = 3


def post(base: str, token: str, path: str, payload: dict) -> int:
    request = urllib.request.Request(base + path, data=json.dumps(payload).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "en"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except OSError:
        return 599  # the answer was lost


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's worker processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def measure(home: Path | None = None, kill_every: float = 0.0) -> dict:
    """One database: the demo (a new one unless ``home`` has it, Django set up on it), the server, the load; the
    counts. ``kill_every``: kill (SIGKILL) one of the server's worker processes every that many seconds."""
    if home is None:
        home = evidence.demo_home("submissions")
        evidence.use(home)
    from django.db import connection

    from dudao.inspections.models import Inspection
    from dudao.problems.models import Category, Problem

    inspectors, checklist = common.inspectors(CLIENTS, prefix="bench_concurrent")
    category = Category.objects.filter(active=True).order_by("pk").values_list("code", flat=True).first()
    connection.close()
    rng = random.Random(SEED)
    work: list[list[tuple[str, dict]]] = []
    for _token, village in inspectors:
        mine = []
        for n in range(PER_CLIENT):
            key = f"cs-{uuid.uuid4()}"
            if n < PROBLEMS:
                mine.append(("/api/v1/problems", {"client_key": key, "village": village["code"], "category": category,
                                                  "description": f"垃圾堆放 {n}", "lat": village["lat"],
                                                  "lon": village["lon"], "accuracy_m": 8}))
            else:
                mine.append(("/api/v1/inspections", {
                    "client_key": key, "village": village["code"], "checklist": checklist["id"],
                    "marks": [{"item": i["id"], "points": rng.randint(0, i["max_points"])} for i in checklist["items"]],
                    "lat": village["lat"], "lon": village["lon"], "accuracy_m": 9}))
        rng.shuffle(mine)
        work.append(mine)
    process, base = evidence.server(home, workers=WORKERS, threads=2)
    statuses: list[int] = []
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def deliver(token: str, path: str, payload: dict) -> None:
        for _attempt in range(5):
            status = post(base, token, path, payload)
            with lock:
                statuses.append(status)
                if status in (200, 201):
                    acknowledged.add(payload["client_key"])
            if status < 500:
                return

    def client(n: int) -> None:
        token = inspectors[n][0]
        for path, payload in work[n]:
            if rng.random() < 1 / 3:  # the same submission twice at the same moment
                twin = threading.Thread(target=deliver, args=(token, path, payload))
                twin.start()
                deliver(token, path, payload)
                twin.join()
            else:
                deliver(token, path, payload)

    killed = [0]
    done = threading.Event()

    def killer() -> None:
        while not done.wait(kill_every):
            workers = children(process.pid)
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)
                killed[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    if kill_every:
        threads.append(threading.Thread(target=killer))
    for thread in threads[:CLIENTS]:
        thread.start()
    if kill_every:
        threads[-1].start()
    for thread in threads[:CLIENTS]:
        thread.join()
    done.set()
    if kill_every:
        threads[-1].join()
    wall = time.perf_counter() - started
    again = [(inspectors[n][0], path, payload) for n in range(CLIENTS) for path, payload in work[n]
             if rng.random() < 0.2]
    for token, path, payload in again:
        deliver(token, path, payload)
    evidence.stop(process)

    keys = {payload["client_key"]: path for mine in work for path, payload in mine}
    inspection_keys = [k for k, p in keys.items() if p.endswith("inspections")]
    problem_keys = [k for k, p in keys.items() if p.endswith("problems")]
    counted = {}
    for label, model, wanted in (("inspections", Inspection, inspection_keys), ("problems", Problem, problem_keys)):
        rows = list(model.objects.filter(client_key__in=wanted).values_list("client_key", flat=True))
        stored = set(rows)
        counted[label] = {"sent": len(wanted), "rows": len(rows), "lost": len(set(wanted) - stored),
                          "lost acknowledged": len((set(wanted) & acknowledged) - stored),
                          "duplicated": len(rows) - len(stored)}
    return {"requests": len(statuses), "seconds": wall, "killed": killed[0],
            "5xx": sum(1 for s in statuses if s >= 500),
            "refused": sum(1 for s in statuses if 400 <= s < 500), "acknowledged": len(acknowledged),
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}, **counted}


def counts(found: dict, indent: str = "  ") -> bool:
    """Print the rows counted per kind of submission; whether none was lost or duplicated."""
    for label in ("inspections", "problems"):
        c = found[label]
        print(f"{indent}{label:<12} sent {c['sent']:>4}  rows {c['rows']:>4}  lost {c['lost']} (acknowledged and "
              f"lost {c['lost acknowledged']})  duplicated {c['duplicated']}")
    return all(found[x]["lost"] == found[x]["duplicated"] == 0 for x in ("inspections", "problems"))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print("RESULT " + json.dumps(measure()), flush=True)
        return
    databases = [("SQLite", "")] + ([("PostgreSQL", os.environ["DATABASE_URL"])]
                                    if os.environ.get("DATABASE_URL") else [])
    if len(sys.argv) > 1:  # one of them only: sqlite or postgresql
        databases = [(name, url) for name, url in databases if name.lower() == sys.argv[1].lower()]
    ok = True
    for name, url in databases:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | ({"DATABASE_URL": url} if url else {})
        child = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                               check=False)
        lines = [x for x in child.stdout.splitlines() if x.startswith("RESULT ")]
        if child.returncode or not lines:
            print(child.stdout, child.stderr[-3000:])
            sys.exit(f"{name}: the run failed")
        found = json.loads(lines[-1][7:])
        print(f"\n{name}: {CLIENTS} clients × {PER_CLIENT} submissions, {WORKERS} server processes; "
              f"{found['requests']} requests in {found['seconds']:.1f} s (answers {found['statuses']})")
        ok = counts(found) and ok and found["5xx"] == 0
        print(f"  server errors {found['5xx']}, refused {found['refused']}")
    evidence.verdict(ok, "0 lost, 0 duplicated, 0 server errors on every database")


if __name__ == "__main__":
    main()
