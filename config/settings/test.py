"""Test settings: fixed throw-away keys, fast hashing, eager Celery unless a test runs a worker."""

import os

os.environ["CASEWORK_READ_DOTENV"] = "0"  # a developer's local .env must not change the tests

# Throw-away keys for tests only; production reads real ones from the environment.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "tEsT0nLyKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tEsT0nLyKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=",
)
os.environ.setdefault(
    "BLIND_INDEX_KEYS", "test-only-blind-index-key-one,test-only-blind-index-key-two"
)
# Tests run on the real services (README, Tests); CI and most machines have them on localhost.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("ACCESS_CODE_KEY", "test-only-access-code-key-0123456789")
os.environ.setdefault("TOKEN_HASH_KEY", "test-only-token-hash-key-0123456789")

from config.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = True
# Integration tests point a worker at a real SMTP server (tests/conftest.py smtp_server).
EMAIL_BACKEND = os.environ.get(
    "TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["testserver", "127.0.0.1"])  # noqa: F405

# pytest-xdist runs the tests in several processes (gw0, gw1 …) on one Redis database; each has
# its own test database already (pytest-django), and here its own rate-limit counters and cache
# entries, so that one process clearing its counters never resets another's lockout. Servers and
# workers a test starts inherit the variable, so they share their test's keys.
TEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
RATE_LIMIT_KEY_PREFIX = f"casework:test:{TEST_PROCESS}:rl:"
CACHES["default"]["KEY_PREFIX"] = f"casework:test:{TEST_PROCESS}"  # noqa: F405
