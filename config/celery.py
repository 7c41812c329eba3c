"""The Celery app: JSON only, ids in arguments, no result backend, late acks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("casework")
# All options live in Django settings under CELERY_* (config/settings/base.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
