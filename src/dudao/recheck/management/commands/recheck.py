from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.org.models import GroupKind, WorkingGroup
from dudao.recheck import sampling, selectors, services


class Command(DudaoCommand):
    help = "Draw a week's re-inspection sample for an audit group, or verify a recorded draw (decision 0026)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        draw = sub.add_parser("draw", help="draw the week's sample among the villages the township groups inspected")
        draw.add_argument("--week", required=True, help="the ISO week, e.g. 2026-W10")
        draw.add_argument("--size", required=True, type=int, help="how many villages")
        draw.add_argument("--group", help="the audit group's name (default: the first active audit group)")
        draw.add_argument("--redraw", metavar="REASON", help="replace the week's current draw, for this reason")
        draw.add_argument("--campaign", help="the campaign's slug (default: the default campaign)")
        verify = sub.add_parser("verify", help="redo a recorded draw from its seed, candidates and size")
        verify.add_argument("--week", required=True)
        verify.add_argument("--campaign", help="the campaign's slug (default: the default campaign)")

    def handle(self, *args, **options):
        campaign = campaign_get(options["campaign"])
        if options["action"] == "draw":
            groups = WorkingGroup.objects.filter(campaign=campaign, kind=GroupKind.AUDIT, active=True)
            group = groups.filter(name=options["group"]).first() if options["group"] else groups.first()
            if group is None:
                raise CommandError(_("No active audit group of that name."))
            try:
                draw = services.recheck_draw(actor=SYSTEM, campaign=campaign, week=options["week"],
                                             size=options["size"], group=group, redraw=options["redraw"] is not None,
                                             reason=options["redraw"] or "")
            except Refused as refused:
                raise CommandError(refused.message) from None
            self.stdout.write(f"week {draw.week} seed {draw.seed} size {draw.size} "
                              f"candidates {len(draw.candidates)}")
            for code in draw.sample:
                self.stdout.write(code)
            return
        found = selectors.current_draw(campaign, options["week"].strip())
        if found is None:
            raise CommandError(_("No sample was drawn for this week."))
        verified = sampling.verify(found.seed, list(found.candidates), found.size, list(found.sample))
        for code in verified.expected:
            self.stdout.write(code)
        if not verified.ok:
            raise CommandError(_("The recorded seed, candidates and size do NOT give this sample: the record was "
                                 "altered."))
        self.stderr.write(_("The recorded seed, candidates and size give this sample."))
