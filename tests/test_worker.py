"""`dudao worker`: --once runs the queued tasks, the periodic checks and the outbox sweep; the long-running worker
stops cleanly on SIGTERM; two deliverers at once never send a delivery twice (PostgreSQL)."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from dudao.accounts.models import User
from dudao.notifications import outbox
from dudao.notifications import services as notification_services
from dudao.notifications.models import Delivery
from dudao.notifications.services import publish
from dudao.org.models import Unit
from dudao.worker.models import PeriodicCheck

from .test_notifications_outbox import VILLAGE, Receiver, loopback_robots, receivers  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]


def village_robot(office, url: str):
    return notification_services.channel_save(actor=office, kind="wecom", unit=Unit.objects.get(code=VILLAGE), name="村群", url=url,
                               events=["problem_overdue"])


def test_worker_once_runs_queued_tasks_checks_and_sweeps(users, receivers, monkeypatch):  # noqa: F811
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    DBTaskResult.objects.all().delete()  # the demo's queued bulletins are not this test's business
    receiver = receivers("wecom")
    channel = village_robot(users["office"], receiver.url())
    village = Unit.objects.get(code=VILLAGE)
    publish(kind="problem_overdue", key="w1", units=[(village, {"number": "1"}, "")])
    task = DBTaskResult.objects.get(task_path="dudao.notifications.outbox.deliver")
    assert task.status == "READY"
    # One more, due but without a task (a lost task): the sweep sends it.
    publish(kind="problem_overdue", key="w2", units=[(village, {"number": "2"}, "")])
    DBTaskResult.objects.exclude(pk=task.pk).delete()
    err = io.StringIO()
    call_command("worker", "--once", stderr=err)
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == {"sent": 1, "claimed": 1}
    assert sorted(Delivery.objects.filter(robot=channel).values_list("dedupe_key", "status")) == [
        (f"w1:robot{channel.pk}", "sent"), (f"w2:robot{channel.pk}", "sent")]
    assert len(receiver.received) == 2
    assert set(PeriodicCheck.objects.values_list("name", flat=True)) == {
        "problems_overdue", "ranking_deadline", "leader_digest", "prune_task_results", "plan_tasks_overdue"}
    assert err.getvalue().endswith("1 task(s) run; 1 message(s) sent, 0 to retry later, 0 failed.\n")
    # Run again at once: the periodic checks are not due, nothing to send.
    started = {c.name: c.started_at for c in PeriodicCheck.objects.all()}
    err = io.StringIO()
    call_command("worker", "--once", stderr=err)
    assert {c.name: c.started_at for c in PeriodicCheck.objects.all()} == started
    assert err.getvalue().endswith("0 task(s) run; 0 message(s) sent, 0 to retry later, 0 failed.\n")


def test_worker_stops_cleanly_on_sigterm(fresh_home):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DUDAO_HOME": str(fresh_home), "LANG": "en_US.UTF-8", "PYTHONUNBUFFERED": "1"}
    dudao = [sys.executable, "-m", "dudao"]
    worker = subprocess.Popen([*dudao, "worker", "--interval", "0.2"], env=env, cwd=ROOT, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert worker.stderr is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = worker.stderr.readline()
            lines.append(line)
            if "started" in line or not line:
                break
        assert "started" in lines[-1], lines
        time.sleep(0.5)  # a few sweeps
        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _out, rest = worker.communicate(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, rest
    assert "SIGTERM: finishing the current job, then stopping" in rest
    assert "stopped" in rest.splitlines()[-1]
    assert "Traceback" not in rest


@pytest.mark.threads
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_never_send_twice(demo_data):
    receiver = Receiver("wecom")
    try:
        channel = village_robot(User.objects.get(username="demo_office"), receiver.url())
        village = Unit.objects.get(code=VILLAGE)
        for i in range(30):
            publish(kind="problem_overdue", key=f"c{i}", units=[(village, {"number": str(i)}, "")])
        barrier = threading.Barrier(3)
        results: list[Counter] = []

        def deliver():
            barrier.wait()
            try:
                results.append(outbox.deliver_due(limit=7))
                results.append(outbox.deliver_all_due())
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent = sum(r["sent"] for r in results)
        assert sent == 30
        texts = Counter(b["markdown"]["content"] for b in receiver.received)
        assert len(texts) == 30
        assert set(texts.values()) == {1}
        rows = Delivery.objects.filter(robot=channel)
        assert sorted({(d.status, d.attempts) for d in rows}) == [("sent", 1)]
    finally:
        receiver.stop()


def test_the_web_server_runs_the_worker_in_its_processes_by_default(fresh_home):
    """The embedded default (DUDAO_WORKER=web): a task queued while gunicorn serves is run by gunicorn's process;
    with DUDAO_WORKER=separate it waits for `dudao worker`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DUDAO_WORKER")} | {
        "DUDAO_HOME": str(fresh_home), "LANG": "en_US.UTF-8"}
    dudao = [sys.executable, "-m", "dudao"]
    enqueue = "from dudao.notifications import outbox; print(outbox.deliver.enqueue([]).id)"
    status = ("import os; from django_tasks_db.models import DBTaskResult; "
              "print(DBTaskResult.objects.get(id=os.environ['TASK_ID']).status)")

    def queued() -> str:
        out = subprocess.run([*dudao, "shell", "-c", enqueue], env=env, check=True, cwd=ROOT, timeout=60,
                             capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    def status_of(task_id: str, environment: dict) -> str:
        out = subprocess.run([*dudao, "shell", "-c", status], env=environment | {"TASK_ID": task_id}, check=True,
                             cwd=ROOT, timeout=60, capture_output=True, text=True).stdout
        return out.strip().splitlines()[-1]

    for mode, expected in (("separate", "READY"), ("web", "SUCCESSFUL")):
        task_id = queued()
        server_env = env | {"DUDAO_WORKER": mode}
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", "127.0.0.1:0",
                                   "--workers", "1", "dudao.wsgi"], env=server_env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            seen = status_of(task_id, server_env)
            while seen != expected and time.monotonic() < deadline:
                time.sleep(0.5)
                seen = status_of(task_id, server_env)
            if mode == "separate":
                time.sleep(3)  # time enough for a worker thread, if there were one, to have run it
                seen = status_of(task_id, server_env)
        finally:
            server.terminate()
            server.wait(timeout=20)
        assert seen == expected, mode


def test_the_worker_survives_an_unexpected_error(db, monkeypatch, caplog):
    """A bug in a job (here a KeyError out of the outbox sweep) is logged with its traceback; the worker waits
    and carries on instead of dying with its thread."""
    from dudao.worker import runner as worker_module

    monkeypatch.setattr(worker_module, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker_module, "run_checks", lambda now=None: {})
    # The sign of life comes from a thread of its own, which cannot write to this test's in-memory database.
    monkeypatch.setattr(worker_module, "beat", lambda worker_id, now=None: None)
    monkeypatch.setattr(worker_module, "reap", lambda now=None, backend_name="default": Counter())
    worker = worker_module.Worker(interval=0.01, worker_id="test-worker")
    sweeps = []

    def sweep(now=None):
        sweeps.append(len(sweeps))
        if len(sweeps) == 1:
            raise KeyError("boom")
        worker.running = False
        return {}

    monkeypatch.setattr(worker, "run_tasks", lambda limit=1000: 0)
    monkeypatch.setattr(worker, "sweep", sweep)
    with caplog.at_level("ERROR", logger="dudao.worker"):
        worker.run(signals=False)  # returns: stopped by the second sweep, not by the KeyError
    assert sweeps == [0, 1]
    errors = [r for r in caplog.records if r.name == "dudao.worker" and r.levelname == "ERROR"]
    assert [r.getMessage() for r in errors] == ["worker test-worker: unexpected error; carrying on"]
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is KeyError


@pytest.fixture
def cut_off(db):
    """A queued outbox task (it sends nothing: no ids) that a worker started and then stopped running: it died."""
    import datetime as dt

    from django.utils import timezone

    from dudao.notifications.outbox import deliver

    def make(*workers: str, minutes: float = 5) -> DBTaskResult:
        DBTaskResult.objects.all().delete()
        task = DBTaskResult.objects.get(pk=deliver.enqueue([]).id)
        DBTaskResult.objects.filter(pk=task.pk).update(
            status="RUNNING", started_at=timezone.now() - dt.timedelta(minutes=minutes), worker_ids=list(workers))
        return task

    return make


def test_a_task_cut_off_with_its_worker_is_queued_again_and_run(cut_off):
    from dudao.worker.runner import Worker

    task = cut_off("dead-worker")
    Worker(worker_id="next-worker").run_once()
    task.refresh_from_db()
    assert (task.status, task.worker_ids, task.return_value) == (
        "SUCCESSFUL", ["dead-worker", "next-worker"], {"claimed": 0})
    from dudao.worker.models import WorkerBeat

    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["next-worker"]


def test_a_task_cut_off_a_second_time_is_failed_not_started_again(cut_off):
    from dudao.worker.runner import Worker

    task = cut_off("dead-worker", "dead-again")
    Worker(worker_id="next-worker").run_once()
    task.refresh_from_db()
    assert (task.status, task.worker_ids, task.exception_class_path) == (
        "FAILED", ["dead-worker", "dead-again"], "dudao.worker.runner.WorkerLost")
    assert task.traceback == ("WorkerLost: worker dead-again stopped while running the task (not seen for 90 s); "
                              "started 2 times, not again\n")
    assert task.finished_at is not None


def test_a_task_is_reaped_once_and_never_while_its_worker_lives(cut_off):
    from dudao.worker import runner

    task = cut_off("busy-worker")
    runner.beat("busy-worker")
    assert runner.reap() == Counter()  # alive: its long task goes on
    cut_off("dead-worker", minutes=1)  # started less than LEASE ago: its worker may not have beaten yet
    assert runner.reap() == Counter()
    task = cut_off("dead-worker")
    assert (runner.reap(), runner.reap()) == (Counter(requeued=1), Counter())
    task.refresh_from_db()
    assert (task.status, task.started_at) == ("READY", None)
