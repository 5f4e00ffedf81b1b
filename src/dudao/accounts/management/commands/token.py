from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.accounts import services
from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.core.cli import DudaoCommand


class Command(DudaoCommand):
    help = "Issue (printed once) or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create", help="issue a token; it is printed once").add_argument("username")
        sub.add_parser("revoke", help="revoke all of the user's tokens").add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("There is no user %(username)s.") % {"username": options["username"]})
        if options["action"] == "create":
            self.stdout.write(services.token_create(actor=SYSTEM, user=user))
            return
        count = services.token_revoke(actor=SYSTEM, user=user)
        self.stderr.write(_("Revoked %(count)s token(s) of %(username)s.") % {"count": count,
                                                                              "username": user.username})
