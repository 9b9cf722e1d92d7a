"""Celery tasks of the projects app: thin wrappers that take ids and call one function."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def make_thumbnail(media_id):
    from projects import media  # imported here to avoid an import cycle

    media.make_thumbnail(media_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=20)
def fetch_url_images(self, job_id):
    from projects import url_imports  # imported here to avoid an import cycle

    wait = url_imports.run_url_import(job_id)
    if wait is not None:
        # Redelivered while the job still looks held: its worker may have died, so look again once
        # the heartbeat is stale instead of leaving the job "running" for good.
        raise self.retry(countdown=wait)
