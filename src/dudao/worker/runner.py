"""`dudao worker`: runs the tasks queued in the database (django-tasks), the apps' sweeps (the notification
outbox) and their periodic checks (dudao.worker.jobs), until SIGTERM or SIGINT (it finishes the job at hand first).

A task whose worker died (killed, out of memory, its machine gone) would stay RUNNING forever: every worker writes
a sign of life (WorkerBeat) every BEAT seconds from a thread of its own, also while a long task runs, and each
worker's loop reaps the tasks of workers not seen for LEASE: queued again once (a bulletin is made again from the
same data), failed the second time, so a task that kills its worker does not kill every worker in turn. The reap
is a conditional UPDATE on the task's state and start time: of several workers, one reaps it, once.

Periodic checks never fire twice for one period: each is started by a conditional UPDATE of its PeriodicCheck row
(``started_at`` older than the period), so of several workers only one starts it; and each check is idempotent
on its own (a problem's ``overdue_notified_at``; the deadline reminder's dedupe key per township and week).
"""

import datetime as dt
import logging
import os
import signal
import threading
import time
from collections import Counter

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.db.utils import DatabaseError, OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from dudao.core.pdf import weasyprint_html
from dudao.worker import jobs
from dudao.worker.jobs import Check
from dudao.worker.models import PeriodicCheck, WorkerBeat

log = logging.getLogger("dudao.worker")


def start_check(check: Check, now: dt.datetime) -> bool:
    """Claim the check for this period; False when it ran less than ``every`` ago (here or in another
    worker)."""
    try:
        with transaction.atomic():
            PeriodicCheck.objects.get_or_create(name=check.name)
    except IntegrityError:
        pass  # another worker created it at the same moment
    return bool(PeriodicCheck.objects.filter(name=check.name)
                .filter(Q(started_at__isnull=True) | Q(started_at__lte=now - check.every)
                        | Q(started_at__gt=now))  # a clock set back does not stop the check for good
                .update(started_at=now))


def run_checks(now: dt.datetime | None = None, checks: list[Check] | None = None) -> dict[str, str]:
    """Run the periodic checks that are due (every app's, unless ``checks`` are given); what each said."""
    done = {}
    for check in jobs.periodic_checks() if checks is None else checks:
        now_ = now or timezone.now()
        if not start_check(check, now_):
            continue
        try:
            outcome = check.run(now_)
        except Exception as error:  # noqa: BLE001 (a failing check is reported and tried again next period)
            log.exception("periodic check %s failed", check.name)
            outcome = f"failed: {error!r}"[:500]
        PeriodicCheck.objects.filter(name=check.name).update(finished_at=timezone.now(), outcome=outcome[:500])
        log.info("periodic check %s: %s", check.name, outcome)
        done[check.name] = outcome
    return done


BEAT = dt.timedelta(seconds=10)  # how often a running worker says it is alive
LEASE = dt.timedelta(seconds=90)  # a worker not seen for this long is gone; its running tasks were cut off
TASK_RUNS = 2  # times a task is started before a cut-off one is failed instead of queued again
BEATS_KEPT = dt.timedelta(days=1)


class WorkerLost(Exception):
    """What a reaped task failed with: its worker stopped while running it (the task's traceback says more)."""


def beat(worker_id: str, now: dt.datetime | None = None) -> None:
    """Say that the worker is alive."""
    now = now or timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        try:
            with transaction.atomic():
                WorkerBeat.objects.create(worker_id=worker_id, seen_at=now)
        except IntegrityError:  # created at the same moment by this worker's other thread
            WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now)


def reap(now: dt.datetime | None = None, backend_name: str = "default") -> Counter:
    """Queue again (or fail, after TASK_RUNS starts) the tasks left RUNNING by workers not seen for LEASE;
    counts "requeued" and "failed". Each task is reaped once, by one caller."""
    now = now or timezone.now()
    since = now - LEASE
    alive = set(WorkerBeat.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True))
    counts: Counter = Counter()
    running = DBTaskResult.objects.filter(backend_name=backend_name, status="RUNNING", started_at__lt=since)
    for task in running.only("id", "started_at", "worker_ids", "task_path"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if worker in alive:
            continue
        mine = DBTaskResult.objects.filter(pk=task.pk, status="RUNNING", started_at=task.started_at)
        if len(task.worker_ids) < TASK_RUNS:
            done = mine.update(status="READY", started_at=None)
            outcome = "requeued"
        else:
            done = mine.update(
                status="FAILED", finished_at=now, return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"WorkerLost: worker {worker} stopped while running the task (not seen for "
                          f"{int(LEASE.total_seconds())} s); started {len(task.worker_ids)} times, not again\n")
            outcome = "failed"
        if done:
            counts[outcome] += 1
            log.warning("task %s (%s): worker %s was lost while running it; %s", task.pk, task.task_path, worker,
                        outcome)
    WorkerBeat.objects.filter(seen_at__lt=now - BEATS_KEPT).delete()
    return counts


class Worker:
    def __init__(self, *, interval: float = 5.0, worker_id: str | None = None, backend_name: str = "default"):
        self.interval = interval
        self.worker_id = worker_id or get_random_string(32)
        self.backend_name = backend_name
        self.running = True
        self.tasks = DbWorker(queue_names=["*"], interval=0, batch=True, backend_name=backend_name,
                              startup_delay=False, max_tasks=None, worker_id=self.worker_id, excluded_queue_names=[])

    # Signals ------------------------------------------------------------------------------------------------

    def stop(self, signum: int, frame) -> None:
        if not self.running:
            log.warning("%s again: stopping now", signal.Signals(signum).name)
            raise SystemExit(1)
        log.warning("%s: finishing the current job, then stopping", signal.Signals(signum).name)
        self.running = False

    def should_stop(self) -> bool:
        return not self.running

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    # Jobs ---------------------------------------------------------------------------------------------------

    def run_one_task(self) -> bool:
        """Claim and run one ready task of the database queue; False when there is none."""
        beat(self.worker_id)  # never hold a task without a fresh sign of life
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
        except OperationalError as error:
            if is_locked_database_exception(error):
                return False
            raise
        if task_result is None:
            return False
        log.info("task %s (%s)", task_result.id, task_result.task_path)
        self.tasks.run_task(task_result)
        return True

    def run_tasks(self, limit: int = 1000) -> int:
        ran = 0
        while self.running and ran < limit and self.run_one_task():
            ran += 1
        return ran

    def sweep(self, now: dt.datetime | None = None) -> dict:
        """Every app's sweep once; their counts added up."""
        total: Counter = Counter()
        for sweep in jobs.sweeps():
            if not self.running:
                break
            counts = sweep.run(now=now, stop=self.should_stop)
            if counts.get("claimed"):
                log.info("%s: %s sent, %s to retry, %s failed", sweep.name, counts.get("sent", 0),
                         counts.get("pending", 0), counts.get("failed", 0))
            total.update(counts)
        return dict(total)

    def run_once(self, now: dt.datetime | None = None) -> dict:
        """Everything that is due, once: the tasks of lost workers reaped, the periodic checks, the queued tasks,
        the sweeps."""
        reap(backend_name=self.backend_name)
        checks = run_checks(now)
        tasks = self.run_tasks()
        swept = self.sweep(now)
        return {"checks": checks, "tasks": tasks, "swept": swept}

    def run(self, *, signals: bool = True) -> None:
        if signals:
            self.install_signals()
        log.warning("worker %s started (sweeping every %g s)", self.worker_id, self.interval)
        beating = threading.Thread(target=self._beat_until_stopped, name="dudao-worker-beat", daemon=True)
        beating.start()
        last_sweep = float("-inf")
        while self.running:
            busy = False
            try:
                close_old_connections()
                busy = self.run_tasks(limit=50) > 0
                if self.running and time.monotonic() - last_sweep >= self.interval:
                    last_sweep = time.monotonic()
                    reap(backend_name=self.backend_name)
                    run_checks()
                    if self.running:
                        self.sweep()
            except DatabaseError as error:
                # The database is away or locked for longer than its timeout: report, wait, go on.
                log.error("database error: %s", error)
                self._reconnect()
            except Exception:  # noqa: BLE001 (a bug in one job must not end the worker: report, wait, go on)
                log.exception("worker %s: unexpected error; carrying on", self.worker_id)
                self._reconnect()
                self.sleep(self.interval)
            if not busy:
                self.sleep(min(self.interval, 1.0))
        log.warning("worker %s stopped", self.worker_id)

    def _beat_until_stopped(self) -> None:
        """The sign of life, from its own thread so that it goes on while a long task runs."""
        while self.running:
            try:
                beat(self.worker_id)
            except DatabaseError as error:
                log.error("worker %s: no sign of life written: %s", self.worker_id, error)
            finally:
                close_old_connections()
            self.sleep(BEAT.total_seconds())

    def _reconnect(self) -> None:
        """Drop a broken database connection; closing one can fail too, and must not end the worker."""
        try:
            close_old_connections()
        except Exception:  # noqa: BLE001
            log.exception("worker %s: closing the database connection failed", self.worker_id)

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end:
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))


def start_in_web_process(interval: float = 5.0) -> threading.Thread:
    """The embedded default (DUDAO_WORKER=web): the worker runs in a daemon thread of each web server process, so
    one command serves pages and does the background work. The thread stops with its process: a task cut off
    that way is queued again once its worker's sign of life is older than LEASE (reap), and an outbox delivery
    cut off is claimed again when its lease runs out. At scale, set DUDAO_WORKER=separate and run `dudao worker`."""
    # WeasyPrint, imported now before any thread runs: its import flips a Pillow flag process-wide for a moment
    # (see dudao.core.pdf), which a photo upload decoding in another thread at that moment must not see.
    weasyprint_html()
    worker = Worker(interval=interval, worker_id=f"web-{os.getpid()}-{get_random_string(8)}")
    thread = threading.Thread(target=worker.run, kwargs={"signals": False}, name="dudao-worker", daemon=True)
    thread.start()
    return thread
