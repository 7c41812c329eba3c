"""The Celery app: JSON only, ids in arguments, no result backend, late acks, two lanes."""

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("casework")
# All options live in Django settings under CELERY_* (config/settings/base.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Heavy work (cleaning uploads, rendering document drafts) has a queue and a worker of its own,
# so staff notices and reminders never wait behind a family's ten PDFs (README, Architecture).
FILES_TASKS = frozenset(
    {
        "casework.tasks.clean_attachment",
        "casework.tasks.generate_document",
        "casework.tasks.make_share_pdf",
    }
)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """The `files` lane for heavy tasks; everything else goes to the default queue.

    Read at each publish (not a static table, which Celery caches), so a test worker's queues
    (tests/conftest.py) apply to tasks sent after it started.
    """
    if name in FILES_TASKS:
        return {"queue": app.conf.files_queue}
    return None
