"""gunicorn settings for the web container: no access log (it would hold client addresses)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 60
# The proxy buffers request bodies, so slow clients never tie up a sync worker.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
