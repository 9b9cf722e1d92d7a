"""Celery jobs of the background app: the sweeper, run by Celery beat (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from background import sweeping


@shared_task
def sweep():
    sweeping.sweep()
