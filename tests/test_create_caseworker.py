"""`manage.py create_caseworker`: a staff account ready for the admin's second factor."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import segno
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from casework.models import AuthenticatorDevice, BackupCodeDevice, Team
from casework.models.devices import backup_code_hash
from casework.roles import Role
from tests.factories import TeamFactory, UserFactory

PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture
def password_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_creates_verified_ready_caseworker_and_prints_uri_qr_and_codes(password_file):
    team = TeamFactory(name="Ростов")
    out = StringIO()
    call_command(
        "create_caseworker",
        "olga",
        "--email=olga@example.org",
        "--team=Ростов",
        "--role=caseworker",
        f"--password-file={password_file}",
        stdout=out,
    )
    user = get_user_model().objects.get(username="olga")
    assert (user.email, user.is_staff, user.is_superuser) == ("olga@example.org", True, False)
    assert user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == [Role.CASEWORKER.value]
    assert list(user.teams.all()) == [team]
    totp = AuthenticatorDevice.objects.get(user=user)
    assert totp.confirmed
    codes = list(BackupCodeDevice.objects.get(user=user, confirmed=True).codes.all())
    assert len(codes) == 10
    output = out.getvalue()
    assert totp.config_url in output
    assert totp.config_url.startswith("otpauth://totp/")
    qr = StringIO()  # the terminal QR code, of exactly that URI
    segno.make(totp.config_url, error="m").terminal(out=qr, compact=True, border=2)
    assert "▀" in qr.getvalue() and qr.getvalue() in output
    printed = {backup_code_hash(word) for word in re.findall(r"\b[a-z2-7]{8}\b", output)}
    assert {code.code_hash for code in codes} <= printed  # every stored code was printed once
    assert PASSWORD not in output


@pytest.mark.django_db
def test_coordinator_superuser_with_new_team_and_prompted_password(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    call_command(
        "create_caseworker",
        "lead",
        "--team=Новая",
        "--role=coordinator",
        "--superuser",
        stdout=StringIO(),
    )
    user = get_user_model().objects.get(username="lead")
    assert user.is_superuser and user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == [Role.COORDINATOR.value]
    assert Team.objects.get(name="Новая").members.get() == user


@pytest.mark.django_db
def test_refuses_existing_username_and_weak_password(tmp_path):
    UserFactory(username="taken")
    weak = tmp_path / "weak"
    weak.write_text("12345", encoding="utf-8")
    for username in ("taken", "fresh"):
        with pytest.raises(CommandError):
            call_command(
                "create_caseworker",
                username,
                "--team=T",
                "--role=caseworker",
                f"--password-file={weak}",
                stdout=StringIO(),
            )
    assert not get_user_model().objects.filter(username="fresh").exists()
    assert not Team.objects.filter(name="T").exists()
