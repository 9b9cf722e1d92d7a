"""Thumbnails become background jobs with rows (projects.models.ThumbnailJob). Images that have no
thumbnail yet get a queued job without a heartbeat, so the sweeper sends them at once."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def queue_missing_thumbnails(apps, schema_editor):
    Media = apps.get_model("projects", "Media")
    ThumbnailJob = apps.get_model("projects", "ThumbnailJob")
    missing = Media.objects.filter(thumbnail="").exclude(file="").values_list("pk", flat=True)
    ThumbnailJob.objects.bulk_create((ThumbnailJob(media_id=pk, heartbeat=None) for pk in missing.iterator()), batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0005_names_unique_per_owner'),
    ]

    operations = [
        migrations.CreateModel(
            name='ThumbnailJob',
            fields=[
                ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=16)),
                ('progress', models.PositiveSmallIntegerField(default=0)),
                ('error', models.TextField(blank=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('heartbeat', models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('chunks_total', models.PositiveIntegerField(default=0)),
                ('chunks_done', models.PositiveIntegerField(default=0)),
                ('media', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='thumbnail_job', serialize=False, to='projects.media')),
            ],
            options={
                'ordering': ['-created_at'],
                'abstract': False,
                'indexes': [models.Index(fields=['state', 'heartbeat'], name='projects_thumbnailjob_sweep')],
            },
        ),
        migrations.RunPython(queue_missing_thumbnails, migrations.RunPython.noop),
    ]
