"""`dudao notifications send`: try again the e-mails not yet sent (run it from cron every few minutes)."""

from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.notifications.services import send_pending


class Command(DudaoCommand):
    help = "Notifications: send the e-mails that could not be sent yet (send)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send"])

    def handle(self, *args, **options):
        sent = send_pending()
        self.stderr.write(_("%(count)s e-mail(s) sent.") % {"count": sent})
