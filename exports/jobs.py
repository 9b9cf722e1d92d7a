"""Celery jobs of the exports app: thin wrappers that take ids and call one function of exports.build
or exports.releases.

All are idempotent by claim (background/claims.py: a second run does nothing), so they ack late
and go back to the queue when their worker dies (labelyard/settings.py sets both for every task).
"""

from celery import shared_task

from exports import build, releases


@shared_task(bind=True, max_retries=20)
def build_export(self, export_job_id):
    wait = build.build_export(export_job_id)
    if wait is not None:
        # Redelivered while another run holds the job: look again once that run counts as dead.
        raise self.retry(countdown=wait)


@shared_task
def render_mask_chunk(export_chunk_id):
    build.render_chunk(export_chunk_id)


@shared_task(bind=True, max_retries=20)
def build_release(self, release_id):
    wait = releases.build_release(release_id)
    if wait is not None:
        # Redelivered while another run holds the release: look again once that run counts as dead.
        raise self.retry(countdown=wait)


@shared_task(bind=True, max_retries=20)
def render_release_chunk(self, release_id, attempt, index, start, stop):
    wait = releases.render_chunk(release_id, attempt, index, start, stop)
    if wait is not None:
        # Redelivered while another run holds the finish: take it over once that run counts as dead.
        raise self.retry(countdown=wait)
