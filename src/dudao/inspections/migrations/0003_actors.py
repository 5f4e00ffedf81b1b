"""Actors as foreign keys with a label: who made a checklist version was a user name in a string; it becomes the
label, and a foreign key to the account of that name is filled in beside it (system:cli keeps no account)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def link_accounts(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Checklist = apps.get_model("inspections", "Checklist")
    labels = set(Checklist.objects.values_list("created_by_label", flat=True))
    for username, pk in User.objects.filter(username__in=labels).values_list("username", "pk"):
        Checklist.objects.filter(created_by_label=username).update(created_by_id=pk)


class Migration(migrations.Migration):

    dependencies = [
        ("inspections", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="checklist", old_name="created_by", new_name="created_by_label"),
        migrations.AddField(model_name="checklist", name="created_by", field=models.ForeignKey(
            blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to=settings.AUTH_USER_MODEL)),
        migrations.RunPython(link_accounts, migrations.RunPython.noop),
    ]
