"""gunicorn settings for the web container: no access log (it would hold client addresses)."""

import os

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
# The onion listener (casework/onion.py): a second TCP port on the same address, which only tor
# reaches through the proxy; the app knows it by the port a request arrived on (ONION_PORT).
_onion_port = int(os.environ.get("ONION_PORT") or 0)
if _onion_port:
    bind.append(f"{bind[0].rsplit(':', 1)[0]}:{_onion_port}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 60
# The proxy buffers request bodies, so slow clients never tie up a sync worker.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's own log (workers starting and stopping, and "Error handling request <uri>" with a
# traceback when an exception escapes the application) goes through the same redaction as
# every other log: no query string, no client address, no exception text. The access log
# stays off (accesslog = None), so its logger has no handler.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "casework.logging.RedactFilter"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        }
    },
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}
