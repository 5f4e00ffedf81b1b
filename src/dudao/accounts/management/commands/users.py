import getpass

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts import services
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role
from dudao.core.cli import DudaoCommand
from dudao.core.errors import Refused
from dudao.org.models import Person, Unit


class Command(DudaoCommand):
    help = "Create or change a user account with its role and area."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("set", help="create or update an account")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--unit", help="code of the township or village (township and village staff)")
        add.add_argument("--phone", help="phone of the person behind the account (inspectors)")
        add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args, **options):
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

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
