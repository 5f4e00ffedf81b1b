from django.db import migrations, models


def anchor(apps, schema_editor):
    """The head of an existing log: its last entry as it stands now."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if last:
        AuditHead.objects.create(pk=1, seq=last[0], hash=last[1])


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(verbose_name="sequence")),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit head",
                "verbose_name_plural": "audit heads",
            },
        ),
        migrations.RunPython(anchor, migrations.RunPython.noop),
    ]
