"""Notifications knows no domain: a rule's event is a kind registered by the app that sends it
(dudao.notifications.kinds), no longer a fixed list of choices; and the worker's PeriodicCheck moves to
dudao.worker (its table `notifications_periodiccheck` and rows stay). Both are changes of Django's state only."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_outbox_reason_codes"),
        ("worker", "0001_periodic_check_moves_here"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rule",
            name="event",
            field=models.CharField(max_length=40, verbose_name="event"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PeriodicCheck")],
            database_operations=[],
        ),
    ]
