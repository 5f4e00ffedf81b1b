import getpass

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts import services
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.core.tables import write_csv
from dudao.grids import services as grid_services
from dudao.org.models import Level, Person, Unit


class Command(DudaoCommand):
    help = "Create or change a user account with its role and area."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("set", help="create or update an account")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--unit", help="code of the township, village or grid (township, village and grid staff)")
        add.add_argument("--phone", help="phone of the person behind the account (inspectors)")
        add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        grid = sub.add_parser("grid-accounts", help="open a grid account for every grid person under a unit who "
                                                    "has none; prints phone, name, grid and password as CSV")
        where = grid.add_mutually_exclusive_group(required=True)
        where.add_argument("--village", help="code of the village or community")
        where.add_argument("--town", help="code of the township")
        where.add_argument("--county", action="store_true", help="the whole county")

    def handle(self, *args, **options):
        if options["action"] == "grid-accounts":
            self.grid_accounts(options)
            return
        unit = person = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(_("There is no unit %(code)s.") % {"code": options["unit"]})
        if options["phone"]:
            person = Person.objects.filter(phone=options["phone"]).first()
            if person is None:
                raise CommandError(_("There is no person with phone %(phone)s.") % {"phone": options["phone"]})
        password = None
        if options["password_stdin"]:
            password = input().strip() if not self.stdin_is_tty() else getpass.getpass()
        try:
            user = services.user_save(actor=SYSTEM, username=options["username"], role=options["role"],
                                      scope_unit=unit, person=person, password=password)
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(_("Saved user %(username)s.") % {"username": user.username})

    def grid_accounts(self, options) -> None:
        if options["county"]:
            unit = Unit.objects.filter(level=Level.COUNTY).first()
        else:
            code = options["village"] or options["town"]
            level = (Level.VILLAGE, Level.COMMUNITY) if options["village"] else (Level.TOWN,)
            unit = Unit.objects.filter(code=code, level__in=level).first()
            if unit is None:
                raise CommandError(_("There is no unit %(code)s.") % {"code": code})
        if unit is None:
            raise CommandError(_("There is no county yet: import the units first."))
        try:
            opened = grid_services.grid_accounts_open(actor=SYSTEM, unit=unit)
        except Refused as exc:
            raise CommandError(" ".join(exc.messages)) from None
        header = ["phone", "name", "grid", "password"]
        self.stdout.write(write_csv(header, [[a.username, a.name, a.grid, a.password] for a in opened], bom=False)
                          .decode("utf-8"), ending="")
        self.stderr.write(_("Opened %(count)s grid accounts.") % {"count": len(opened)})

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
