"""The Interview model moves from the ranking app to this one (docs/decisions/0008-layers.md). Its table stays
`ranking_interview`, with every row, index and constraint: only Django's idea of which app owns it changes. The
content type (and with it any permission that names it) follows the model."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


def content_type_follows(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="interviews", model="interview").exists():
        ContentType.objects.filter(app_label="ranking", model="interview").update(app_label="interviews")


def content_type_returns(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="ranking", model="interview").exists():
        ContentType.objects.filter(app_label="interviews", model="interview").update(app_label="ranking")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("interviews", "0001_initial"),
        ("org", "0002_unit_path_longer"),
        ("ranking", "0005_interview_lifecycle"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Interview",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("role", models.CharField(max_length=20)),
                        ("reason", models.CharField(choices=[("red", "red this week"),
                                                             ("escalated", "red rounds in a row")], max_length=10)),
                        ("vacant", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("status", models.CharField(choices=[("pending", "to be scheduled"),
                                                             ("scheduled", "scheduled"),
                                                             ("held", "held, commitments open"),
                                                             ("closed", "closed"), ("cancelled", "cancelled")],
                                                    default="pending", max_length=10, verbose_name="status")),
                        ("hold_by", models.DateField(verbose_name="to be held by")),
                        ("scheduled_for", models.DateTimeField(blank=True, null=True, verbose_name="scheduled for")),
                        ("place", models.CharField(blank=True, max_length=200, verbose_name="place")),
                        ("interviewer", models.CharField(blank=True, max_length=100, verbose_name="interviewer")),
                        ("held_on", models.DateField(blank=True, null=True, verbose_name="held on")),
                        ("minutes", models.TextField(blank=True, verbose_name="minutes")),
                        ("cancel_reason", models.TextField(blank=True, verbose_name="reason for cancelling")),
                        ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                        ("person", models.ForeignKey(blank=True, null=True,
                                                     on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                     to="org.person")),
                        ("post", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                   related_name="+", to="org.post")),
                        ("round", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                    related_name="interviews", to="ranking.round")),
                        ("unit", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                   to="org.unit")),
                        ("village", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                      related_name="+", to="org.unit")),
                    ],
                    options={
                        "db_table": "ranking_interview",
                        "ordering": ["round", "village__code", "reason", "role"],
                        "indexes": [models.Index(fields=["status", "hold_by"], name="interview_status_hold_by")],
                        "constraints": [models.CheckConstraint(
                            condition=~Q(status__in=["held", "closed"]) | Q(held_on__isnull=False),
                            name="interview_held_has_date")],
                    },
                ),
                migrations.AlterField(
                    model_name="commitment",
                    name="interview",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="commitments",
                                            to="interviews.interview"),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_follows, content_type_returns),
    ]
