from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """The background worker: runs the tasks queued in the database, every app's sweeps (the notification outbox)
    and periodic checks (overdue problems, the ranking deadline). Each app declares its jobs in its own ``jobs``
    module; the worker finds them and knows no app."""

    name = "dudao.worker"
    label = "worker"
