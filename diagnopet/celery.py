"""The Celery application.

With ``CELERY_BROKER_URL`` unset, tasks run eagerly in-process (see settings), so development and the
SQLite quick start need no broker. Tasks are always enqueued through ``transaction.on_commit``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diagnopet.settings")

app = Celery("diagnopet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
