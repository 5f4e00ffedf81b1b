from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from dudao.core.cli import DudaoCommand
from dudao.demo.load import DEMO_PASSWORD, load_demo, real_data_present


class Command(DudaoCommand):
    help = "Run init, then load the Jingtai demo (real units, synthetic people, demo logins); idempotent."

    def handle(self, *args, **options):
        call_command("init", stdout=self.stderr, stderr=self.stderr)
        if real_data_present():
            raise CommandError(_("This installation holds real people or accounts; the demo (with its published "
                                 "passwords) is loaded only into an empty or demo installation."))
        logins = load_demo()
        self.stderr.write(_("The Jingtai demo is loaded. Demo sign-ins (password for all: %(password)s):")
                          % {"password": DEMO_PASSWORD})
        for login in logins:
            self.stderr.write(f"  {login.username:<16} {login.role} — {login.area}")
