"""Settings: secrets are required outside tests and may come from files."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "SECRET_KEY": "k" * 20 + "good-secret-value",
    "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"0" * 32).decode(),
    "BLIND_INDEX_KEYS": "blind-index-key-for-settings-test",
    "ACCESS_CODE_KEY": "access-code-key-for-settings-test",
    "TOKEN_HASH_KEY": "token-hash-key-for-settings-test",
}


def load_production(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    for name in GOOD:
        env.pop(name, None)
        env.pop(f"{name}_FILE", None)
    env.update(GOOD, DJANGO_SETTINGS_MODULE="config.settings.production", CASEWORK_READ_DOTENV="0")
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.SECRET_KEY)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_starts_with_every_secret_set():
    done = load_production()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == GOOD["SECRET_KEY"]


@pytest.mark.parametrize("name", sorted(GOOD))
def test_production_refuses_a_missing_secret_and_names_it(name):
    done = load_production(**{name: None})
    assert done.returncode != 0
    assert f"{name} is not set" in done.stderr
    assert GOOD["SECRET_KEY"] not in done.stderr  # the message never echoes other secrets


@pytest.mark.parametrize(
    "value", ["change-me-please-change-me", "django-insecure-abcdefghijklmnop", "short"]
)
def test_production_refuses_placeholder_secrets(value):
    done = load_production(SECRET_KEY=value)
    assert done.returncode != 0
    assert "SECRET_KEY holds a placeholder" in done.stderr


def test_secret_is_read_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-a-file-secret-value-0123456789\n")
    done = load_production(SECRET_KEY=None, SECRET_KEY_FILE=str(secret_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from-a-file-secret-value-0123456789"


def test_file_secret_wins_over_the_variable(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("the-file-value-is-preferred-000")
    done = load_production(SECRET_KEY_FILE=str(secret_file))
    assert done.stdout.strip() == "the-file-value-is-preferred-000"


def test_unreadable_secret_file_is_refused(tmp_path):
    done = load_production(SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert done.returncode != 0
    assert "SECRET_KEY_FILE names a file that cannot be read" in done.stderr


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    # Set per connection (config/settings/base.py): the dashboard's counts were slower with it.
    from django.conf import settings
    from django.db import connection

    assert "-c jit=off" in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
