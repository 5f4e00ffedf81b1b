"""The reason the office gives for publishing a week while townships have not submitted their own ranking (kept
on the round, printed in the bulletin), and the campaign's agreement threshold below which a township's own
ranking is flagged."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ranking", "0007_actors"),
    ]

    operations = [
        migrations.AddField(
            model_name="rankingsettings",
            name="agreement_threshold",
            field=models.FloatField(default=0.7, verbose_name="agreement below which a township is flagged (tau-b)"),
        ),
        migrations.AddField(
            model_name="round",
            name="publish_reason",
            field=models.TextField(blank=True, verbose_name="reason for publishing with townships missing"),
        ),
    ]
