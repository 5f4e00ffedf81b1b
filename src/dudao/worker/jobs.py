"""What the worker runs besides the queued tasks: each app's ``jobs`` module declares its periodic checks
(``CHECKS``) and its sweeps (``SWEEPS``, run every few seconds); the worker finds them in the installed apps, so
that it names no app. The worker's own job: pruning old task results."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps


@dataclass(frozen=True)
class Check:
    """A periodic check: run at most once per ``every`` (across workers); ``run(now)`` says what it did."""

    name: str
    every: dt.timedelta
    run: Callable[[dt.datetime], str]


@dataclass(frozen=True)
class Sweep:
    """Sent every few seconds: ``run(now, stop)`` delivers what is due (stopping early when ``stop()`` says so)
    and counts what it did: "claimed", "sent", "pending" (to retry later), "failed"."""

    name: str
    run: Callable[..., dict[str, int]]


def _jobs_modules():
    for config in apps.get_app_configs():
        name = f"{config.name}.jobs"
        if find_spec(name) is not None:
            yield import_module(name)


def periodic_checks() -> list[Check]:
    return [check for module in _jobs_modules() for check in getattr(module, "CHECKS", [])]


def sweeps() -> list[Sweep]:
    return [sweep for module in _jobs_modules() for sweep in getattr(module, "SWEEPS", [])]


TASK_RESULTS_KEPT = dt.timedelta(days=14)


def prune_task_results(now: dt.datetime) -> str:
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.filter(finished_at__lt=now - TASK_RESULTS_KEPT).delete()
    return f"{deleted} finished task result(s) pruned"


CHECKS = [Check("prune_task_results", dt.timedelta(days=1), prune_task_results)]
