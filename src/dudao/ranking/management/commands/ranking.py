from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.campaigns.models import Campaign
from dudao.core import weeks
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.publication import services as publication
from dudao.ranking import exports, selectors, services
from dudao.ranking.models import SourceName


class Command(DudaoCommand):
    help = "The weekly ranking: import sources, compute, publish and export a week (CONTRACTS §3)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("import", "compute", "publish", "export"):
            action = sub.add_parser(name)
            action.add_argument("--week", required=True, help="ISO week, e.g. 2026-W10")
            action.add_argument("--campaign", help="campaign short name; the default campaign if omitted")
            if name == "import":
                action.add_argument("--source", required=True, choices=SourceName.values)
                action.add_argument("file")
            if name == "publish":
                action.add_argument("--reason", default="",
                                    help="why the week is published while townships have not submitted (required "
                                         "then; printed in the bulletin)")
            if name == "export":
                action.add_argument("--format", choices=["csv", "xlsx", "json"], default=None)
                action.add_argument("-o", "--output")

    def handle(self, *args, **options):
        week = options["week"]
        try:
            weeks.parse_week(week)
        except ValueError:
            raise CommandError(_("“%(week)s” is not an ISO week such as 2026-W10.") % {"week": week}) from None
        campaign = self._campaign(options.get("campaign"))
        action = options["action"]
        try:
            if action == "import":
                report = services.ranking_import(actor=SYSTEM, campaign=campaign, week=week, source=options["source"],
                                                 data=self.read_input(options["file"]), filename=options["file"])
                if not report.ok:
                    self.refuse(report.problems)
                self.stderr.write(_("Imported %(count)s entries of the %(source)s source for %(week)s.")
                                  % {"count": report.entries, "source": options["source"], "week": week})
            elif action == "compute":
                round_ = services.ranking_compute(actor=SYSTEM, campaign=campaign, week=week)
                self.stderr.write(_("Computed %(week)s (revision %(revision)s).")
                                  % {"week": week, "revision": round_.revision})
            elif action == "publish":
                round_ = publication.round_publish(actor=SYSTEM, campaign=campaign, week=week,
                                                   reason=options.get("reason") or "")
                self.stderr.write(_("Published %(week)s (revision %(revision)s): %(count)s interviews.")
                                  % {"week": week, "revision": round_.revision, "count": round_.interviews.count()})
            else:
                self._export(campaign, week, options)
        except Refused as exc:
            raise CommandError(str(exc)) from None

    def _campaign(self, slug: str | None) -> Campaign:
        campaigns = Campaign.objects.filter(slug=slug) if slug else Campaign.objects.filter(is_default=True)
        campaign = campaigns.first()
        if campaign is None:
            raise CommandError(_("There is no campaign %(slug)s; run dudao init.") % {"slug": slug or ""})
        return campaign

    def _export(self, campaign, week: str, options) -> None:
        round_ = selectors.round_live(campaign, week)
        if round_ is None or round_.computed_at is None:
            raise CommandError(_("Week %(week)s has no computed result.") % {"week": week})
        rows = selectors.export_rows(round_)
        output = options["output"]
        fmt = options["format"] or (output.rsplit(".", 1)[-1].lower() if output and "." in output else "csv")
        if fmt not in exports.FORMATS:
            raise CommandError(_("Unknown format %(format)s.") % {"format": fmt})
        data = exports.export(rows, fmt, sheet=week)
        self.write_output(data, output)
