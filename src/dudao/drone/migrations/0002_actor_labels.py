"""Actors as foreign keys with a label: who scored a drone photo gets the label beside the account, filled from
the account's user name (system:cli where a score has no account)."""

from django.db import migrations, models


def fill_labels(apps, schema_editor):
    DronePhoto = apps.get_model("drone", "DronePhoto")
    for photo in DronePhoto.objects.filter(score__isnull=False).select_related("scored_by").iterator():
        label = photo.scored_by.username if photo.scored_by else "system:cli"
        DronePhoto.objects.filter(pk=photo.pk).update(scored_by_label=label)


class Migration(migrations.Migration):

    dependencies = [
        ("drone", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="dronephoto", name="scored_by_label",
                            field=models.CharField(blank=True, max_length=150)),
        migrations.RunPython(fill_labels, migrations.RunPython.noop),
    ]
