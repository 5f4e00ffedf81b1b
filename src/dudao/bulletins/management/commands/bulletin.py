from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.bulletins import services
from dudao.campaigns.models import Campaign
from dudao.core import weeks
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.ranking.selectors import published_round


class Command(DudaoCommand):
    help = "Write week W's bulletin as .docx, .pdf and .xlsx into a folder and print their paths (CONTRACTS §1)."

    def add_arguments(self, parser):
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2026-W10")
        parser.add_argument("-o", "--output", default=".", help="folder to write into; the current one if omitted")
        parser.add_argument("--campaign", help="campaign short name; the default campaign if omitted")

    def handle(self, *args, **options):
        week = options["week"]
        try:
            weeks.parse_week(week)
        except ValueError:
            raise CommandError(_("“%(week)s” is not an ISO week such as 2026-W10.") % {"week": week}) from None
        slug = options.get("campaign")
        campaign = (Campaign.objects.filter(slug=slug) if slug else Campaign.objects.filter(is_default=True)).first()
        if campaign is None:
            raise CommandError(_("There is no campaign %(slug)s; run dudao init.") % {"slug": slug or ""})
        folder = Path(options["output"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise CommandError(_("%(path)s is not a folder.") % {"path": folder}) from None
        round_ = published_round(campaign, week)
        if round_ is None:
            raise CommandError(_("Week %(week)s is not published: it has no bulletin.") % {"week": week})
        bulletin = services.Bulletin.objects.filter(round=round_).first()
        try:
            if bulletin is None or not all(default_storage.exists(name) for name in
                                           (bulletin.docx_name, bulletin.pdf_name, bulletin.xlsx_name)):
                self.stderr.write(_("Making the bulletin of week %(week)s…") % {"week": week})
                bulletin = services.bulletin_generate(actor=SYSTEM, round_=round_)
            paths = []
            for kind in ("docx", "pdf", "xlsx"):
                with default_storage.open(getattr(bulletin, f"{kind}_name"), "rb") as stored:
                    data = stored.read()
                path = folder / f"bulletin-{week}.{kind}"
                path.write_bytes(data)
                paths.append(path)
        except Refused as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(reason)s") % {
                "path": folder, "reason": exc.strerror or exc}) from None
        for path in paths:
            self.stdout.write(str(path))
