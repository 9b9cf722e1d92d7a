"""Celery jobs of the projects app: thin wrappers that take ids and call one function."""

from celery import shared_task

from projects import media


@shared_task(acks_late=True, reject_on_worker_lost=True)
def make_thumbnail(media_id):
    media.make_thumbnail(media_id)
