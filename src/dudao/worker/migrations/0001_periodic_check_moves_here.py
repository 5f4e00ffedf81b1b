"""The worker's PeriodicCheck moves here from dudao.notifications (notifications 0004 forgets it). Its table
`notifications_periodiccheck` and rows stay: a change of Django's state only."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("notifications", "0003_outbox_reason_codes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PeriodicCheck",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("name", models.CharField(max_length=40, unique=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("outcome", models.CharField(blank=True, max_length=500)),
                    ],
                    options={"db_table": "notifications_periodiccheck"},
                ),
            ],
            database_operations=[],
        ),
    ]
