from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core.cli import DudaoCommand
from dudao.plan import services


class Command(DudaoCommand):
    help = "Import or export the battle map's actions (CONTRACTS §5)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="create or update actions by number from a CSV or XLSX file; all or "
                                            "nothing; each action fans out as tasks to its townships")
        imp.add_argument("file")
        imp.add_argument("--campaign", help="the campaign's slug (default: the default campaign)")
        imp.add_argument("--create-departments", action="store_true",
                         help="create the departments the file names that do not exist yet (listed on stderr)")
        exp = sub.add_parser("export", help="export the actions (CSV by default, XLSX by the file name)")
        exp.add_argument("--campaign", help="the campaign's slug (default: the default campaign)")
        self.add_sheet_arguments(exp)
        exp.add_argument("--chinese-headers", action="store_true", help="Chinese column names")

    def handle(self, *args, **options):
        campaign = campaign_get(options["campaign"])
        if options["action"] == "import":
            path = options["file"]
            report = services.actions_import(actor=SYSTEM, campaign=campaign, data=self.read_input(path),
                                             filename=path, create_departments=options["create_departments"])
            if not report.ok:
                self.refuse(report.problems)
            for name in report.new_departments:
                self.stderr.write(_("Department created: %(name)s") % {"name": name})
            self.stderr.write(_("Actions imported: %(created)s created, %(updated)s updated, %(unchanged)s "
                                "unchanged; %(tasks)s township tasks added.")
                              % {"created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged, "tasks": report.tasks_created})
            return
        header, rows = services.actions_export_rows(campaign=campaign, chinese=options["chinese_headers"])
        self.write_sheet(_("actions"), header, rows, options)
