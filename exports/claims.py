"""What export jobs and releases share as background jobs: claiming a row for one run, taking
over a run whose worker died, and failing with the reason stored (docs/decisions.md "Jobs are idempotent by claim")."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from projects.failures import failure_message

MAX_ATTEMPTS = 3


def stale_after():
    """How long a running job may go without a heartbeat before another run may take it over."""
    return timedelta(seconds=getattr(settings, "LABELYARD_EXPORT_STALE_SECONDS", 300))


def is_stale(job):
    return job.heartbeat is None or job.heartbeat < timezone.now() - stale_after()


def claim(model, pk, **reset):
    """Take row `pk` of `model` for this run with one conditional update; None if not takeable.

    A queued row is taken; a running one only when its heartbeat is stale (its worker died).
    After MAX_ATTEMPTS claims such a row fails instead of looping. `reset` fields are set too.
    """
    now = timezone.now()
    state = model.State
    stale = Q(heartbeat__lt=now - stale_after()) | Q(heartbeat__isnull=True)
    takeable = Q(state=state.QUEUED) | (Q(state=state.RUNNING) & stale)
    taken = model.objects.filter(takeable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
        state=state.RUNNING, heartbeat=now, progress=0, attempts=F("attempts") + 1, **reset
    )
    if not taken:
        name = model._meta.verbose_name
        model.objects.filter(takeable, pk=pk, attempts__gte=MAX_ATTEMPTS).update(
            state=state.FAILED,
            error=f"The {name} stopped {MAX_ATTEMPTS} times without finishing; its worker may run out of memory.",
            finished_at=now,
        )
        return None
    return model.objects.select_related("project").get(pk=pk)


def fail(model, pk, error):
    """Mark a running row failed with a message for the page and the API, which every member reads.

    The message comes from projects.failures.failure_message: a user-facing error keeps its
    words, any other says only what went wrong (the caller has logged it whole).
    """
    model.objects.filter(pk=pk, state=model.State.RUNNING).update(
        state=model.State.FAILED, error=failure_message(error), finished_at=timezone.now()
    )


def held_for(model, pk, **still):
    """Seconds until a running row's heartbeat goes stale (None unless it is running and matches
    `still`): when a redelivered task may retry to take over a run whose worker died."""
    beat = model.objects.filter(pk=pk, state=model.State.RUNNING, attempts__lt=MAX_ATTEMPTS, **still)
    beat = beat.values_list("heartbeat", flat=True).first()
    if beat is None:
        return None
    return max(1, int((beat + stale_after() - timezone.now()).total_seconds()) + 1)
