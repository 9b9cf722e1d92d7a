"""Celery jobs of the projects app: thin wrappers that take ids and call one function.

Like every job they are idempotent by claim (background/claims.py); acks_late and
reject_on_worker_lost are on for all of them (labelyard/settings.py).
"""

from celery import shared_task

from projects import media


@shared_task
def make_thumbnail(media_id):
    media.make_thumbnail(media_id)
