from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts.access import SYSTEM
from dudao.backup.services import backup_make
from dudao.core.cli import DudaoCommand


class Command(DudaoCommand):
    help = "Back up the database and the media into one archive, consistently, while Dudao runs."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the archive to write (a .tar file)")

    def handle(self, *args, **options):
        path = Path(options["output"])
        if not path.resolve().parent.is_dir():
            raise CommandError(_("Cannot write %(path)s: its folder does not exist.") % {"path": path})
        manifest = backup_make(actor=SYSTEM, path=path)
        self.stderr.write(_("Backed up %(rows)s rows in %(tables)s tables and %(media)s media files (audit log up "
                            "to entry #%(seq)s) into %(path)s.")
                          % {"rows": manifest["rows"], "tables": len(manifest["tables"]), "media": manifest["media"],
                             "seq": manifest["audit"]["last_seq"], "path": path})
