"""Production settings: behind the compose reverse proxy, TLS only."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
# Only the compose reverse proxy reaches gunicorn, and it overwrites this header on every request.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
TRUSTED_PROXY_DEPTH = env.int("TRUSTED_PROXY_DEPTH", default=1)  # the compose proxy adds one hop
