"""Issue 13, item 2: a database dump holds no working credential.

Every secret-ish value a real `pg_dump` of a seeded database holds (API tokens, receipt tokens,
enrolment and password-reset links, authenticator keys, backup codes, and their hashes) is tried
as an attacker with the dump would try it: as an API token, on the receipt page, as an enrolment
link and as the second factor at the staff sign-in (with the right password, as if phished).
None may work; the real secrets, which the dump must not hold, still do.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp import devices_for_user
from django_otp.oath import TOTP
from rest_framework.test import APIClient

from casework.roles import Role
from casework.services.staff import staff_create, staff_invite, staff_password_reset_link
from tests.factories import TeamFactory, UserFactory, api_token_for
from tests.portal_support import intake_post, rate_counters_clear
from tests.security.staff_support import sign_in_post
from tests.test_at_rest import pg_dump

PASSWORD = "a long pass phrase nobody guesses 7"
# Tables that hold bearer secrets or device secrets, whatever they are called.
SECRET_TABLES = re.compile(r"token|invitation|device|backupcode|submission|otp")
COPY = re.compile(r"COPY public\.(\w+) \((.*)\) FROM stdin;")


def dumped_rows(dump: str) -> dict[str, list[dict[str, str]]]:
    """Table -> rows (column -> text as pg_dump wrote it) of the tables that may hold secrets."""
    tables: dict[str, list[dict[str, str]]] = {}
    lines = iter(dump.splitlines())
    for line in lines:
        match = COPY.fullmatch(line)
        if not match or not SECRET_TABLES.search(match.group(1)):
            continue
        columns = [name.strip().strip('"') for name in match.group(2).split(",")]
        rows = tables.setdefault(match.group(1), [])
        for row in lines:
            if row == "\\.":
                break
            rows.append(dict(zip(columns, row.split("\t"), strict=True)))
    return tables


def candidates(tables: dict[str, list[dict[str, str]]]) -> set[str]:
    """Every stored value that could be a secret: not empty, not a number, a flag or a time."""
    found = set()
    for rows in tables.values():
        for row in rows:
            for value in row.values():
                if value == "\\N" or len(value) < 6 or value.isdigit():
                    continue
                if re.fullmatch(r"\d{4}-\d\d-\d\d[ T][\d:.+-]+", value):
                    continue
                found.add(value)
    return found


def codes_from(value: str) -> list[str]:
    """What an attacker types as the second factor: the value itself (a backup code), and the
    code of the moment if the value is an authenticator key in the clear."""
    codes = [value]
    try:
        key = binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        return codes
    codes.append(f"{TOTP(key, 30, 0, 6, 0).token():06d}")
    return codes


def sign_in_works(username: str, code: str) -> bool:
    """One sign-in with the right password; counters and device throttling start fresh, so a
    refusal is the code's, never a lockout's."""
    rate_counters_clear()
    for device in devices_for_user(User.objects.get(username=username), confirmed=None):
        device.throttle_reset()
    response = sign_in_post(Client(), username, PASSWORD, code)
    return response.status_code == 302


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_value_in_a_dump_authenticates_anything():
    call_command("seed_demo", cases=5, jobs=1)
    team = TeamFactory()
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    # A coordinator with an authenticator app and backup codes, as the server command makes one.
    made = staff_create(
        username="marta",
        email="",
        password=PASSWORD,
        role=Role.COORDINATOR,
        team_name=team.name,
    )
    person = made.user
    secret = parse_qs(urlsplit(made.authenticator_uri).query)["secret"][0]
    app_key = base64.b32decode(secret + "=" * (-len(secret) % 8))  # what the phone holds
    api_token = api_token_for(person)
    _newcomer, enrol_link = staff_invite(
        username="newcomer", email="", role=Role.CASEWORKER, teams=[team], actor=administrator
    )
    reset_link = staff_password_reset_link(user=person, actor=administrator)
    family = Client()
    receipt = family.post("/ru/intake/", intake_post()).content.decode()
    receipt_token = re.search(r'name="token" value="([^"]+)"', receipt).group(1)
    access_code = re.search(r'id="access-code">([\d ]+)<', receipt).group(1)

    tables = dumped_rows(pg_dump())
    values = candidates(tables)
    # The dump really holds rows of each kind of secret.
    assert {"casework_staffinvitation", "casework_intakesubmission"} <= set(tables)
    assert len(tables["casework_staffinvitation"]) == 2
    assert {"casework_apitoken", "casework_authenticatordevice", "casework_backupcode"} <= set(
        tables
    )
    assert len(tables["casework_backupcode"]) == 10 and len(tables["casework_apitoken"]) == 1
    assert len(values) >= 12

    worked = []
    for value in sorted(values):
        api = APIClient().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {value}")
        if api.status_code != 401:
            worked.append(("api", value, api.status_code))
        shown = family.post("/ru/intake/confirm/", {"token": value})
        if shown.status_code != 302 or access_code in shown.content.decode():
            worked.append(("receipt", value, shown.status_code))
        link = Client().get(f"/enrol/{quote(value, safe='')}/")
        if link.status_code != 404:
            worked.append(("enrolment link", value, link.status_code))
        for code in codes_from(value):
            if sign_in_works(person.username, code):
                worked.append(("sign-in", value, code))
    for value in sorted(values):  # confirming forgets the code: only after every other try
        done = family.post("/ru/intake/confirm/", {"token": value, "written_down": "on"})
        if done.status_code != 302:
            worked.append(("receipt confirm", value, done.status_code))
    assert worked == [], sorted({kind for kind, *_ in worked})

    # The real secrets, which the dump does not hold, still work: the tries above were real.
    real = APIClient().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {api_token}")
    assert real.status_code == 200
    shown = family.post("/ru/intake/confirm/", {"token": receipt_token}).content.decode()
    assert access_code in shown
    assert Client().get(urlsplit(enrol_link).path).status_code == 200
    assert Client().get(urlsplit(reset_link).path).status_code == 200
    assert sign_in_works(person.username, f"{TOTP(app_key).token():06d}")
    assert sign_in_works(person.username, made.backup_codes[0])
