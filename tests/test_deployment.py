"""The compose deployment parses and every command it runs points at something that exists."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from casework.uploads import MAX_BYTES, MAX_FILES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ["migrate", "web", "worker", "files-worker", "beat", "backup"]


def test_compose_has_every_service_and_one_beat():
    assert set(COMPOSE["services"]) == {"proxy", "tor", "postgres", "redis", *APP_SERVICES}
    assert "deploy" not in COMPOSE["services"]["beat"]  # never scaled: one beat only


def test_tor_publishes_only_the_proxys_loopback_onion_site():
    tor = COMPOSE["services"]["tor"]
    assert tor["build"] == {"context": ".", "target": "tor"}
    # In the proxy's network namespace: 127.0.0.1:8081 there is reachable by tor alone.
    assert tor["network_mode"] == "service:proxy"
    assert tor["volumes"] == ["./deploy/torrc:/etc/tor/torrc:ro", "tor_keys:/var/lib/tor"]
    assert "tor_keys" in COMPOSE["volumes"] and "ports" not in tor
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    onion_site = caddyfile[caddyfile.index("http://:8081 {") :]
    assert "bind 127.0.0.1" in onion_site and "port 8001" in onion_site
    # The app's onion listener is gunicorn's second port, named to every app service alike.
    assert COMPOSE["x-app"]["environment"]["ONION_PORT"] == "8001"
    # Debian's tor in its own image stage, run as Debian's tor user.
    dockerfile = (ROOT / "Dockerfile").read_text()
    stage = dockerfile[dockerfile.index("FROM debian:bookworm-slim AS tor") :]
    stage = stage[: stage.index("FROM python")]
    assert "install -y --no-install-recommends tor" in stage and "USER debian-tor" in stage


def test_backup_service_reads_the_file_store_and_keeps_archives_in_a_volume():
    backup = COMPOSE["services"]["backup"]
    assert backup["command"] == ["python", "manage.py", "backup", "--every", "86400"]
    assert backup["volumes"] == ["media:/app/var/media:ro", "backups:/app/var/backups"]
    assert "backups" in COMPOSE["volumes"]
    # The image has what it runs: age and pg_dump/pg_restore from Debian.
    assert "age postgresql-client" in (ROOT / "Dockerfile").read_text()


def queues_of(command: list[str]) -> list[str]:
    return command[command.index("-Q") + 1].split(",")


def test_files_have_a_worker_of_their_own_in_compose_and_in_make_run():
    from config.celery import FILES_TASKS, app

    assert queues_of(COMPOSE["services"]["worker"]["command"]) == [app.conf.task_default_queue]
    assert queues_of(COMPOSE["services"]["files-worker"]["command"]) == [app.conf.files_queue]
    dev_run = (ROOT / "bin" / "serve").read_text()
    assert f"worker -Q {app.conf.task_default_queue} " in dev_run
    assert f"worker -Q {app.conf.files_queue} " in dev_run
    for name in FILES_TASKS:
        assert app.amqp.router.route({}, name, (), {})["queue"].name == "files"
    for name in ("casework.tasks.send_notifications", "casework.tasks.send_reminder_digest"):
        assert app.amqp.router.route({}, name, (), {})["queue"].name == "celery"


def test_app_commands_point_at_existing_modules_and_files():
    for name in APP_SERVICES:
        command = COMPOSE["services"][name]["command"]
        program = command[0]
        assert program in {"python", "gunicorn", "celery"}
        assert shutil.which(program, path=str(Path(sys.executable).parent)) or program == "python"
        if program == "python":
            assert (ROOT / command[1]).is_file()
            done = subprocess.run(
                [sys.executable, command[1], "help", command[2]],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
                env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
            )
            assert done.returncode == 0, done.stderr
        if program == "gunicorn":
            assert (ROOT / command[command.index("-c") + 1]).is_file()
            assert importlib.util.find_spec(command[-1]) is not None
        if program == "celery":
            assert importlib.util.find_spec(command[command.index("-A") + 1] + ".celery")


@pytest.mark.parametrize("name", ["web", "worker", "files-worker"])
def test_temporary_files_of_web_and_worker_stay_in_memory(name):
    # The worker decrypts uploads into temporary files while cleaning them: never onto a disk.
    service = COMPOSE["services"][name]
    mounts = [entry.split(":", 1) for entry in service["tmpfs"]]
    options = {path: set(opts.split(",")) for path, opts in mounts}
    # Nothing points tempfile elsewhere, so it writes to /tmp.
    assert "TMPDIR" not in service["environment"]
    assert "TMPDIR" not in (ROOT / "Dockerfile").read_text()
    assert "mode=1777" in options["/tmp"]  # the app runs as an unprivileged user
    assert any(option.startswith("size=") for option in options["/tmp"])
    assert not any(volume.split(":")[1].startswith("/tmp") for volume in service["volumes"])


def test_secrets_are_files_and_every_secret_setting_uses_one():
    app = COMPOSE["services"]["web"]
    for key, value in app["environment"].items():
        if key.endswith("_FILE"):
            secret = value.rsplit("/", 1)[1]
            assert secret in COMPOSE["secrets"]
            assert COMPOSE["secrets"][secret]["file"] == f"./secrets/{secret}"
    for name in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEYS",
        "ACCESS_CODE_KEY",
        "TOKEN_HASH_KEY",
        "DATABASE_URL",
    ):
        assert f"{name}_FILE" in app["environment"]
        assert name not in app["environment"]


def test_postgres_never_logs_statement_values():
    command = COMPOSE["services"]["postgres"]["command"]
    assert "log_min_error_statement=panic" in command
    assert "log_statement=none" in command


def test_proxy_config_exists_logs_nothing_and_buffers_bodies():
    volumes = COMPOSE["services"]["proxy"]["volumes"]
    caddyfile = next(v.split(":")[0] for v in volumes if "Caddyfile" in v)
    text = (ROOT / caddyfile).read_text()
    directives = [line.split("#")[0].strip() for line in text.splitlines()]
    assert "log" not in {d.split(" ")[0] for d in directives if d}
    # To every web container on port 8000 (tests/test_scaling.py checks how they are found).
    assert "port 8000" in directives
    # Django, not the proxy, answers a form with files a little too large (input kept): the
    # proxy's limit leaves ample room above MAX_FILES files of MAX_BYTES, and buffers it all.
    sizes = dict(
        d.split()[:2] for d in directives if d.startswith(("max_size ", "request_buffers "))
    )
    assert sizes == {"max_size": "200MB", "request_buffers": "200MB"}
    assert 200 * 1000 * 1000 > 1.5 * MAX_FILES * MAX_BYTES


def test_dockerfile_uses_the_agreed_base_and_no_access_log():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    # The application is the last stage, so a plain `docker build .` (and compose) builds it.
    assert stages == ["FROM debian:bookworm-slim AS tor", "FROM python:3.11-slim-bookworm"]
    gunicorn = (ROOT / "config" / "gunicorn.py").read_text()
    assert "accesslog = None" in gunicorn


def test_env_example_holds_no_secret():
    example = (ROOT / ".env.production.example").read_text()
    for name in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEYS",
        "ACCESS_CODE_KEY",
        "TOKEN_HASH_KEY",
    ):
        assert name not in example


@pytest.mark.django_db
def test_make_run_sweeps_before_starting_so_the_overview_has_no_false_alarm():
    """README: `make run` runs the sweep once before web, worker and beat start."""
    from django.core.management import call_command

    from casework.selectors import last_sweep_at

    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nprepare: install\n", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines() if not line.strip().startswith("#")]
    assert "$(PY) manage.py sweep_deadlines" in lines
    # Both targets prepare (and so sweep) before any process starts.
    assert "\nrun: prepare\n\tbin/serve\n" in makefile
    assert "\ndev: prepare\n\tbin/serve dev\n" in makefile
    assert last_sweep_at() is None
    call_command("sweep_deadlines")
    assert last_sweep_at() is not None


def _run_copy(script: str, tmp_path: Path) -> str:
    """Run a bin/ script from a copy, so the files it writes land in tmp_path, not the project."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    shutil.copy(ROOT / "bin" / script, tmp_path / "bin" / script)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "bin" / script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_dev_env_gets_only_the_keys_an_older_one_lacks(tmp_path):
    env = tmp_path / ".env"
    env.write_text("DEBUG=true\nSECRET_KEY=kept-as-it-was-0123456789\nACCESS_CODE_KEY=kept-too\n")
    assert "TOKEN_HASH_KEY" in _run_copy("make-dev-env", tmp_path)
    lines = env.read_text().splitlines()
    assert lines[:3] == [
        "DEBUG=true",
        "SECRET_KEY=kept-as-it-was-0123456789",
        "ACCESS_CODE_KEY=kept-too",
    ]
    names = [line.split("=", 1)[0] for line in lines]
    assert sorted(names[3:]) == [
        "BLIND_INDEX_KEYS",
        "DEMO_LOGIN",
        "FIELD_ENCRYPTION_KEYS",
        "TOKEN_HASH_KEY",
    ]
    assert "DEMO_LOGIN=true" in lines  # the demo login keeps working with `make run`'s DEBUG off
    _run_copy("make-dev-env", tmp_path)  # nothing missing any more: nothing changes
    assert env.read_text().splitlines() == lines


def test_make_secrets_adds_the_token_hash_key_and_keeps_the_rest(tmp_path):
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "secret_key").write_text("kept\n")
    _run_copy("make-secrets", tmp_path)
    assert (secrets_dir / "secret_key").read_text() == "kept\n"
    assert len((secrets_dir / "token_hash_key").read_text().strip()) >= 32
    for name in COMPOSE["secrets"]:
        assert (secrets_dir / name).exists(), name
