"""Evidence: the whole county at work at once — inspectors submitting in the field, leaders and the office on their
pages, townships submitting their ranking, the public on the portal — against the real server (gunicorn, 3 sync
workers as in deploy/nginx/dudao.conf, loopback), the load made by locust (headless, its library API).

Run: .venv/bin/python bench/load.py [county|province] [--users 50] [--seconds 60]   (default county, 50, 60)
county: the Jingtai demo (151 villages); province: 16,000 villages under 110 townships and 52 published weeks
(bench/leaders_load.py's province()). A fresh temporary DUDAO_HOME (SQLite) each run; DUDAO_BENCH_CACHE=DIR keeps
the built database between runs, DATABASE_URL=postgres://… measures an empty scratch PostgreSQL database instead.

The users (each waits 1–5 s between two actions, as a person does; 30 % / 30 % / 20 % / 20 % of --users):
- inspectors, through the field API with a bearer token each: two small JPEGs (1024×768, GPS of their village in the
  EXIF) uploaded, then the inspection with its marks and the two photos;
- leaders and the office, signed in: home, dashboard, county ranking, problems, bulletin, the screen's and the map's
  data;
- township staff, signed in, one account per township: the ranking page, then a CSV of their villages' ranks
  uploaded through it (the answer must be the redirect of an accepted submission);
- the public: the portal's latest week, a week, a village;
- and /healthz (two users), the trivial endpoint in the same run: each kind's p95 is also given as a multiple of it.

Prints per request type: requests, throughput (req/s), p50, p95, errors, p95 ÷ /healthz's p95; then "met" (exit 0)
or "NOT met" (exit 1) against the targets: no error at all; p95 ≤ 1000 ms for every page and request, ≤ 2000 ms for
a photo upload and an inspection submission. The targets are set for the county with 50 users; the province is
judged by the same ones. The first 5 s (the users arriving) are not counted. Last, where the server's CPU went:
per kind of request, its mean CPU time and share (bench/gunicorn_cpu.py), to tell the costly pages from the queue.
"""

from gevent import monkey

monkey.patch_all()  # locust's users are greenlets: sockets and threads patched before anything imports them

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import leaders_load as base  # noqa: E402  bench/leaders_load.py: build() (the demo and the province), run_child()
from common import child_answer, cpu_report, gunicorn, inspectors, multipart, photo, sessions  # noqa: E402  bench/common.py
from locust import FastHttpUser, between, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

PAGE_P95_MS = 1000
PHOTO_P95_MS = 2000
RAMP_SECONDS = 5
PHOTO_REQUESTS = ("field photo upload", "field inspection")
SHARE = {"inspector": 0.3, "office": 0.3, "town": 0.2, "public": 0.2}  # of the users; /healthz has 2 besides


class Plan:
    """What the users need, set by measure() before they start: tokens, sessions, paths."""

    inspectors: list[tuple[str, dict, list[bytes]]] = []
    checklist: dict = {}
    office: list[str] = []  # session keys
    towns: list[tuple[str, bytes]] = []  # (session key, the township's ranking CSV)
    week = ""
    villages: list[str] = []
    counter = itertools.count()


class Inspector(FastHttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.token, self.village, self.photos = Plan.inspectors[next(Plan.counter) % len(Plan.inspectors)]

    @task
    def submit(self) -> None:
        key = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "zh-hans"}
        ids = []
        for n, data in enumerate(self.photos):
            body, kind = multipart({"village": self.village["code"], "client_key": f"{key}-p{n}",
                                    "lat": str(self.village["lat"]), "lon": str(self.village["lon"]),
                                    "accuracy_m": "9"}, data)
            with self.client.post("/api/v1/photos", data=body, headers=headers | {"Content-Type": kind},
                                  name="field photo upload", catch_response=True) as response:
                if response.status_code != 201:
                    response.failure(f"photo: {response.status_code} {response.text[:200]}")
                    return
                ids.append(response.json()["id"])
        payload = {"client_key": key, "village": self.village["code"], "checklist": Plan.checklist["id"],
                   "marks": [{"item": i["id"], "points": i["max_points"]} for i in Plan.checklist["items"]],
                   "lat": self.village["lat"], "lon": self.village["lon"], "accuracy_m": 9, "photos": ids}
        with self.client.post("/api/v1/inspections", data=json.dumps(payload),
                              headers=headers | {"Content-Type": "application/json"}, name="field inspection",
                              catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"inspection: {response.status_code} {response.text[:200]}")


class Office(FastHttpUser):
    """A leader or the office, signed in, going through the pages they open most."""

    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.cookie = {"Cookie": f"sessionid={Plan.office[next(Plan.counter) % len(Plan.office)]}",
                       "Accept-Language": "zh-hans", "Accept-Encoding": "gzip"}

    def page(self, name: str, path: str) -> None:
        self.client.get(path, headers=self.cookie, name=name, allow_redirects=False)

    @task
    def home(self) -> None:
        self.page("home", "/")

    @task
    def dashboard(self) -> None:
        self.page("dashboard", "/dashboard/")

    @task
    def ranking(self) -> None:
        self.page("county ranking", f"/ranking/{Plan.week}/")

    @task
    def problems(self) -> None:
        self.page("problems", "/problems/")

    @task
    def bulletin(self) -> None:
        self.page("bulletin", f"/bulletins/{Plan.week}/")

    @task
    def screen(self) -> None:
        self.page("screen data", f"/screen/data.json?week={Plan.week}")

    @task
    def map(self) -> None:
        self.page("map data", f"/map/data.json?week={Plan.week}")


class Town(FastHttpUser):
    """Township staff: the ranking page, then their villages' ranks as a CSV file through it."""

    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.session, self.csv = Plan.towns[next(Plan.counter) % len(Plan.towns)]

    @task
    def submit(self) -> None:
        csrf = uuid.uuid4().hex  # Django compares the form's token with the cookie's
        headers = {"Cookie": f"sessionid={self.session}; csrftoken={csrf}", "Accept-Language": "zh-hans"}
        self.client.get("/ranking/submit/", headers=headers, name="town ranking page", allow_redirects=False)
        body, kind = multipart({"action": "upload", "csrfmiddlewaretoken": csrf}, self.csv, "ranking.csv",
                               "text/csv")
        with self.client.post("/ranking/submit/", data=body, headers=headers | {"Content-Type": kind},
                              name="town ranking upload", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:  # the page again: refused
                response.failure(f"ranking upload: {response.status_code} {response.text[:200]}")


class Public(FastHttpUser):
    wait_time = between(1, 5)
    headers = {"Accept-Language": "zh-hans", "Accept-Encoding": "gzip"}

    @task
    def latest(self) -> None:
        self.client.get("/public/", headers=self.headers, name="public (latest week)")

    @task
    def week(self) -> None:
        self.client.get(f"/public/weeks/{Plan.week}/", headers=self.headers, name="public week")

    @task
    def village(self) -> None:
        code = Plan.villages[next(Plan.counter) % len(Plan.villages)]
        self.client.get(f"/public/villages/{code}/", headers=self.headers, name="public village")


class Health(FastHttpUser):
    """The trivial endpoint, measured under the same load."""

    wait_time = constant(0.5)
    fixed_count = 2

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="healthz (baseline)")


def prepare(size: str, copied: str | None, users: int) -> dict:
    """The data, the accounts and what each kind of user sends; returns build()'s answer."""
    from dudao.accounts import services as accounts
    from dudao.accounts.access import SYSTEM
    from dudao.org.models import Level, Unit

    data = base.build(size, copied, users={"demo_leader", "demo_office"})
    Plan.week = data["week"]
    Plan.office = list(data["sessions"].values())
    count = max(1, round(users * SHARE["inspector"]))
    tokens, Plan.checklist = inspectors(count)
    Plan.inspectors = [(token, village, [photo(n * 2 + k, (1024, 768), (village["lat"], village["lon"]))
                                         for k in range(2)]) for n, (token, village) in enumerate(tokens)]
    towns = list(Unit.objects.filter(level=Level.TOWN).order_by("code")[:max(1, round(users * SHARE["town"]))])
    for town in towns:
        accounts.user_save(actor=SYSTEM, username=f"bench_town_{town.code}", role="town_staff", scope_unit=town)
    town_sessions = sessions(f"bench_town_{t.code}" for t in towns)
    Plan.towns = []
    for town in towns:
        codes = Unit.objects.ranked().filter(parent=town).order_by("code").values_list("code", flat=True)
        csv = "code,rank\n" + "".join(f"{code},{n}\n" for n, code in enumerate(codes, start=1))
        Plan.towns.append((town_sessions[f"bench_town_{town.code}"], csv.encode()))
    Plan.villages = list(Unit.objects.ranked().order_by("?").values_list("code", flat=True)[:200])
    return data


def measure(size: str, copied: str | None, users: int, seconds: int) -> bool:
    data = prepare(size, copied, users)
    counts = {kind: max(1, round(users * share)) for kind, share in SHARE.items()}
    Inspector.fixed_count, Office.fixed_count = counts["inspector"], counts["office"]
    Town.fixed_count, Public.fixed_count = counts["town"], counts["public"]
    total = sum(counts.values()) + Health.fixed_count
    before = os.getloadavg()[0]
    cpu = Path(os.environ["DUDAO_HOME"]) / "cpu"
    cpu.mkdir(exist_ok=True)
    with gunicorn(base.WORKERS, cpu=cpu) as address:
        env = Environment(user_classes=[Inspector, Office, Town, Public, Health], host=address, reset_stats=True)
        runner = env.create_local_runner()
        runner.start(total, spawn_rate=total / RAMP_SECONDS)
        gevent.spawn_later(RAMP_SECONDS + seconds, runner.quit)
        runner.greenlet.join()
    print(f"\n{size} ({data['villages']} villages), {users} users ({counts['inspector']} inspectors, "
          f"{counts['office']} leaders/office, {counts['town']} township staff, {counts['public']} public) + "
          f"{Health.fixed_count} on /healthz, {base.WORKERS} sync workers, locust, {seconds} s after {RAMP_SECONDS} s "
          f"of arrival")
    print(f"{'request':<24} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
          f"{'p95 ÷ healthz':>13} {'target':>7}")
    entries = sorted(env.stats.entries.values(), key=lambda e: (not e.name.startswith("healthz"), e.name))
    health = next((e for e in entries if e.name.startswith("healthz")), None)
    health_p95 = health.get_response_time_percentile(0.95) if health is not None else 0
    ok = bool(entries)
    for entry in entries:
        target = PHOTO_P95_MS if entry.name in PHOTO_REQUESTS else PAGE_P95_MS
        p95 = entry.get_response_time_percentile(0.95)
        good = entry.num_failures == 0 and p95 <= target and entry.num_requests > 0
        ok = ok and good
        ratio = f"{p95 / health_p95:.1f}" if health_p95 else "-"
        print(f"{entry.name:<24} {entry.num_requests:>8} {entry.total_rps:>7.2f} "
              f"{entry.get_response_time_percentile(0.5):>7.0f} {p95:>7.0f} {entry.num_failures:>6} {ratio:>13} "
              f"{target:>7}{'' if good else '  NOT met'}")
    print(f"{'all':<24} {env.stats.total.num_requests:>8} {env.stats.total.total_rps:>7.2f} "
          f"{env.stats.total.get_response_time_percentile(0.5):>7.0f} "
          f"{env.stats.total.get_response_time_percentile(0.95):>7.0f} {env.stats.total.num_failures:>6}")
    print(f"machine: {os.cpu_count()} cores, load average (1 min) {before:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after (the server, locust and anything else running)")
    for error in list(env.stats.errors.values())[:10]:
        print(f"error ×{error.occurrences}: {error.method} {error.name}: {error.error}")
    cpu_report(cpu, RAMP_SECONDS + seconds)
    print(f"\ntargets: 0 errors, p95 <= {PAGE_P95_MS} ms for pages, <= {PHOTO_P95_MS} ms for photo submissions: "
          f"{'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", default="county", choices=["county", "province"])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60, help="how long the load runs (after the users arrive)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # a fresh DUDAO_HOME and Django in this process
        base.run_child(args.size, "load", lambda size, copied: {"ok": measure(size, copied, args.users, args.seconds)},
                       "RESULT")
        return
    answer = child_answer([__file__, "--child", args.size, "--users", str(args.users), "--seconds", str(args.seconds)],
                          "RESULT")
    sys.exit(0 if answer["ok"] else 1)


if __name__ == "__main__":
    main()
