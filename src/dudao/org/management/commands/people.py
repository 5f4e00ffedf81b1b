from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.core.cli import DudaoCommand
from dudao.core.tables import write_csv, write_xlsx
from dudao.org import services


class Command(DudaoCommand):
    help = "Import or export people and their posts (the people template)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import people and posts from a CSV or XLSX file; all or nothing")
        imp.add_argument("file")
        exp = sub.add_parser("export", help="export people and posts (XLSX by the file name, else CSV)")
        exp.add_argument("-o", "--output")
        exp.add_argument("--english-headers", action="store_true")

    def handle(self, *args, **options):
        actor = SYSTEM
        if options["action"] == "import":
            path = options["file"]
            report = services.people_import(actor=actor, data=self.read_input(path), filename=path,
                                            progress=self.progress)
            if not report.ok:
                self.refuse(report.problems)
            self.stderr.write(_("People and posts imported: %(created)s created, %(updated)s updated, "
                                "%(unchanged)s unchanged.")
                              % {"created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged})
            return
        header, rows = services.people_export_rows(actor=actor, chinese=not options["english_headers"])
        output = options["output"]
        if output and output.lower().endswith(".xlsx"):
            data = write_xlsx([(_("posts"), header, rows)])
        else:
            data = write_csv(header, rows, bom=False)
        self.write_output(data, output)
