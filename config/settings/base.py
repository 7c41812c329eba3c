"""Settings read from the environment (django-environ); see README, Configuration.

With `DATABASE_URL`/`REDIS_URL` unset the project runs on an embedded default: SQLite in WAL mode,
kombu's filesystem broker and database-backed counters, so a laptop with only Python can run it.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.settings.secrets import read_key_list, read_secret

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("CASEWORK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A local `.env` (written by `make run` with fresh random keys) is read when present; real
# deployments pass variables or `*_FILE` secrets instead.
if env.bool("CASEWORK_READ_DOTENV", default=True) and (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# `seed_demo` gives the demo coordinator a password and an authenticator key only when this is
# on: `.env` from `make run` sets it (a developer's machine), a deployment never does.
DEMO_LOGIN = env.bool("DEMO_LOGIN", default=False)

# Secrets have no defaults: start-up stops with a message naming the missing variable.
SECRET_KEY = read_secret("SECRET_KEY", required=True)
FIELD_ENCRYPTION_KEYS = read_key_list("FIELD_ENCRYPTION_KEYS", required=True)
BLIND_INDEX_KEYS = read_key_list("BLIND_INDEX_KEYS", required=True)
ACCESS_CODE_KEY = read_secret("ACCESS_CODE_KEY", required=True)
# HMAC key for every stored bearer secret (API tokens, receipt tokens, staff links, backup
# codes): the database keeps only keyed hashes, so a dump alone authenticates nothing.
TOKEN_HASH_KEY = read_secret("TOKEN_HASH_KEY", required=True)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    # django-otp's machinery (middleware, login, throttling) with our own device models
    # (casework/models/devices.py): its TOTP and static plugins keep secrets in plain columns.
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "casework",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: a body in another charset or a NUL in the address is
    # a 400 here, never a 500 further on (casework/request_guard.py).
    "casework.request_guard.MalformedRequestMiddleware",
    # A request on the onion listener sees the family pages only (casework/onion.py); before
    # LocaleMiddleware, which reads the URL map the request uses.
    "casework.onion.OnionListenerMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "casework.middleware.LockdownMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "casework.portal.context.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = read_secret("DATABASE_URL", required=False)  # it holds a password: may be a file
EMBEDDED = not DATABASE_URL
if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "casework.sqlite3")),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers wait (busy timeout) instead of failing mid-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
else:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # No JIT: it compiled the dashboard's counts for ~50 ms each, more than it saved; the
        # rest of the workload is short queries that never reach its cost threshold. Set per
        # connection (no server change, no extra statement). PgBouncer refuses this startup
        # option: behind one, set `jit = off` on the server and DATABASE_JIT_OPTION=false.
        if env.bool("DATABASE_JIT_OPTION", default=True):
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# Persistent connections with a health check, not Django's pool: Celery closes connections
# around every task, and gunicorn's sync workers hold one connection each.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction pooling, consecutive statements may reach different server
# connections, so a cursor declared in one cannot be fetched from in the next (README, Scaling).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DISABLE_SERVER_SIDE_CURSORS", default=False
)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker and cache -----------------------------------------------------------------------
REDIS_URL = read_secret("REDIS_URL", required=False) or ""
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport with one fix, so a worker survives Redis going away while it
    # holds unacknowledged messages (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A message taken but never acknowledged (the worker died) is handed out again after
        # this long; longer than any countdown we use (RETRY_TASK_MAX_SECONDS) and any task.
        "visibility_timeout": 3600,
        # An unreachable Redis (not just a stopped one) must not hold a web request.
        "socket_connect_timeout": 3,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache only saves work (casework/admin/dashboard.py counts without it): a
            # Redis that does not answer costs a page at most a second, never an error.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's default is "control", relative to the working directory: the project root.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Counters for rate limits and lockouts live in Redis when present, in the database otherwise
# (a local-memory cache is per process and would let a second worker reset them).
RATE_LIMIT_BACKEND = "redis" if REDIS_URL else "database"
# Every counter's Redis key starts with this (the test settings give each test process its own).
RATE_LIMIT_KEY_PREFIX = "casework:rl:"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Auth, sessions -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"  # a sign-in posted without `next` (the form always has one)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Casework")
# No admin page shows a device's secret or its backup codes (django-otp's config and QR views
# and the key field); our device admins show even less (casework/admin/accounts.py).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after 30 idle minutes and with the browser; the family status session
# sets its own 15-minute expiry. Sessions hold ids only, never personal data.
SESSION_COOKIE_AGE = 1800
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
STAFF_INVITATION_HOURS = env.int("STAFF_INVITATION_HOURS", default=72)
# API tokens stop working this many days after they are made (casework/services/api_tokens.py).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Sign-in failures per window (seconds), counted by keyed hashes, never by address
# (casework/auth.py): per username and client, per client, per username from anywhere. The last
# must stay above twice the first, so one address can never lock a colleague out.
STAFF_LOGIN_FAILURES = 5
STAFF_LOGIN_CLIENT_FAILURES = 10
STAFF_LOGIN_ACCOUNT_FAILURES = 20
STAFF_LOGIN_WINDOW_SECONDS = 900
AUTHENTICATION_BACKENDS = ["casework.auth.StaffBackend"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF cookie lives only as long as the browser session (no persistent trace on a phone).
CSRF_COOKIE_AGE = None
CSRF_COOKIE_SAMESITE = "Strict"

# --- Content Security Policy: our own host only, no inline script or style anywhere ----------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# "no-referrer" makes browsers send `Origin: null` with every form POST (Fetch standard), which
# Django's CSRF check must refuse: no form on the site could be sent. "same-origin" still sends
# nothing to any other host, and our own URLs never carry personal data.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "casework" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Where "leave quickly" goes: an ordinary, innocuous site (no referrer is sent).
LEAVE_QUICKLY_URL = env.str("LEAVE_QUICKLY_URL", default="https://www.wikipedia.org/")

STATIC_URL = "/static/"
# Without collectstatic (make run, tests) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = read_secret("EMAIL_HOST_PASSWORD", required=False) or ""
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="casework@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Staff emails link back here and are written in this language.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
STAFF_EMAIL_LANGUAGE = env.str("STAFF_EMAIL_LANGUAGE", default="ru")
ADMINS: list[tuple[str, str]] = []  # error emails would carry request data; we never send them

# --- Logging: no personal data, no client address, no query strings -------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "casework.logging.RedactFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Replace Django's defaults, which include mail_admins with the full request.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Celery (see config/celery.py) ----------------------------------------------------------
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None  # a result backend would store arguments and tracebacks
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Cleaning uploads and rendering drafts run here, on a worker of their own (config/celery.py).
CELERY_FILES_QUEUE = env.str("CELERY_FILES_QUEUE", default="files")
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
# Losing the broker is an outage to wait out, never a reason to exit (README, Architecture):
# retry at start-up and after a loss, for ever (Celery's default gives up after 100 tries).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the connection drops finishes its work (which is recorded in the database
# and idempotent) instead of being killed half-way, e.g. between the mail server accepting an
# email and the row being marked sent, which would send it twice. Its message, which can no
# longer be acknowledged, comes back after the visibility timeout and then does nothing.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Publishing from a web request while Redis is down gives up after about a second (the
# after-commit hooks that publish are robust, and the sweeps re-queue from the database).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Static schedule: beat sends ids-free ticks; the work and its state live in the database.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "heartbeat": {"task": "casework.tasks.heartbeat", "schedule": 300.0},
    "sweep-deadlines": {"task": "casework.tasks.sweep_deadlines", "schedule": 900.0},
    "purge-expired": {"task": "casework.tasks.purge_expired", "schedule": 86400.0},
    # The statistics page's figures, counted before they expire (kept 300 s, admin/statistics.py).
    "refresh-statistics": {"task": "casework.tasks.refresh_statistics", "schedule": 240.0},
}
# /healthz fails when the last deadline sweep is older than this (beat or worker has stopped).
SWEEP_STALE_AFTER_SECONDS = env.int("SWEEP_STALE_AFTER_SECONDS", default=3600)
# A clock still missed this many days after its due moment is reported to the team's coordinators.
ESCALATE_MISSED_DAYS = env.int("ESCALATE_MISSED_DAYS", default=3)
# Clocks the sweep takes per short transaction (a fixed number of statements per batch).
SWEEP_BATCH = env.int("SWEEP_BATCH", default=2000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["casework.api.permissions.IsVerifiedStaff"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's defaults, with JSON refused past a sane depth (a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "casework.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "casework.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Casework API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["casework.api.permissions.IsVerifiedStaff"],
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Family portal: intake, status page, uploads, anti-spam, notices (issue 5) ---------------
# (Staff emails use SITE_URL and STAFF_EMAIL_LANGUAGE from the email section above.)
# Messages a caseworker shows to the family disappear from the status page after this many days.
FAMILY_MESSAGE_DAYS = env.int("FAMILY_MESSAGE_DAYS", default=60)
# A draft shared with the family (to sign, to send) is offered at most this many days.
SHARE_MAX_DAYS = env.int("SHARE_MAX_DAYS", default=30)
# A form sent sooner than this after it was shown is a bot's; the benchmark sets 0.
INTAKE_MIN_SECONDS = env.int("INTAKE_MIN_SECONDS", default=4)
# A relative may keep the form open for a long time; after this it is shown again, input kept.
INTAKE_FORM_MAX_AGE_SECONDS = 3 * 86400
# An access code never confirmed as written down is kept (encrypted) this long for a reload.
INTAKE_RECEIPT_HOURS = 24
STATUS_SESSION_IDLE_SECONDS = 900
# What the consent text promises families; the retention purge must keep to it.
RETENTION_MONTHS_AFTER_CLOSE = env.int("RETENTION_MONTHS_AFTER_CLOSE", default=12)
# Backups (casework/backups.py): encrypted with age to these public keys only (the private key
# is never on the server), written to BACKUP_DIR, deleted once older than the retention above
# plus this margin, so a purged case does not live on in an old archive.
BACKUP_AGE_RECIPIENTS = env.list("BACKUP_AGE_RECIPIENTS", default=[])
BACKUP_DIR = env.str("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_MARGIN_MONTHS = env.int("BACKUP_MARGIN_MONTHS", default=1)
# Audit events (references, never personal data) outlive the cases they name, then go with the
# same daily purge, the only path the database lets delete them. 0 keeps them forever.
AUDIT_RETENTION_MONTHS = env.int("AUDIT_RETENTION_MONTHS", default=24)
# Rate limits per client (a keyed, daily-salted hash of the address): (events, window seconds).
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "intake": (env.int("INTAKE_RATE_LIMIT", default=20), 3600),
    "status_attempt": (30, 600),  # every status sign-in attempt, right or wrong
    "status_add": (30, 3600),  # additions from the status page
    # Files a client may send in a day (intake and status page together): each costs the files
    # worker seconds of CPU, so one connection cannot keep it busy for every other family.
    "files": (env.int("DAILY_FILES_LIMIT", default=40), 86400),
}
# Wrong access codes: a lock per (reference, client), a daily cap per client, and per reference
# only a growing, bounded delay, so that a stranger can never lock a family out of its own case.
STATUS_LOCK_FAILURES = 5
STATUS_LOCK_SECONDS = 3600
STATUS_CLIENT_FAILURES = 20
STATUS_DELAY_FREE_FAILURES = 3
STATUS_DELAY_MAX_SECONDS = 2.0
# How many X-Forwarded-For hops to trust for the client address (only ever hashed): 0 in
# development (REMOTE_ADDR), 1 behind the compose proxy (production.py).
TRUSTED_PROXY_DEPTH = env.int("TRUSTED_PROXY_DEPTH", default=0)
# ... and only when the connection comes from one of these networks (the proxy): from anywhere
# else the peer itself is the client, so a header written by someone who reaches gunicorn
# directly cannot make a fresh client per request. Default: loopback and the compose network
# (docker-compose.yml fixes its subnet).
TRUSTED_PROXY_NETWORKS: list[str] = [
    network.strip()
    for network in env.list(
        "TRUSTED_PROXY_NETWORKS", default=["127.0.0.0/8", "::1/128", "172.29.213.0/24"]
    )
    if network.strip()
]
for _network in TRUSTED_PROXY_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:  # refused at start-up, not on the first request
        raise ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {_error}") from None
# --- Onion service (casework/onion.py; docs/operations.md, Onion service) --------------------
# The TCP port of gunicorn's second listener, which only tor (through the proxy) reaches; a
# request that arrives on it sees the family pages only. 0: no onion listener.
ONION_PORT = env.int("ONION_PORT", default=0)
# The onion address tor made (its hostname file), so Django accepts it as a host and its forms'
# origin (Tor Browser sends `Origin: http://<address>`; the proxy tells Django the connection is
# secure, which an onion circuit is: encrypted end to end and authenticated by the address).
ONION_HOSTNAME = env.str("ONION_HOSTNAME", default="").strip().lower()
if ONION_HOSTNAME:
    if not re.fullmatch(r"[a-z2-7]{56}\.onion", ONION_HOSTNAME):
        raise ImproperlyConfigured("ONION_HOSTNAME: not a v3 onion address (56 letters .onion)")
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, ONION_HOSTNAME]
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, f"http://{ONION_HOSTNAME}"]
# On the onion listener a client is the form it sends or the case it names, not an address
# (every onion client arrives from tor's): these ceilings count all onion clients together, so
# fresh forms cannot keep the files worker busy without end. (events, window seconds)
ONION_LISTENER_LIMITS: dict[str, tuple[int, int]] = {
    "intake": (env.int("ONION_INTAKE_LIMIT", default=200), 3600),
    "files": (env.int("ONION_DAILY_FILES_LIMIT", default=1000), 86400),
}
# A failed CSRF check on a family page shows the form again with everything typed, not a 403.
CSRF_FAILURE_VIEW = "casework.portal.views.csrf_failure"
# Staff emails (notices and reminder digests) refused by the mail server are tried again after
# a pause that doubles from NOTICE_RETRY_FIRST_SECONDS up to NOTICE_RETRY_MAX_SECONDS (urgent
# intakes: NOTICE_URGENT_RETRY_MAX_SECONDS), and given up only NOTICE_RETRY_HOURS after they
# were queued; what is given up is listed on the coordinators' overview.
NOTICE_RETRY_HOURS = env.float("NOTICE_RETRY_HOURS", default=48)
NOTICE_RETRY_FIRST_SECONDS = env.float("NOTICE_RETRY_FIRST_SECONDS", default=60)
NOTICE_RETRY_MAX_SECONDS = env.float("NOTICE_RETRY_MAX_SECONDS", default=3600)
NOTICE_URGENT_RETRY_MAX_SECONDS = env.float("NOTICE_URGENT_RETRY_MAX_SECONDS", default=300)
# The sweep re-queues a notice once it is this old (before, its woken sender may still come) and
# takes over a claim this old (its sender died: the window in which one email can go twice).
NOTICE_REQUEUE_AFTER_SECONDS = env.int("NOTICE_REQUEUE_AFTER_SECONDS", default=120)
NOTICE_CLAIM_TIMEOUT_SECONDS = env.int("NOTICE_CLAIM_TIMEOUT_SECONDS", default=900)
# The database holds every pending notice and upload; this sweep re-queues the stale ones.
CELERY_BEAT_SCHEDULE["portal-sweep"] = {"task": "casework.tasks.sweep_portal", "schedule": 300.0}
