"""The sweeper: nothing queued is lost. Every job of every kind that is queued or running with a
stale heartbeat lost its message (the embedded broker drops the messages a killed worker had
taken) or its worker; it is sent again, or failed once it used up its attempts.

background/jobs.py runs sweep() from Celery beat every LABELYARD_JOB_SWEEP_SECONDS.
"""

import logging

from django.apps import apps
from django.utils import timezone

from background import claims
from background.models import BackgroundJob

logger = logging.getLogger(__name__)

# Jobs sent again per kind and sweep: a broker that was down for hours is refilled a batch a minute.
BATCH = 500


def job_models():
    """Every concrete model of a background job, from all installed apps."""
    return [model for model in apps.get_models() if issubclass(model, BackgroundJob)]


def sweep(now=None):
    """Send every stuck job again, fail those past their attempts; returns {model label: (sent, failed)}."""
    now = now or timezone.now()
    counts = {}
    for model in job_models():
        stuck = model.objects.filter(claims.stuck(model, now))
        failed = claims.give_up(model, stuck, now)
        sent = 0
        for pk in (
            stuck.filter(attempts__lt=claims.MAX_ATTEMPTS).order_by("heartbeat").values_list("pk", flat=True)[:BATCH]
        ):
            sent += claims.send_again(model, pk, now)
        if sent or failed:
            logger.warning("Sweeper: %s sent again %d stuck job(s), failed %d", model._meta.label, sent, failed)
        counts[model._meta.label] = (sent, failed)
    return counts
