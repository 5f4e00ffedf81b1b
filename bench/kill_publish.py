"""Evidence: publishing a week is all or nothing — `dudao ranking publish` killed with SIGKILL at a random moment
leaves either exactly the state before it or the complete published week, never a part of it.

Run: .venv/bin/python bench/kill_publish.py [TIMES]   (default 20; after scripts/setup.sh --dev; loopback only, a few
minutes; SQLite: each attempt starts from a copy of the database file)
On a copy of the demo (bench/evidence.py) the current week, which is still collecting, is computed
(`dudao ranking compute`); that is the state "old". One uninterrupted `dudao ranking publish --week W --reason …`
is timed and gives the state "new". Then TIMES times: the old state is put back, the publish is started and
killed (SIGKILL) after a random delay within its measured run time (after the command's start-up, which is
measured too: before it nothing was touched); the state is compared with old and new — the number of rows of
every table (rounds, results, interviews, escalations, notifications and their deliveries, the bulletin and its
queued task, audit events ...), the round's status and revision, the bulletins' numbers, the audit log's length
and head — then `dudao audit verify` must pass and, when the state is the old one, the publish run again must
succeed and give the new state. It prints each attempt's delay and outcome; the target is every attempt old or
new, the log intact, every publish after a kill succeeding.
"""

import random
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import evidence  # noqa: E402

SEED = 20


def main() -> None:
    times = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if evidence.DATABASE_URL:
        sys.exit("kill_publish.py puts the database back between attempts by copying the SQLite file: run it "
                 "without DATABASE_URL")
    home = evidence.demo_home("publish")
    env = evidence.cli_env(home) | {"DUDAO_WORKER": "separate"}
    evidence.use(home)
    from django.db import connection

    from dudao.audit.models import AuditEvent
    from dudao.audit.services import audit_verify
    from dudao.backup import rows
    from dudao.bulletins.models import DocumentNumber
    from dudao.ranking.models import Round

    week = Round.objects.order_by("-week_start").values_list("week", flat=True).first()
    evidence.dudao(env, "ranking", "compute", "--week", week)
    publish = [str(evidence.BIN / "dudao"), "ranking", "publish", "--week", week, "--reason", "演练：强制中断发布"]

    def state() -> dict:
        """What publishing changes, as counts and keys (times and hashes differ from one run to the next)."""
        found = {m._meta.db_table: m._default_manager.count() for m in rows.dumped_models()}
        found.pop("django_session", None)
        found["rounds"] = sorted(Round.objects.values_list("week", "revision", "status"))
        found["bulletin numbers"] = sorted(DocumentNumber.objects.values_list("round__week", "round__revision", "year",
                                                                             "serial"))
        found["audit"] = list(AuditEvent.objects.order_by("-seq").values_list("seq", "action")[:1])
        connection.close()
        return found

    database = home / "dudao.sqlite3"
    saved = home / "old.sqlite3"

    def save() -> None:
        with closing(sqlite3.connect(database)) as live, closing(sqlite3.connect(saved)) as copy:
            live.backup(copy)

    def put_back() -> None:
        connection.close()
        for name in ("dudao.sqlite3-wal", "dudao.sqlite3-shm"):
            (home / name).unlink(missing_ok=True)
        shutil.copy(saved, database)

    def verified() -> bool:
        _count, bad = audit_verify()
        connection.close()
        return bad is None

    save()
    old = state()
    started = time.monotonic()
    evidence.dudao(env, "shell", "--no-imports", "-c", "pass")
    startup = time.monotonic() - started
    started = time.monotonic()
    evidence.dudao(env, *publish[1:])
    run_time = time.monotonic() - started
    new = state()
    assert new != old and verified()
    print(f"week {week}: publish takes {run_time:.1f} s, of which {startup:.1f} s the command's start-up; "
          f"it adds {sum(new[k] - old[k] for k in old if isinstance(old[k], int))} rows", flush=True)
    changed = sorted(k for k in old if old[k] != new[k])
    print(f"what it changes: {', '.join(changed)}\n", flush=True)

    rng = random.Random(SEED)
    outcomes = []
    print(f"{'#':>3} {'killed after':>12}  {'state':<7} {'audit':<7} {'publish after'}")
    for attempt in range(1, times + 1):
        put_back()
        delay = rng.uniform(startup, run_time)
        process = subprocess.Popen(publish, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished_first = process.poll() is not None
        process.kill()
        process.wait()
        now = state()
        outcome = "old" if now == old else "new" if now == new else "PARTIAL"
        intact = verified()
        again = ""
        if outcome == "old":
            done = subprocess.run(publish, env=env, capture_output=True, check=False)
            again = "ok" if done.returncode == 0 and state() == new else "FAILED " + done.stderr.decode()[-300:]
        outcomes.append((outcome, intact, again in ("", "ok")))
        if outcome == "PARTIAL":
            print("    differs from old in:", sorted(k for k in old if old[k] != now[k]),
                  "from new in:", sorted(k for k in new if new[k] != now[k]))
        print(f"{attempt:>3} {delay:>10.2f} s  {outcome:<7} {'intact' if intact else 'ALTERED':<7} "
              f"{again or '(already published)'}{' (it had finished)' if finished_first else ''}", flush=True)
    olds = sum(1 for o, _i, _a in outcomes if o == "old")
    news = sum(1 for o, _i, _a in outcomes if o == "new")
    print(f"\n{times} kills: {olds} old, {news} new, {times - olds - news} partial; audit intact "
          f"{sum(1 for _o, i, _a in outcomes if i)}/{times}; publish after a kill succeeded "
          f"{sum(1 for o, _i, a in outcomes if o == 'old' and a)}/{olds}")
    shutil.rmtree(home, ignore_errors=True)
    evidence.verdict(olds + news == times and all(i and a for _o, i, a in outcomes),
                     "every kill leaves the old or the new state, the audit log intact, and publish then succeeds")


if __name__ == "__main__":
    main()
