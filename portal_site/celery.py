"""The Celery app. With no broker configured, tasks run in-process (eagerly)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal_site.settings")

app = Celery("portal_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
