"""Django's changepassword, audit-logged (without the password, of course)."""

import getpass

from django.contrib.auth.management.commands import changepassword
from django.db import transaction

from dudao.accounts.access import SYSTEM
from dudao.audit.services import audit_record


class Command(changepassword.Command):
    help = "Change a user's password (audit-logged)."

    def handle(self, *args, **options):
        message = super().handle(*args, **options)  # raises CommandError when nothing was changed
        username = options.get("username") or getpass.getuser()
        with transaction.atomic():
            audit_record(actor=SYSTEM, action="user.password", object_type="user", object_id=username,
                         after={"password_changed": True})
        return message
