"""Actors as foreign keys with a label: who reported and who rectified a problem get the label beside their
account, filled from the account's user name (system:cli where the command line acted, without an account)."""

from django.db import migrations, models


def fill_labels(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    for problem in Problem.objects.select_related("reported_by", "rectified_by").iterator():
        reported = problem.reported_by.username if problem.reported_by else "system:cli"
        rectified = (problem.rectified_by.username if problem.rectified_by else
                     "system:cli" if problem.rectified_at else "")
        Problem.objects.filter(pk=problem.pk).update(reported_by_label=reported, rectified_by_label=rectified)


class Migration(migrations.Migration):

    dependencies = [
        ("problems", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="problem", name="reported_by_label",
                            field=models.CharField(blank=True, max_length=150)),
        migrations.AddField(model_name="problem", name="rectified_by_label",
                            field=models.CharField(blank=True, max_length=150)),
        migrations.RunPython(fill_labels, migrations.RunPython.noop),
    ]
