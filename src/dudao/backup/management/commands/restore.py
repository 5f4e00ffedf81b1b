from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.backup.services import backup_restore
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused


class Command(DudaoCommand):
    help = "Restore a backup made by `dudao backup` into an empty installation (stop the server first)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive written by `dudao backup -o FILE`")
        parser.add_argument("--force", action="store_true",
                            help="replace the database and media of an installation that is not empty")

    def handle(self, *args, **options):
        try:
            manifest = backup_restore(actor=SYSTEM, path=Path(options["file"]), force=options["force"])
        except Refused as refused:
            raise CommandError(refused.message) from None
        self.stderr.write(_("Restored %(rows)s rows and %(media)s media files from the backup of %(created)s "
                            "(Dudao %(version)s).")
                          % {"rows": manifest["rows"], "media": manifest["media"], "created": manifest["created"],
                             "version": manifest["dudao"]})
        # The restored log checked as `dudao audit verify` does (its message on standard error: nothing is exported).
        call_command("audit", "verify", stdout=self.stderr)
