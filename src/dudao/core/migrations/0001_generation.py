from django.db import migrations, models


def first_row(apps, schema_editor):
    apps.get_model("core", "Generation").objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="Generation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "core_generation"},
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
