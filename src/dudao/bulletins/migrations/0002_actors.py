"""Actors as foreign keys with a label: who made a bulletin, uploaded a template or changed the letterhead was a
string ("user:<name>" or "system:cli"). Each string becomes the label - the user name, as everywhere else - and a
foreign key to the account of that name is filled in beside it; system:cli keeps no account."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FIELDS = {"bulletin": "generated_by", "bulletintemplate": "uploaded_by", "letterhead": "updated_by"}


def link_accounts(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for model_name, field in FIELDS.items():
        Model = apps.get_model("bulletins", model_name)
        for row in Model.objects.exclude(**{f"{field}_label": ""}).iterator():
            label = getattr(row, f"{field}_label").removeprefix("user:")
            user = User.objects.filter(username=label).first()
            Model.objects.filter(pk=row.pk).update(**{f"{field}_label": label, f"{field}_id": user.pk if user else None})


def unlink_accounts(apps, schema_editor):
    for model_name, field in FIELDS.items():
        Model = apps.get_model("bulletins", model_name)
        for row in Model.objects.exclude(**{f"{field}_id": None}).iterator():
            Model.objects.filter(pk=row.pk).update(**{f"{field}_label": "user:" + getattr(row, f"{field}_label")})


class Migration(migrations.Migration):

    dependencies = [
        ("bulletins", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(migrations.RenameField(model_name=model, old_name=field, new_name=f"{field}_label")
          for model, field in FIELDS.items()),
        *(migrations.AddField(model_name=model, name=field, field=models.ForeignKey(
            blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to=settings.AUTH_USER_MODEL)) for model, field in FIELDS.items()),
        migrations.RunPython(link_accounts, unlink_accounts),
    ]
