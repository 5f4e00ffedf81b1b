"""Django's createsuperuser, audit-logged: an account with every right is a state change like any other."""

from django.contrib.auth.management.commands import createsuperuser
from django.db import transaction

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import User
from dudao.accounts.services import user_snapshot
from dudao.audit.services import audit_record


class Command(createsuperuser.Command):
    help = "Create a superuser account (audit-logged)."

    def handle(self, *args, **options):
        last = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        super().handle(*args, **options)
        with transaction.atomic():
            for user in User.objects.filter(pk__gt=last, is_superuser=True).order_by("pk"):
                audit_record(actor=SYSTEM, action="user.create_superuser", object_type="user",
                             object_id=user.username, after=user_snapshot(user) | {"superuser": True})
