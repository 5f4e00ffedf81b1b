"""Actors as foreign keys with a label (docs/decisions/0008-layers.md): a round's requester, publisher and
approver, a submission's submitter and a reminder's sender were user names in strings. Each string becomes the
label (column renamed, every value kept) and a foreign key to the account of that name is filled in beside it;
system:cli and the field:… markers of fed sources keep no account."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FIELDS = {"round": ("requested_by", "published_by", "approved_by"), "submission": ("submitted_by",),
          "reminder": ("sent_by",)}


def link_accounts(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for model_name, fields in FIELDS.items():
        Model = apps.get_model("ranking", model_name)
        for field in fields:
            labels = set(Model.objects.exclude(**{f"{field}_label": ""}).values_list(f"{field}_label", flat=True))
            for username, pk in User.objects.filter(username__in=labels).values_list("username", "pk"):
                Model.objects.filter(**{f"{field}_label": username}).update(**{f"{field}_id": pk})


def actor(blank: bool = True):
    return models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                             to=settings.AUTH_USER_MODEL)


class Migration(migrations.Migration):

    dependencies = [
        ("ranking", "0006_interview_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(migrations.RenameField(model_name=model, old_name=field, new_name=f"{field}_label")
          for model, fields in FIELDS.items() for field in fields),
        *(migrations.AddField(model_name=model, name=field, field=actor())
          for model, fields in FIELDS.items() for field in fields),
        migrations.RunPython(link_accounts, migrations.RunPython.noop),
    ]
