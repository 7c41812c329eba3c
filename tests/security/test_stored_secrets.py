"""Issue 13, items 2 and 11: bearer secrets are stored as keyed hashes, device keys encrypted,
and API tokens are made, listed, expired and revoked as the README says."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import crypto
from casework.models import (
    ApiToken,
    AuditEvent,
    AuthenticatorDevice,
    BackupCodeDevice,
    IntakeSubmission,
    StaffInvitation,
)
from casework.models.devices import backup_code_hash
from casework.roles import Role
from casework.services.api_tokens import ApiTokenError, api_token_create
from casework.services.keys import keys_rotate
from casework.services.staff import emergency_sign_out, staff_invite
from tests.factories import (
    CaseFactory,
    TeamFactory,
    TOTPDeviceFactory,
    UserFactory,
    api_token_for,
)
from tests.portal_support import intake_post
from tests.security.staff_support import PASSWORD, code_for, sign_in_post, signed_in

pytestmark = pytest.mark.django_db
NEW_FIELD_KEY = "bmV3LWZpZWxkLWtleS0wMTIzNDU2Nzg5MDEyMzQ1Njc="


@contextmanager
def another_token_hash_key() -> Iterator[None]:
    try:
        with override_settings(TOKEN_HASH_KEY="another-token-hash-key-0123456789"):
            crypto.reset_key_cache()
            yield
    finally:
        crypto.reset_key_cache()  # after the setting is back: the cache must not keep the other


def api_status(token: str) -> int:
    return APIClient().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code


# --- API tokens ------------------------------------------------------------------------------


def test_a_token_works_and_only_its_keyed_hash_is_stored():
    person = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    raw = api_token_for(person)
    assert api_status(raw) == 200
    token = ApiToken.objects.get(user=person)
    assert raw.startswith("cw_") and len(raw) == 46
    assert token.prefix == raw[:10] and str(token) == f"{raw[:10]}…"
    assert token.key_hash == crypto.token_hash("casework.api-token", raw)
    assert token.key_hash != hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in repr(list(ApiToken.objects.values()))
    assert token.last_used_at is not None  # recorded at the first use
    assert token.expires_at - token.created_at == dt.timedelta(days=90)


@pytest.mark.parametrize("change", ["expired", "revoked", "deactivated", "other_key"])
def test_an_expired_revoked_or_orphaned_token_reads_nothing(change):
    person = UserFactory(role=Role.CASEWORKER)
    raw = api_token_for(person)
    token = ApiToken.objects.get(user=person)
    if change == "expired":
        token.expires_at = timezone.now() - dt.timedelta(seconds=1)
        token.save(update_fields=["expires_at"])
    elif change == "revoked":
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    elif change == "deactivated":
        person.is_active = False
        person.save(update_fields=["is_active"])
    if change == "other_key":  # a new TOKEN_HASH_KEY ends every token: nothing to re-hash
        with another_token_hash_key():
            assert api_status(raw) == 401
    else:
        assert api_status(raw) == 401
    assert api_status("cw_" + "x" * 43) == 401
    assert api_status(token.key_hash) == 401


def test_api_token_days_sets_the_expiry(settings):
    settings.API_TOKEN_DAYS = 7
    person = UserFactory(role=Role.CASEWORKER)
    token, _raw = api_token_create(user=person, actor=person)
    assert token.expires_at - token.created_at == dt.timedelta(days=7)
    for days in (0, 367):
        with pytest.raises(ApiTokenError):
            api_token_create(user=person, actor=person, days=days)
    assert list(ApiToken.objects.all()) == [token]


def test_nobody_makes_a_token_for_someone_else():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    coordinator = UserFactory(role=Role.COORDINATOR)
    with pytest.raises(ApiTokenError):
        api_token_create(user=coordinator, actor=administrator)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_command_prints_the_token_once_and_audits_it():
    person = UserFactory(role=Role.COORDINATOR)
    out, err = StringIO(), StringIO()
    call_command("create_api_token", person.username, "--days", "30", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert re.fullmatch(r"cw_[A-Za-z0-9_-]{43}", raw)
    assert raw not in err.getvalue() and raw[:10] in err.getvalue()
    token = ApiToken.objects.get(user=person)
    assert token.expires_at - token.created_at == dt.timedelta(days=30)
    assert api_status(raw) == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert event.actor is None and event.object_reference == person.username
    assert event.detail == {"api_token": raw[:10], "days": 30, "by": "command"}
    assert raw not in str(event.detail)
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody-by-this-name", stdout=StringIO())
    assert ApiToken.objects.count() == 1


def test_a_person_makes_their_own_token_in_the_admin_shown_once():
    person = UserFactory(role=Role.CASEWORKER)
    client = signed_in(person)
    add = reverse("admin:casework_apitoken_add")
    assert client.get(add).status_code == 200
    page = client.post(add, {"days": "14"}).content.decode()
    raw = re.search(r'<code id="api-token">([^<]+)</code>', page).group(1)
    assert api_status(raw) == 200
    token = ApiToken.objects.get(user=person)
    assert token.created_by == person
    assert token.expires_at - token.created_at == dt.timedelta(days=14)
    listing = client.get(reverse("admin:casework_apitoken_changelist")).content.decode()
    assert raw[:10] in listing and raw not in listing
    detail = client.get(reverse("admin:casework_apitoken_change", args=[token.pk]))
    assert detail.status_code == 200 and raw not in detail.content.decode()


def test_administrators_list_and_revoke_everyones_tokens_audited():
    caseworker = UserFactory(role=Role.CASEWORKER)
    colleague = UserFactory(role=Role.COORDINATOR)
    theirs, other = api_token_for(caseworker), api_token_for(colleague)
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(administrator)
    changelist = reverse("admin:casework_apitoken_changelist")
    listing = client.get(changelist).content.decode()
    assert theirs[:10] in listing and other[:10] in listing
    token = ApiToken.objects.get(user=caseworker)
    done = client.post(changelist, {"action": "revoke_selected", "_selected_action": [token.pk]})
    assert done.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == administrator
    assert api_status(theirs) == 401 and api_status(other) == 200
    event = AuditEvent.objects.get(detail__api_token_revoked=theirs[:10])
    assert event.actor == administrator and event.object_reference == caseworker.username


def test_a_caseworker_sees_and_revokes_only_their_own_tokens():
    caseworker = UserFactory(role=Role.CASEWORKER)
    colleague = UserFactory(role=Role.CASEWORKER)
    mine, theirs = api_token_for(caseworker), api_token_for(colleague)
    client = signed_in(caseworker)
    changelist = reverse("admin:casework_apitoken_changelist")
    listing = client.get(changelist).content.decode()
    assert mine[:10] in listing and theirs[:10] not in listing
    other = ApiToken.objects.get(user=colleague)
    client.post(changelist, {"action": "revoke_selected", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.revoked_at is None and api_status(theirs) == 200
    assert client.get(reverse("admin:casework_apitoken_change", args=[other.pk])).status_code == 302
    assert not AuditEvent.objects.filter(detail__has_key="api_token_revoked").exists()


def test_the_emergency_sign_out_revokes_every_token():
    tokens = [api_token_for(UserFactory(role=role)) for role in (Role.CASEWORKER, Role.COORDINATOR)]
    assert emergency_sign_out(actor=None)[1] == 2
    assert [api_status(raw) for raw in tokens] == [401, 401]
    assert emergency_sign_out(actor=None)[1] == 0  # already revoked: nothing counted twice


# --- Staff links, receipts, devices ------------------------------------------------------------


def test_staff_links_are_stored_as_keyed_hashes():
    _user, link = staff_invite(
        username="newcomer", email="", role=Role.CASEWORKER, teams=[], actor=None
    )
    token = urlsplit(link).path.split("/")[-2]
    stored = StaffInvitation.objects.get().token_hash
    assert stored == crypto.token_hash("casework.staff-link", token)
    assert stored != hashlib.sha256(token.encode()).hexdigest()  # not a plain hash any more
    assert Client().get(urlsplit(link).path).status_code == 200
    with another_token_hash_key():
        assert Client().get(urlsplit(link).path).status_code == 404


def test_a_receipt_token_is_stored_only_as_its_keyed_hash(client):
    page = client.post("/ru/intake/", intake_post()).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    submission = IntakeSubmission.objects.get()
    assert submission.token_hash == crypto.token_hash("casework.receipt-token", token)
    assert token not in repr(list(IntakeSubmission.objects.values()))
    # The stored hash does not re-show the receipt; the family's own token does.
    assert client.post("/ru/intake/confirm/", {"token": submission.token_hash}).status_code == 302
    assert (
        'id="access-code"' in client.post("/ru/intake/confirm/", {"token": token}).content.decode()
    )


def test_authenticator_keys_are_encrypted_and_rotated_with_the_field_keys():
    device = TOTPDeviceFactory(user=UserFactory(role=Role.CASEWORKER))
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM casework_authenticatordevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert device.key not in stored
    assert stored.startswith(crypto.current_key_id() + "$")
    old = list(crypto.settings.FIELD_ENCRYPTION_KEYS)
    try:
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_FIELD_KEY, *old]):
            crypto.reset_key_cache()
            report = keys_rotate()
            assert report.rotated["casework.AuthenticatorDevice"] == 1
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_FIELD_KEY]):
            crypto.reset_key_cache()
            assert AuthenticatorDevice.objects.get(pk=device.pk).key == device.key
            response = sign_in_post(Client(), device.user.username, PASSWORD, code_for(device))
            assert response.status_code == 302
    finally:
        crypto.reset_key_cache()


def test_backup_codes_are_kept_as_keyed_hashes_and_work_once():
    person = UserFactory(role=Role.CASEWORKER)
    TOTPDeviceFactory(user=person)
    backup = BackupCodeDevice.objects.create(user=person, name="backup codes", confirmed=True)
    backup.codes_set(["k4m2q7rs", "p3x5z7w2"])
    assert sorted(backup.codes.values_list("code_hash", flat=True)) == sorted(
        [backup_code_hash("k4m2q7rs"), backup_code_hash("p3x5z7w2")]
    )
    assert sign_in_post(Client(), person.username, PASSWORD, "K4M2 Q7RS").status_code == 302
    assert sign_in_post(Client(), person.username, PASSWORD, "k4m2q7rs").status_code == 200
    assert list(backup.codes.values_list("code_hash", flat=True)) == [backup_code_hash("p3x5z7w2")]


# --- Migration 0021 on a database that had the old tables --------------------------------------

OLD_TABLES_SQL = [
    """CREATE TABLE otp_totp_totpdevice (id serial PRIMARY KEY, user_id integer NOT NULL,
       name varchar(64) NOT NULL, confirmed boolean NOT NULL,
       throttling_failure_timestamp timestamptz NULL, throttling_failure_count integer NOT NULL,
       created_at timestamptz NULL, last_used_at timestamptz NULL, key varchar(80) NOT NULL,
       step smallint NOT NULL, t0 bigint NOT NULL, digits smallint NOT NULL,
       tolerance smallint NOT NULL, drift smallint NOT NULL, last_t bigint NOT NULL)""",
    """CREATE TABLE otp_static_staticdevice (id serial PRIMARY KEY, user_id integer NOT NULL,
       name varchar(64) NOT NULL, confirmed boolean NOT NULL,
       throttling_failure_timestamp timestamptz NULL, throttling_failure_count integer NOT NULL,
       created_at timestamptz NULL, last_used_at timestamptz NULL)""",
    """CREATE TABLE otp_static_statictoken (id serial PRIMARY KEY, device_id integer NOT NULL,
       token varchar(16) NOT NULL)""",
    """CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,
       user_id integer NOT NULL)""",
]


def test_the_migration_moves_old_devices_hashes_receipts_and_drops_plaintext_tables():
    import importlib

    from django.apps import apps

    from casework.services.intake import intake_receipt_get

    migration = importlib.import_module("casework.migrations.0021_dump_holds_no_credential")
    person = UserFactory(role=Role.CASEWORKER)
    hex_key = "3132333435363738393031323334353637383930"
    created = timezone.now() - dt.timedelta(days=40)
    with connection.cursor() as cursor:
        for statement in OLD_TABLES_SQL:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES "
            "(7, %s, 'phone', true, NULL, 0, %s, NULL, %s, 30, 0, 6, 1, 0, -1)",
            [person.pk, created, hex_key],
        )
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (3, %s, 'codes', true, NULL, 0, %s, NULL)",
            [person.pk, created],
        )
        cursor.execute("INSERT INTO otp_static_statictoken VALUES (1, 3, 'abcd2345')")
        cursor.execute(
            "INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', "
            "now(), %s)",
            [person.pk],
        )
    submission = IntakeSubmission.objects.create(
        token_hash="a-plain-receipt-token", case=CaseFactory(), access_code="1" * 16
    )  # as 0019 stored it
    pending = StaffInvitation.objects.create(
        user=person, token_hash="0" * 64, expires_at=timezone.now() + dt.timedelta(hours=1)
    )

    with connection.schema_editor() as editor:
        migration.receipts_hash(apps, editor)
        migration.invitations_end(apps, editor)
        migration.old_devices_move(apps, editor)
        migration.old_tables_drop(apps, editor)

    device = AuthenticatorDevice.objects.get(user=person)
    assert (device.key, device.name, device.confirmed, device.created_at) == (
        hex_key,
        "phone",
        True,
        created,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM casework_authenticatordevice WHERE id = %s", [device.pk])
        assert hex_key not in cursor.fetchone()[0]
        tables = set(connection.introspection.table_names(cursor))
    assert not {"authtoken_token", *migration.OLD_TABLES} & tables
    backup = BackupCodeDevice.objects.get(user=person)
    assert list(backup.codes.values_list("code_hash", flat=True)) == [backup_code_hash("abcd2345")]
    assert sign_in_post(Client(), person.username, PASSWORD, code_for(device)).status_code == 302
    assert sign_in_post(Client(), person.username, PASSWORD, "abcd2345").status_code == 302
    submission.refresh_from_db()
    assert submission.token_hash == crypto.token_hash(
        "casework.receipt-token", "a-plain-receipt-token"
    )
    assert intake_receipt_get(token="a-plain-receipt-token").access_code == "1" * 16
    pending.refresh_from_db()
    assert pending.used_at is not None  # a plain SHA-256 cannot be re-keyed: the link ends
