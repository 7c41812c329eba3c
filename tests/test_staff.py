"""Staff hardening: the role matrix, enrolment, offboarding, lockout, lockdown, deploy checks."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.admin.site import site
from casework.models import (
    ApiToken,
    AuditEvent,
    AuthenticatorDevice,
    Case,
    Deadline,
    StaffInvitation,
)
from casework.roles import Role
from casework.services.staff import lockdown_set, staff_invite, staff_offboard
from tests.factories import (
    CaseFactory,
    TeamFactory,
    TOTPDeviceFactory,
    UserFactory,
    api_token_for,
)
from tests.staff_support import login_form, totp_token

ROOT = Path(__file__).resolve().parent.parent
CASE_SIDE = {
    "casework.case",
    "casework.serviceman",
    "casework.applicant",
    "casework.timelineentry",
    "casework.filing",
    "casework.deadline",
    "casework.attachment",
    "casework.team",
    "casework.exchange",
    "casework.authorityoffice",
    "casework.responserule",
    "casework.escalationstep",
    "casework.jurisdictioncalendar",
    "casework.calendaroverride",
    "casework.documenttemplate",
    "casework.crisisline",
}
# Everyone lists their own API tokens (administrators everyone's: test_api_tokens.py).
OWN = {"casework.apitoken"}
# Which changelists each role may open; every other registered page must be refused.
CAN_VIEW = {
    Role.CASEWORKER: CASE_SIDE | OWN,
    Role.COORDINATOR: CASE_SIDE | OWN | {"casework.givennameequivalent", "casework.auditevent"},
    Role.ADMINISTRATOR: OWN
    | {
        "auth.user",
        "auth.group",
        "casework.authenticatordevice",
        "casework.backupcodedevice",
        "casework.team",
        "casework.sitestate",
        "casework.auditevent",
    },
    Role.AUDITOR: OWN | {"casework.auditevent"},
}

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_every_admin_page_follows_the_role_matrix(role, verified_client):
    client = verified_client(UserFactory(role=role, teams=[TeamFactory()]))
    assert client.get(reverse("admin:index")).status_code == 200
    seen = {}
    for model in site._registry:
        label = model._meta.label_lower
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        seen[label] = client.get(url).status_code
    allowed = {label for label, status in seen.items() if status in (200, 302)}
    assert allowed == CAN_VIEW[role] & seen.keys()
    assert {status for label, status in seen.items() if label not in allowed} == {403}


def test_the_role_migrations_add_up_to_the_matrix_in_roles_py():
    """Replaying the frozen role migrations gives exactly ROLE_PERMISSIONS: a change to the
    matrix without a migration of its own fails here."""
    import importlib

    from django.contrib.auth.models import Group, Permission
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from casework.roles import ROLE_PERMISSIONS

    # The historical registry, as migrations get it (they mark its app configs, not the live ones).
    apps = MigrationLoader(connection).project_state().apps
    for group in Group.objects.all():
        group.permissions.clear()
    for name in (
        "0008_role_groups",
        "0012_caseworkers_hand_over_deadlines",
        "0016_document_templates_seed",
        "0021_dump_holds_no_credential",
        "0025_coordinators_delete_cases",
        "0033_crisis_lines_seed",
        "0038_staff_uploads_facts_follow_ups_permissions",
    ):
        importlib.import_module(f"casework.migrations.{name}").forwards(apps, None)
    for role, grants in ROLE_PERMISSIONS.items():
        wanted = {
            (label.split(".")[0], f"{action}_{label.split('.')[1]}")
            for label, actions in grants.items()
            for action in actions
        }
        assert wanted <= set(Permission.objects.values_list("content_type__app_label", "codename"))
        granted = set(
            Group.objects.get(name=role.value).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        assert granted == wanted, role


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR])
def test_only_administrators_run_staff_actions(role, verified_client):
    target = UserFactory(role=Role.CASEWORKER)
    client = verified_client(UserFactory(role=role))
    for action in ("offboard", "reset_second_factor", "sign_out_everyone"):
        response = client.post(
            reverse("admin:auth_user_changelist"),
            {"action": action, "_selected_action": [target.pk]},
        )
        assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active
    assert client.get(reverse("admin:staff_invite")).status_code == 403


def test_administrator_invites_and_the_link_enrols_once(verified_client):
    admin_user = UserFactory(role=Role.ADMINISTRATOR)
    client = verified_client(admin_user)
    response = client.post(
        reverse("admin:staff_invite"), {"username": "new.volunteer", "role": "Caseworker"}
    )
    link = response.context["link"]
    path = link.split("127.0.0.1:8000", 1)[1]
    newcomer = User.objects.get(username="new.volunteer")
    assert not newcomer.has_usable_password() and newcomer.groups.get().name == "Caseworker"

    page = Client().get(path)
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    device = AuthenticatorDevice.objects.get(user=newcomer, confirmed=False)
    wrong = Client(headers={"accept-language": "en"}).post(
        path,
        {
            "password": "a long unique passphrase 7",
            "password_again": "a long unique passphrase 7",
            "code": "000000",
        },
    )
    assert "That code is not right" in wrong.content.decode()
    assert StaffInvitation.objects.get(user=newcomer).used_at is None
    weak = Client().post(
        path, {"password": "password", "password_again": "password", "code": totp_token(device)}
    )
    assert weak.status_code == 200 and not User.objects.get(pk=newcomer.pk).has_usable_password()
    done = Client().post(
        path,
        {
            "password": "a long unique passphrase 7",
            "password_again": "a long unique passphrase 7",
            "code": totp_token(device),
        },
    )
    assert len(done.context["codes"]) == 10
    assert AuthenticatorDevice.objects.get(user=newcomer).confirmed
    assert Client().get(path).status_code == 404  # single use
    assert (
        Client().post(path, {"password": "x", "password_again": "x", "code": "1"}).status_code
        == 404
    )


def test_expired_enrolment_link_is_refused():
    _user, link = staff_invite(
        username="late", email="", role=Role.CASEWORKER, teams=[], actor=None
    )
    StaffInvitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert Client().get(link.split("127.0.0.1:8000", 1)[1]).status_code == 404


def test_offboarding_leaves_nothing_with_the_person(verified_client):
    team = TeamFactory()
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    leaving = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = verified_client(leaving)
    token = api_token_for(leaving)
    case = CaseFactory(team=team, assignee=leaving)
    Deadline.objects.create(
        case=case,
        kind="custom",
        due_at=timezone.now() + dt.timedelta(days=3),
        responsible=leaving,
        backup_team=team,
    )
    assert client.get(reverse("admin:index")).status_code == 200

    done = staff_offboard(user=leaving, actor=UserFactory(role=Role.ADMINISTRATOR))

    assert (done.tokens, done.cases, done.deadlines) == (1, 1, 1)
    assert ApiToken.objects.get(user=leaving).revoked_at is not None
    assert APIClient().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert not Case.objects.filter(assignee=leaving).exists()
    assert not Deadline.objects.filter(responsible=leaving, state="open").exists()
    assert Case.objects.get(pk=case.pk).assignee == coordinator
    leaving.refresh_from_db()
    assert not leaving.is_active and not leaving.has_usable_password()
    assert client.get(reverse("admin:index")).status_code == 302  # signed out


def test_lockout_by_username_never_stores_an_address(settings, verified_client):
    user = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=user)
    other = UserFactory(role=Role.CASEWORKER)
    client = Client(REMOTE_ADDR="198.51.100.23", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(settings.STAFF_LOGIN_FAILURES):
        bad = client.post(
            reverse("admin:login"),
            {
                "username": user.username,
                "password": "wrong",
                "otp_device": device.persistent_id,
                "otp_token": totp_token(device),
            },
        )
        assert bad.status_code == 200
    locked = login_form(client, user, device, totp_token(device))
    assert locked.status_code == 200  # the right password no longer helps
    assert "_auth_user_id" not in client.session
    # Same address, other account: signs in (the fixture asserts the redirect).
    assert verified_client(other, REMOTE_ADDR="198.51.100.23")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f'SELECT CAST(t AS text) FROM "{table}" t')  # noqa: S608
            dump = "\n".join(row[0] for row in cursor.fetchall())
            assert "198.51.100.23" not in dump and "203.0.113.9" not in dump, table


def test_lockdown_refuses_staff_writes_except_administrators(verified_client):
    team = TeamFactory()
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    case = CaseFactory(team=team)
    client = verified_client(coordinator)
    lockdown_set(enabled=True, actor=administrator)
    events = AuditEvent.objects.count()
    url = reverse("admin:casework_case_change", args=[case.pk])
    refused = client.post(url, {"status": "closed"})
    assert refused.status_code == 503
    assert Case.objects.get(pk=case.pk).status == case.status
    assert client.get(url).status_code == 200  # reading still works
    assert AuditEvent.objects.count() == events + 1  # only the view of the case page
    admin_client = verified_client(administrator)
    lifted = admin_client.post(reverse("admin:casework_sitestate_change", args=[1]), {})
    assert lifted.status_code == 302
    assert client.post(url, {}).status_code != 503


def test_check_deploy_reports_nothing_with_production_settings():
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        CASEWORK_READ_DOTENV="0",
        SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        BLIND_INDEX_KEYS="deploy-check-blind-index-key-000",
        ACCESS_CODE_KEY="deploy-check-access-code-key-000",
        TOKEN_HASH_KEY="deploy-check-token-hash-key-0000",
        ALLOWED_HOSTS="casework.example.org",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
