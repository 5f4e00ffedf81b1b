"""`dudao notifications send`: send what is due in the notification outbox now (e-mail, SMS, group robots);
`dudao worker` does this every few seconds, this is for cron set-ups without a running worker."""

from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.notifications.outbox import deliver_all_due


class Command(DudaoCommand):
    help = "Notifications: send the messages in the outbox that are due now (send)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send"])

    def handle(self, *args, **options):
        counts = deliver_all_due()
        self.stderr.write(_("%(sent)s message(s) sent, %(pending)s to retry later, %(failed)s failed.")
                          % {"sent": counts["sent"], "pending": counts["pending"], "failed": counts["failed"]})
