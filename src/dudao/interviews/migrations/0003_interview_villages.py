"""One interview per official and week: an interview keeps its main red village and lists every red village of the
week its official answers for (``villages``). Interviews stored before cover their own village only."""

from django.db import migrations, models


def own_village(apps, schema_editor):
    Interview = apps.get_model("interviews", "Interview")
    through = Interview.villages.through
    rows = Interview.objects.order_by("pk").values_list("pk", "village_id")
    through.objects.bulk_create([through(interview_id=pk, unit_id=village) for pk, village in rows.iterator()],
                                batch_size=1000)


def no_villages(apps, schema_editor):
    Interview = apps.get_model("interviews", "Interview")
    Interview.villages.through.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("interviews", "0002_interview_moves_here"),
        ("org", "0002_unit_path_longer"),
    ]

    operations = [
        migrations.AddField(
            model_name="interview",
            name="villages",
            field=models.ManyToManyField(blank=True, related_name="+", to="org.unit", verbose_name="villages"),
        ),
        migrations.RunPython(own_village, no_villages),
    ]
