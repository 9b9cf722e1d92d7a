"""Claiming, beating and ending background jobs of any kind (background.models.BackgroundJob).

A run takes a job with one conditional UPDATE: a queued job, or a running one whose heartbeat is
stale (its worker died). The claim counts an attempt; a job that used up MAX_ATTEMPTS fails
with a message instead of looping. Every later write of the run names the claim's attempt
(ours()), so a run that was taken over writes nothing (docs/decisions.md "Jobs are idempotent by claim").
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

MAX_ATTEMPTS = 3


def stale_after():
    """How long a queued or running job may go without a heartbeat before it counts as lost."""
    return timedelta(seconds=settings.LABELYARD_JOB_STALE_SECONDS)


def is_stale(job, now=None):
    return job.heartbeat is None or job.heartbeat < (now or timezone.now()) - stale_after()


def stale(now=None):
    """The condition of a job whose heartbeat is older than the stale time (or was never set)."""
    return Q(heartbeat__lt=(now or timezone.now()) - stale_after()) | Q(heartbeat__isnull=True)


def stuck(model, now=None):
    """The condition of a job that lost its message or its worker: queued or running, and stale."""
    return Q(state__in=(model.State.QUEUED, model.State.RUNNING)) & stale(now)


def claim(model, pk, select_related=(), **reset):
    """Take job `pk` of `model` for this run with one conditional update; None if not takeable.

    A queued job is taken; a running one only when its heartbeat is stale. A takeable job that used
    up MAX_ATTEMPTS fails with the model's exhausted_message(). `reset` fields are set too.
    """
    now = timezone.now()
    takeable = Q(state=model.State.QUEUED) | (Q(state=model.State.RUNNING) & stale(now))
    taken = model.objects.filter(takeable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
        state=model.State.RUNNING, heartbeat=now, progress=0, attempts=F("attempts") + 1, **reset
    )
    if not taken:
        give_up(model, model.objects.filter(takeable, pk=pk), now)
        return None
    return model.objects.select_related(*select_related).get(pk=pk)


def give_up(model, jobs, now=None):
    """Fail those of `jobs` that used up their attempts (then model.stopped(their ids)); returns how many."""
    exhausted = list(jobs.filter(attempts__gte=MAX_ATTEMPTS).values_list("pk", flat=True))
    if not exhausted:
        return 0
    count = jobs.filter(pk__in=exhausted, attempts__gte=MAX_ATTEMPTS).update(
        state=model.State.FAILED, error=model.exhausted_message(MAX_ATTEMPTS), finished_at=now or timezone.now()
    )
    model.stopped(exhausted)
    return count


def ours(job):
    """The job's row while this run's claim holds: running, at the attempt the claim counted."""
    return type(job).objects.filter(pk=job.pk, state=job.State.RUNNING, attempts=job.attempts)


def beat(job, **fields):
    """Refresh the heartbeat of a run (and set `fields`); False when the run was taken over."""
    return bool(ours(job).update(heartbeat=timezone.now(), **fields))


def finish(job, **fields):
    """Mark the run's job done with `fields`; False when the run was taken over."""
    return bool(ours(job).update(state=job.State.DONE, progress=100, finished_at=timezone.now(), error="", **fields))


def failure_message(error):
    """What users are told of `error`: errors meant for them (`public = True`) keep their message; any
    other only says what went wrong, without file paths or internals (the caller logs it whole)."""
    if getattr(error, "public", False):
        return str(error)
    detail = error.strerror if isinstance(error, OSError) and error.strerror else error.__class__.__name__
    return f"The server could not finish this: {detail}. The server's log has the details."


def fail(model, pk, error, **fields):
    """Mark a running job failed with failure_message(error) (a string is stored as it is)."""
    message = error if isinstance(error, str) else failure_message(error)
    model.objects.filter(pk=pk, state=model.State.RUNNING).update(
        state=model.State.FAILED, error=message, finished_at=timezone.now(), **fields
    )


def held_for(model, pk, **still):
    """Seconds until a running job's heartbeat goes stale (None unless it is running and matches
    `still`): when a redelivered task may try again to take over a run whose worker died. A job
    that used up its attempts counts too: the next try fails it."""
    beat = model.objects.filter(pk=pk, state=model.State.RUNNING, **still)
    beat = beat.values_list("heartbeat", flat=True).first()
    if beat is None:
        return None
    return max(1, int((beat + stale_after() - timezone.now()).total_seconds()) + 1)


def count_chunk(job, chunk, **fields):
    """Count `chunk` of `job` done once (setting the chunk's `fields`); returns (done, total), or None
    when it was counted before. The job row stays locked until commit, so exactly one chunk sees the
    last count."""
    with transaction.atomic():
        if not type(chunk).objects.filter(pk=chunk.pk, done=False).update(done=True, **fields):
            return None
        jobs = type(job).objects.filter(pk=job.pk)
        jobs.update(chunks_done=F("chunks_done") + 1, heartbeat=timezone.now())
        return jobs.values_list("chunks_done", "chunks_total").get()


def send_again(model, pk, now=None):
    """Put a stuck job (stuck()) back in the queue and send it; False when it is not stuck any more
    or used up its attempts (then it fails). The heartbeat is set, so it is sent once per stale time."""
    now = now or timezone.now()
    jobs = model.objects.filter(stuck(model, now), pk=pk)
    if not jobs.filter(attempts__lt=MAX_ATTEMPTS).update(state=model.State.QUEUED, heartbeat=now, progress=0):
        give_up(model, jobs, now)
        return False
    model.objects.get(pk=pk).send()
    return True
