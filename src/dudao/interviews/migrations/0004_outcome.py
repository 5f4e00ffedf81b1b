"""The outcome of a held interview (问责追究): recorded by the office once per interview and person, corrected
by a revision that supersedes it (decision 0024)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('interviews', '0003_interview_villages'),
        ('org', '0004_unit_description'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Outcome',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('none', 'no further action'), ('criticism', 'circulated criticism'), ('admonishment', 'admonishment talk'), ('accountability', 'accountability')], max_length=20, verbose_name='outcome')),
                ('reference', models.CharField(blank=True, max_length=100, verbose_name='decision reference')),
                ('decided_on', models.DateField(blank=True, null=True, verbose_name='decision date')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('revise_reason', models.TextField(blank=True, verbose_name='why it was revised')),
                ('recorded_by_label', models.CharField(max_length=150)),
                ('recorded_at', models.DateTimeField()),
                ('synthetic', models.BooleanField(default=False, verbose_name='demo data')),
                ('interview', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='outcomes', to='interviews.interview')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.person')),
                ('post', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.post')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('supersedes', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='superseded_by', to='interviews.outcome')),
            ],
            options={
                'verbose_name': 'outcome',
                'verbose_name_plural': 'outcomes',
                'ordering': ['interview', 'recorded_at', 'pk'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('supersedes__isnull', True)), fields=('interview', 'person'), name='outcome_once_per_interview_person'), models.CheckConstraint(condition=models.Q(models.Q(('kind', 'accountability'), _negated=True), models.Q(('decided_on__isnull', False), models.Q(('reference', ''), _negated=True)), _connector='OR'), name='outcome_accountability_has_decision')],
            },
        ),
    ]
