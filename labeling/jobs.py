"""Celery jobs of the labeling app: thin wrappers that take ids and call one function.

Like every job they are idempotent by claim (background/claims.py); acks_late and
reject_on_worker_lost are on for all of them (labelyard/settings.py).
"""

from celery import shared_task

from labeling import bucket_syncs, importing, url_imports


@shared_task(bind=True, max_retries=20)
def run_import(self, import_job_id):
    wait = importing.run_import_job(import_job_id)
    if wait is not None:
        # Redelivered while the job still looks held: its worker may have died, so look again once
        # the heartbeat is stale (the sweeper, background/sweeping.py, would send it again too).
        raise self.retry(countdown=wait)


@shared_task(bind=True, max_retries=20)
def fetch_url_images(self, job_id):
    wait = url_imports.run_url_import(job_id)
    if wait is not None:
        # Redelivered while the job still looks held: its worker may have died, so look again once
        # the heartbeat is stale (the sweeper would send it again too).
        raise self.retry(countdown=wait)


@shared_task(bind=True, max_retries=20)
def sync_bucket(self, job_id):
    wait = bucket_syncs.run_sync(job_id)
    if wait is not None:
        # As for URL imports: look again once a lost worker's heartbeat is stale (the sweeper would
        # send it again too).
        raise self.retry(countdown=wait)
