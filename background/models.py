"""What every background job shares, as abstract models: one state set, attempts, a heartbeat,
progress, a stored failure message, chunk counts, and how the job is sent to a worker.

Concrete jobs live in the apps that own their work: exports.ExportJob and exports.Release,
labeling.ImportJob, projects.ThumbnailJob. Each names the Celery task that runs it (`task_name`,
called with the job's id); background/claims.py claims, beats and finishes jobs of any kind, and
background/sweeping.py sends again every job whose heartbeat went stale (docs/architecture.md
"Background jobs" says how a new kind of job joins).
"""

from django.db import models
from django.utils import timezone

from background import sending


class BackgroundJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # The registered name of the Celery task that runs a job of this kind, given the job's id.
    task_name = ""

    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # Shown to everyone who may see the job: never a server path (background.claims.failure_message).
    error = models.TextField(blank=True)
    # Claims so far; a job that keeps losing its worker fails after background.claims.MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when queued and by every step of a run: a queued or running job whose heartbeat is older
    # than LABELYARD_JOB_STALE_SECONDS lost its message or its worker, and is sent again.
    heartbeat = models.DateTimeField(null=True, blank=True, default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Chunks of the job's work that run as separate Celery tasks (JobChunk rows), and those counted done.
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat"], name="%(app_label)s_%(class)s_sweep")]

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)

    def send(self):
        """Queue this job's task once the current transaction commits."""
        sending.send(self.task_name, self.pk)

    @classmethod
    def exhausted_message(cls, attempts):
        """The error of a job of this kind that lost its worker `attempts` times."""
        name = cls._meta.verbose_name
        return f"The {name} stopped {attempts} times without finishing; its worker may run out of memory."

    @classmethod
    def stopped(cls, pks):
        """Called with the ids of jobs just failed for using up their attempts: what of their work
        is left will not run (nothing to do by default)."""


class JobChunk(models.Model):
    """A run of a job's snapshot (one task per line) that one Celery task handles, counted done once.

    Concrete chunk models add `job`, a foreign key to their job model with related_name "chunks".
    """

    index = models.PositiveIntegerField()
    # Byte range of the snapshot's lines this chunk covers.
    start = models.PositiveBigIntegerField()
    stop = models.PositiveBigIntegerField()
    done = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["job", "index"]
