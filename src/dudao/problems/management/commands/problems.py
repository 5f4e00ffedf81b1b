"""`dudao problems overdue` (run it from cron or a systemd timer; idempotent), `dudao problems list` and
`dudao problems calendar import FILE` (the year's holidays and worked weekends; all or nothing)."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.problems import services
from dudao.problems.models import Problem
from dudao.problems.selectors import overdue_q


class Command(DudaoCommand):
    help = ("Problems: tell villages and townships about overdue problems (overdue), list the overdue (list), or "
            "import the working calendar's exceptions (calendar import FILE).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("overdue", help="tell villages and townships once about problems past their deadline")
        sub.add_parser("list", help="the overdue problems, tab-separated")
        calendar = sub.add_parser("calendar", help="the working calendar's exceptions to Monday-Friday")
        calendar_sub = calendar.add_subparsers(dest="calendar_action", required=True)
        imp = calendar_sub.add_parser(
            "import", help="set holidays and worked weekends from a text file, one day a line: "
                           "date, 休 or 班 (holiday or working), note; all or nothing")
        imp.add_argument("file")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "overdue":
            told = services.problems_overdue_notify()
            self.stderr.write(_("%(count)s newly overdue problem(s); their villages and townships were told.")
                              % {"count": len(told)})
            return
        if action == "calendar":
            self.calendar_import(options["file"])
            return
        if action != "list":
            raise CommandError(action)
        rows = Problem.objects.filter(overdue_q()).select_related("category", "village", "town").order_by("deadline")
        for p in rows:
            deadline = timezone.localtime(p.deadline).strftime("%Y-%m-%d %H:%M") if p.deadline else ""
            self.stdout.write("\t".join([p.number, p.town.name, p.village.name, p.category.name, p.status, deadline]))

    def calendar_import(self, path: str) -> None:
        try:
            rows = services.calendar_parse(services.calendar_text(self.read_input(path)))
            result = services.calendar_import(actor=SYSTEM, rows=rows)
        except Refused as refused:
            for error in refused.params.get("errors", []):
                self.stderr.write(error)
            raise CommandError(refused.message) from None
        self.stderr.write(_("Calendar imported: %(created)s added, %(updated)s changed, %(unchanged)s unchanged.")
                          % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
