"""UrlImportJob becomes a background job (background/models.py): `status` is `state`,
`heartbeat_at` is `heartbeat`, `message` is `error`; the states keep their values."""

import django.utils.timezone
from django.db import migrations, models

STATES = [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")]


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_add_thumbnail_job"),
    ]

    operations = [
        migrations.RenameField(model_name="urlimportjob", old_name="status", new_name="state"),
        migrations.RenameField(model_name="urlimportjob", old_name="heartbeat_at", new_name="heartbeat"),
        migrations.RenameField(model_name="urlimportjob", old_name="message", new_name="error"),
        migrations.AlterField(
            model_name="urlimportjob",
            name="state",
            field=models.CharField(choices=STATES, default="queued", max_length=16),
        ),
        migrations.AlterField(
            model_name="urlimportjob",
            name="heartbeat",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.AddField(
            model_name="urlimportjob",
            name="progress",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="urlimportjob",
            name="chunks_total",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="urlimportjob",
            name="chunks_done",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="urlimportjob",
            index=models.Index(fields=["state", "heartbeat"], name="projects_urlimportjob_sweep"),
        ),
    ]
