"""ImportJob becomes a background job (background/models.py): `status` is `state`, `heartbeat_at`
is `heartbeat`, `message` is `error`; a rejected import is a failed one whose `errors` list the
file's problems."""

import django.utils.timezone
from django.db import migrations, models

STATES = [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")]


def rejected_to_failed(apps, schema_editor):
    ImportJob = apps.get_model("labeling", "ImportJob")
    for job in ImportJob.objects.filter(state="rejected").only("pk", "errors"):
        ImportJob.objects.filter(pk=job.pk).update(
            state="failed", error=f"The file has {len(job.errors)} error(s); nothing was imported."
        )


def failed_to_rejected(apps, schema_editor):
    ImportJob = apps.get_model("labeling", "ImportJob")
    ImportJob.objects.filter(state="failed").exclude(errors=[]).update(state="rejected", error="")


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0004_store_documents_as_json"),
    ]

    operations = [
        migrations.RenameField(model_name="importjob", old_name="status", new_name="state"),
        migrations.RenameField(model_name="importjob", old_name="heartbeat_at", new_name="heartbeat"),
        migrations.RenameField(model_name="importjob", old_name="message", new_name="error"),
        migrations.RunPython(rejected_to_failed, failed_to_rejected),
        migrations.AlterField(
            model_name="importjob",
            name="state",
            field=models.CharField(choices=STATES, default="queued", max_length=16),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="heartbeat",
            field=models.DateTimeField(blank=True, default=django.utils.timezone.now, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="chunks_done",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="chunks_total",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(fields=["state", "heartbeat"], name="labeling_importjob_sweep"),
        ),
    ]
