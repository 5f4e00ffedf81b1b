"""Interviews get a lifecycle (dudao.interviews): status, a hold-by date, schedule, record of the meeting,
cancellation. Interviews published before this migration become pending, to be held by the fifth working day
(Monday-Friday and the working calendar's exceptions) after their round's publication."""

import datetime as dt

from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone


def backfill_hold_by(apps, schema_editor):
    Interview = apps.get_model("ranking", "Interview")
    CalendarDay = apps.get_model("problems", "CalendarDay")
    exceptions = dict(CalendarDay.objects.values_list("date", "working"))

    def is_working(day: dt.date) -> bool:
        return exceptions.get(day, day.weekday() < 5)

    def add_working_days(start: dt.date, days: int) -> dt.date:
        day = start
        while days > 0:
            day += dt.timedelta(days=1)
            if is_working(day):
                days -= 1
        return day

    by_round: dict[int, dt.date] = {}
    for interview in Interview.objects.select_related("round").filter(hold_by__isnull=True).iterator():
        if interview.round_id not in by_round:
            published = interview.round.published_at or interview.created_at
            by_round[interview.round_id] = add_working_days(timezone.localtime(published).date(), 5)
        interview.hold_by = by_round[interview.round_id]
        interview.save(update_fields=["hold_by"])


class Migration(migrations.Migration):

    dependencies = [
        ("ranking", "0004_round_drone_from_photos"),
        ("problems", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="interview",
            name="status",
            field=models.CharField(choices=[("pending", "to be scheduled"), ("scheduled", "scheduled"),
                                            ("held", "held, commitments open"), ("closed", "closed"),
                                            ("cancelled", "cancelled")],
                                   default="pending", max_length=10, verbose_name="status"),
        ),
        migrations.AddField(
            model_name="interview",
            name="hold_by",
            field=models.DateField(null=True, verbose_name="to be held by"),
        ),
        migrations.RunPython(backfill_hold_by, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="interview",
            name="hold_by",
            # The default that stood here (a function of the ranking app) moved with the model to dudao.interviews,
            # where interviews are created with their hold-by date; a callable default never reached the database.
            field=models.DateField(verbose_name="to be held by"),
        ),
        migrations.AddField(
            model_name="interview",
            name="scheduled_for",
            field=models.DateTimeField(blank=True, null=True, verbose_name="scheduled for"),
        ),
        migrations.AddField(
            model_name="interview",
            name="place",
            field=models.CharField(blank=True, max_length=200, verbose_name="place"),
        ),
        migrations.AddField(
            model_name="interview",
            name="interviewer",
            field=models.CharField(blank=True, max_length=100, verbose_name="interviewer"),
        ),
        migrations.AddField(
            model_name="interview",
            name="held_on",
            field=models.DateField(blank=True, null=True, verbose_name="held on"),
        ),
        migrations.AddField(
            model_name="interview",
            name="minutes",
            field=models.TextField(blank=True, verbose_name="minutes"),
        ),
        migrations.AddField(
            model_name="interview",
            name="cancel_reason",
            field=models.TextField(blank=True, verbose_name="reason for cancelling"),
        ),
        migrations.AddField(
            model_name="interview",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="closed at"),
        ),
        migrations.AddIndex(
            model_name="interview",
            index=models.Index(fields=["status", "hold_by"], name="interview_status_hold_by"),
        ),
        migrations.AddConstraint(
            model_name="interview",
            constraint=models.CheckConstraint(
                condition=~Q(status__in=["held", "closed"]) | Q(held_on__isnull=False),
                name="interview_held_has_date",
            ),
        ),
    ]
