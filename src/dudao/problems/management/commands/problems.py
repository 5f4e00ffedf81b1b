"""`dudao problems overdue` (run it from cron or a systemd timer; idempotent) and `dudao problems list`."""

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.problems import services
from dudao.problems.models import Problem
from dudao.problems.selectors import overdue_q


class Command(DudaoCommand):
    help = "Problems: tell villages and townships about overdue problems (overdue), or list the overdue (list)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["overdue", "list"])

    def handle(self, *args, **options):
        if options["action"] == "overdue":
            told = services.problems_overdue_notify()
            self.stderr.write(_("%(count)s newly overdue problem(s); their villages and townships were told.")
                              % {"count": len(told)})
            return
        if options["action"] != "list":
            raise CommandError(options["action"])
        rows = Problem.objects.filter(overdue_q()).select_related("category", "village", "town").order_by("deadline")
        for p in rows:
            deadline = timezone.localtime(p.deadline).strftime("%Y-%m-%d %H:%M") if p.deadline else ""
            self.stdout.write("\t".join([p.number, p.town.name, p.village.name, p.category.name, p.status, deadline]))
