"""Evidence: killing a worker or a web process loses nothing and runs nothing twice.

Run: .venv/bin/python bench/kill_worker.py   (after scripts/setup.sh --dev; loopback only, about four minutes: a
killed worker's task is taken back after the worker's lease, 90 s)
On a copy of the demo (bench/evidence.py, SQLite; DATABASE_URL: the emptied scratch PostgreSQL):
1. Queued tasks with an effect one can count: every published week's bulletin is removed and its making queued
   (bulletins.tasks.generate_bulletin, WeasyPrint's PDF: seconds each). Two `dudao worker` processes start; as
   soon as the first has a task running it is killed (SIGKILL). The other worker takes the task back when the
   dead one's lease has run out (dudao.worker.runner: WorkerBeat and reap) and makes the rest. Counted per week:
   bulletins (must be 1), "bulletin.generate" audit events (must be 1), and the tasks' final states (all
   successful, none failed, none left).
2. Web processes: bench/concurrent_submissions.py's load (20 inspectors × 50 submissions with retries) against
   gunicorn with 4 worker processes, while a gunicorn worker process is killed (SIGKILL) every 15 s; gunicorn
   starts new ones. Counted: submissions acknowledged and not stored (must be 0), duplicates (must be 0), and —
   after the clients' retries — submissions lost at all (must be 0).
"""

import atexit
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import concurrent_submissions  # noqa: E402
import evidence  # noqa: E402

LEASE_WAIT = 240  # seconds to wait for every task to end (the lease is 90 s)
KILL_EVERY = 15.0  # seconds between two web processes killed (a new one must have started in between)


def tasks(home: Path) -> bool:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from dudao.audit.models import AuditEvent
    from dudao.bulletins.models import Bulletin
    from dudao.bulletins.tasks import generate_bulletin
    from dudao.ranking.models import Round, RoundStatus

    DBTaskResult.objects.all().delete()
    Bulletin.objects.all().delete()
    rounds = list(Round.objects.filter(status=RoundStatus.PUBLISHED).select_related("campaign").order_by("week_start"))
    start_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    for round_ in rounds:
        generate_bulletin.enqueue(round_.pk)
    connection.close()
    env = evidence.cli_env(home)
    logs = [open(home / f"worker-{n}.log", "w") for n in (1, 2)]  # noqa: SIM115
    workers = [subprocess.Popen([str(evidence.BIN / "dudao"), "worker", "--worker-id", f"bench-{n}", "--interval",
                                 "1"], env=env, stdout=subprocess.DEVNULL, stderr=logs[n - 1]) for n in (1, 2)]
    for worker in workers:
        atexit.register(worker.kill)  # however this script ends
    print(f"1. {len(rounds)} bulletins queued, two `dudao worker` processes started", flush=True)
    started = time.monotonic()
    killed_task = None
    while time.monotonic() - started < 120:
        running = next((t for t in DBTaskResult.objects.filter(status="RUNNING") if "bench-1" in t.worker_ids), None)
        connection.close()
        if running is not None:
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            killed_task = running.pk
            print(f"   worker bench-1 killed {time.monotonic() - started:.1f} s after the start, while running "
                  f"task {running.pk}", flush=True)
            break
        time.sleep(0.2)
    if killed_task is None:
        print("   worker bench-1 never ran a task: nothing was killed")
    while time.monotonic() - started < LEASE_WAIT:
        left = DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).count()
        connection.close()
        if not left:
            break
        time.sleep(2)
    elapsed = time.monotonic() - started
    for worker in workers[1:]:
        worker.terminate()
        worker.wait(timeout=120)
    for log in logs:
        log.close()
    states = {s: DBTaskResult.objects.filter(status=s).count() for s in ("SUCCESSFUL", "FAILED", "READY", "RUNNING")}
    print(f"   every task ended after {elapsed:.0f} s: {states}")
    if killed_task is not None:
        again = DBTaskResult.objects.get(pk=killed_task)
        print(f"   the killed worker's task: {again.status}, run by {again.worker_ids}")
    ok = killed_task is not None and states["SUCCESSFUL"] == len(rounds) and states["FAILED"] == 0
    print(f"   {'week':<9} {'bulletins':>9} {'generate events':>15}")
    for round_ in rounds:
        made = Bulletin.objects.filter(round=round_).count()
        events = AuditEvent.objects.filter(seq__gt=start_seq, action="bulletin.generate",
                                           object_id=f"{round_.campaign.slug}/{round_.week}").count()
        ok = ok and made == 1 and events == 1
        print(f"   {round_.week:<9} {made:>9} {events:>15}")
    connection.close()
    return ok


def main() -> None:
    home = evidence.demo_home("workers")
    evidence.use(home)
    ok = tasks(home)
    print("\n2. gunicorn worker processes killed during concurrent submissions", flush=True)
    found = concurrent_submissions.measure(home=home, kill_every=KILL_EVERY)
    print(f"   {found['requests']} requests in {found['seconds']:.1f} s, {found['killed']} web processes killed "
          f"(answers {found['statuses']})")
    ok = concurrent_submissions.counts(found, "   ") and ok and found["killed"] > 0
    evidence.verdict(ok, "each queued bulletin made once although its worker was killed; no submission lost or "
                         "duplicated while web processes were killed")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.settings")
    main()
