"""WSGI entry point for gunicorn (and runserver, through WSGI_APPLICATION)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup(set_prefix=False)

from casework.request_guard import CaseworkWSGIHandler  # noqa: E402  (needs the settings above)

# Django's handler, with a request class that cannot fail on a charset (casework/request_guard.py).
application = CaseworkWSGIHandler()
