"""Celery tasks of the labeling app: thin wrappers that take ids and call one function."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import(import_job_id):
    from labeling import importing  # imported here to avoid an import cycle

    importing.run_import_job(import_job_id)
