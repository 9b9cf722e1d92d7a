"""The Celery application; broker and behaviour come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")

app = Celery("labelyard", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery job modules are named jobs.py ("tasks" is the labeling unit).
app.autodiscover_tasks(related_name="jobs")
