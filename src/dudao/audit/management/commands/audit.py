from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.audit.services import audit_verify
from dudao.core.cli import DudaoCommand

REASONS = {
    "hash": gettext_lazy("content (its hash does not match)"),
    "link": gettext_lazy("link (it does not follow the entry before it)"),
    "gap": gettext_lazy("sequence (an entry before it is missing)"),
    "head": gettext_lazy("head (it was added or replaced after the last recorded entry)"),
    "unanchored": gettext_lazy("head (the log has no recorded head)"),
    "actor": gettext_lazy("actor (its linked account is not the one it names)"),
}


class Command(DudaoCommand):
    help = "Check the audit log's hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every entry; exit non-zero naming the first altered one")

    def handle(self, *args, **options):
        count, bad = audit_verify()
        if bad is not None and bad.event is None:  # the log was cut: the entries from bad.seq on are missing
            raise CommandError(_("The audit log was cut: entry #%(seq)s and every entry after it are missing "
                                 "(the log's recorded head is later).") % {"seq": bad.seq})
        if bad is not None:
            event, reason = bad.event, bad.reason
            raise CommandError(
                _("The audit log was altered: entry #%(seq)s (%(action)s %(object)s, %(at)s) "
                  "fails the %(reason)s check.")
                % {"seq": event.seq, "action": event.action, "object": f"{event.object_type}:{event.object_id}",
                   "at": event.at.isoformat(), "reason": REASONS[reason]}
            )
        self.stdout.write(_("The audit log is intact: %(count)s entries checked.") % {"count": count})
