"""The Interview model now belongs to dudao.interviews (interviews 0002), table and rows unchanged: the ranking
app forgets it, in Django's state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("ranking", "0005_interview_lifecycle"),
        ("interviews", "0002_interview_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Interview")],
            database_operations=[],
        ),
    ]
