from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.core.cli import DudaoCommand
from dudao.org import services


class Command(DudaoCommand):
    help = "Import or export units (CONTRACTS §2)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import or update units from a CSV or XLSX file; all or nothing")
        imp.add_argument("file")
        bnd = sub.add_parser(
            "boundaries", help="set unit boundaries from a GeoJSON FeatureCollection; all or nothing",
            description="Set the boundaries of villages, communities, townships (any unit) from a GeoJSON "
                        "FeatureCollection: each feature's properties.code (or 代码) is the unit's 12-digit code, "
                        "its geometry a Polygon or MultiPolygon. Coordinates are converted from --datum to WGS-84 "
                        "and stored so. Nothing is written if any feature is refused; refusals are numbered by "
                        "feature (unknown code, not a polygon, invalid ring, self-intersection, outside the "
                        "county, code given twice).")
        bnd.add_argument("file")
        bnd.add_argument("--datum", choices=["wgs84", "gcj02"], default="wgs84",
                         help="datum of the coordinates, as for points: gcj02 for Chinese web maps "
                              "(GeoJSON's own is WGS-84, the default)")
        bnd.add_argument("--synthetic", action="store_true",
                         help="schematic boundaries (not the real divisions): maps label them so")
        exp = sub.add_parser("export", help="export units (CSV by default, XLSX by the file name)")
        self.add_sheet_arguments(exp)
        exp.add_argument("--chinese-headers", action="store_true", help="Chinese column names and levels")

    def handle(self, *args, **options):
        if options["action"] == "import":
            path = options["file"]
            report = services.units_import(actor=SYSTEM, data=self.read_input(path), filename=path,
                                           progress=self.progress)
            if not report.ok:
                self.refuse(report.problems)
            self.stderr.write(_("Units imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                              % {"created": report.created, "updated": report.updated,
                                 "unchanged": report.unchanged})
            return
        if options["action"] == "boundaries":
            report = services.unit_boundaries_import(actor=SYSTEM, data=self.read_input(options["file"]),
                                                     datum=options["datum"], synthetic=options["synthetic"])
            if not report.ok:
                self.refuse(report.problems)
            self.stderr.write(_("Boundaries set: %(updated)s changed, %(unchanged)s unchanged.")
                              % {"updated": report.updated, "unchanged": report.unchanged})
            return
        header, rows = services.units_export_rows(actor=SYSTEM, chinese=options["chinese_headers"])
        self.write_sheet(_("units"), header, rows, options)
