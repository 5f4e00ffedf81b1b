from django.core.management import call_command
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_ensure_default
from dudao.core.cli import DudaoCommand
from dudao.inspections.services import checklist_default


class Command(DudaoCommand):
    help = "Create or upgrade the database and create the default campaign if none exists; idempotent."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0, stdout=self.stderr, stderr=self.stderr)
        campaign, created = campaign_ensure_default(actor=SYSTEM)
        if created:
            self.stderr.write(_("Created the default campaign “%(name)s”.") % {"name": campaign.name})
        # The default problem categories and the county's default checklist, once (the office edits them later).
        checklist_default(campaign)
        self.stderr.write(_("The database is ready."))
