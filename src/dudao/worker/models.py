from django.db import models


class PeriodicCheck(models.Model):
    """When the worker last started a periodic check; claimed with a conditional UPDATE so that two workers
    never start the same check in the same period (the checks are idempotent as well)."""

    name = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        # The table of the notifications app, where the worker began (no data moved when the model did).
        db_table = "notifications_periodiccheck"


class WorkerBeat(models.Model):
    """A worker's sign of life, written every few seconds while it runs (dudao.worker.runner): a task left RUNNING
    by a worker not seen for longer than the lease was cut off, and is queued again or failed (runner.reap)."""

    worker_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(db_index=True)
