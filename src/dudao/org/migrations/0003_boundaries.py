from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_unit_path_longer"),
    ]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="boundary_synthetic",
            field=models.BooleanField(default=False, verbose_name="synthetic boundary"),
        ),
    ]
