"""Celery tasks of the projects app: thin wrappers that take ids and call one function."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def make_thumbnail(media_id):
    from projects import media  # imported here to avoid an import cycle

    media.make_thumbnail(media_id)
