"""`dudao interviews overdue`: the interviews not held by their hold-by date and the commitments not reported
done by their due date, tab-separated on standard output (one header row); the counts go to standard error."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.interviews import selectors
from dudao.org.models import PostRole

HEADER = ["kind", "interview", "week", "township", "village", "person", "post", "status", "due", "days_overdue",
          "what"]


def _clean(text: str) -> str:
    """One line of text for a tab-separated cell."""
    return " ".join(text.split())


class Command(DudaoCommand):
    help = ("Interviews (约谈): list the interviews not held by their hold-by date and the commitments not reported "
            "done by their due date (overdue), tab-separated.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue", help="overdue interviews and commitments, tab-separated")
        overdue.add_argument("--date", help="count as of this day (YYYY-MM-DD; default: today)")

    def handle(self, *args, **options):
        if options["action"] != "overdue":
            raise CommandError(options["action"])
        today = timezone.localdate()
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(_("Not a date: %(value)s (use YYYY-MM-DD).") % {"value": options["date"]}) from None
        self.stdout.write("\t".join(HEADER))
        interviews = list(selectors.overdue_interviews(today=today).prefetch_related("villages"))
        for i in interviews:
            self.stdout.write("\t".join([
                "interview", str(i.pk), i.round.week, i.village.parent.name if i.village.parent else "",
                _villages(i), i.person.name if i.person else _("vacant"), _role(i.role), i.status,
                i.hold_by.isoformat(), str((today - i.hold_by).days), _clean(i.place)]))
        commitments = list(selectors.overdue_commitments(today=today).prefetch_related("interview__villages"))
        for c in commitments:
            i = c.interview
            self.stdout.write("\t".join([
                "commitment", str(i.pk), i.round.week, i.village.parent.name if i.village.parent else "",
                _villages(i), i.person.name if i.person else _("vacant"), _role(i.role), c.status,
                c.due_date.isoformat(), str((today - c.due_date).days), _clean(c.text)]))
        self.stderr.write(_("%(interviews)s overdue interview(s), %(commitments)s overdue commitment(s).")
                          % {"interviews": len(interviews), "commitments": len(commitments)})


def _villages(interview) -> str:
    """Every red village the interview covers, the main one first (one official, one interview a week)."""
    return "、".join(v.name for v in interview.village_list())


def _role(role: str) -> str:
    return str(PostRole(role).label) if role in PostRole.values else role
