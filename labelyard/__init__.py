"""Labelyard: image annotation for ML teams. Loads the Celery app so @shared_task binds to it."""

from labelyard.celery import app as celery_app

__all__ = ["celery_app"]
