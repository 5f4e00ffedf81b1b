"""What every dudao command shares: the user's language and clean error reporting."""

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from dudao.core.messages import describe_with_row
from dudao.core.tables import Problem, write_csv, write_xlsx


def cli_language() -> str:
    """zh-hans unless the environment's locale says English (LANG=en_US.UTF-8 and the like)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh-hans"
    return "zh-hans"


class DudaoCommand(BaseCommand):
    def execute(self, *args, **options):
        with translation.override(cli_language()):
            return super().execute(*args, **options)

    def progress(self, done: int, total: int) -> None:
        self.stderr.write(_("%(done)s of %(total)s rows") % {"done": done, "total": total})

    def refuse(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.stderr.write(describe_with_row(problem))
        raise CommandError(_("Refused: %(count)s problem(s) found, nothing was written.") % {"count": len(problems)})

    def read_input(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}) from None

    def add_sheet_arguments(self, parser) -> None:
        """-o, --format, --encoding and --chinese-headers of an export of a sheet."""
        parser.add_argument("-o", "--output", help="file to write; standard output if omitted")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="overrides the file name's extension")
        parser.add_argument("--encoding", choices=["utf-8", "gb18030"], default="utf-8", help="CSV encoding")

    def write_sheet(self, title: str, header: list[str], rows: list[list[str]], options: dict) -> None:
        """A sheet export as the options of add_sheet_arguments say: XLSX by --format or the file name, else CSV
        (no BOM: scripts read it) in the encoding asked for."""
        output = options["output"]
        fmt = options["format"] or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if fmt == "xlsx" and options["encoding"] != "utf-8":
            raise CommandError(_("--encoding applies to CSV only."))
        if fmt == "xlsx":
            data = write_xlsx([(title, header, rows)])
        else:
            data = write_csv(header, rows, options["encoding"], bom=False)
        self.write_output(data, output)

    def write_output(self, data: bytes, path: str | None) -> None:
        """Write to the file, or to standard output when no file is named (and nothing else goes there)."""
        if path:
            try:
                Path(path).write_bytes(data)
            except OSError as exc:
                message = _("Cannot write %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
                raise CommandError(message) from None
            self.stderr.write(path)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
