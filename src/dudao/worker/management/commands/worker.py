"""`dudao worker`: the background worker (CONTRACTS §1). Runs the tasks queued in the database, sends the
notification outbox with retries and runs the periodic checks, until SIGTERM or SIGINT; `--once` does what is
due and exits (for cron and tests). Logs go to standard error."""

import logging

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.worker.runner import Worker


def _interval(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 3600:
        raise ValueError(text)
    return value


class Command(DudaoCommand):
    help = ("Run the background worker until stopped: queued tasks, delivery of notifications (e-mail, SMS, WeCom "
            "and DingTalk robots) with retries, and the periodic checks (overdue problems, the township ranking "
            "deadline).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="run what is due now (periodic checks, queued tasks, the outbox) and exit")
        parser.add_argument("--interval", type=_interval, default=5.0,
                            help="seconds between sweeps of the outbox and the periodic checks (default 5)")
        parser.add_argument("--worker-id", default=None, help="a name for this worker in the task results")

    def handle(self, *args, **options):
        self.configure_logging(options["verbosity"])
        worker = Worker(interval=options["interval"], worker_id=options["worker_id"])
        if options["once"]:
            try:
                done = worker.run_once()
            except Exception as error:  # noqa: BLE001 (reported in the user's language, exit non-zero)
                logging.getLogger("dudao.worker").exception("worker failed")
                raise CommandError(_("The worker failed: %(error)s") % {"error": error}) from None
            swept = done["swept"]
            self.stderr.write(_("%(tasks)s task(s) run; %(sent)s message(s) sent, %(pending)s to retry later, "
                                "%(failed)s failed.") % {"tasks": done["tasks"], "sent": swept.get("sent", 0),
                                                         "pending": swept.get("pending", 0),
                                                         "failed": swept.get("failed", 0)})
            return
        worker.run()

    def configure_logging(self, verbosity: int) -> None:
        """The worker's progress (INFO) reaches standard error through the root logger's handler
        (settings.LOGGING), once per message; -v0 keeps to warnings and errors."""
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in ("dudao.worker", "dudao.notifications", "django_tasks", "django_tasks_db"):
            logging.getLogger(name).setLevel(level)
