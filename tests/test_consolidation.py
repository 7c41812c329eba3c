"""Rules written once: the defects the drifted copies caused stay fixed, and the layout holds."""

from __future__ import annotations

import ast
import datetime as dt
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.formats import format_due
from casework.models import (
    Applicant,
    AuditEvent,
    Deadline,
    Heartbeat,
    Notification,
    SiteState,
)
from casework.roles import Role
from casework.services.records import record_save
from casework.services.reminders import deadlines_sweep
from casework.services.system import heartbeat_record
from tests.factories import CaseFactory, TeamFactory, UserFactory, api_token_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
MSK = ZoneInfo("Europe/Moscow")


# --- One due-moment format: the office's zone, dd.mm.yyyy HH:MM TZ -----------------------------


def test_the_reminder_digest_prints_the_due_moment_in_the_offices_zone(
    django_capture_on_commit_callbacks,
):
    worker = UserFactory(role=Role.CASEWORKER, email="w@org.example")
    case = CaseFactory(assignee=worker)
    due = dt.datetime.combine(timezone.localdate() + timedelta(days=3), dt.time(23, 59), MSK)
    Deadline.objects.create(
        case=case, kind=Deadline.Kind.CUSTOM, due_at=due, responsible=worker, basis="test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()
    [email] = mail.outbox
    # A clock set by hand has no office: the usual zone of the man's jurisdiction (RU).
    assert f"{due:%d.%m.%Y} 23:59 MSK" in email.body
    assert "UTC" not in email.body
    assert format_due(due, "Europe/Moscow") == f"{due:%d.%m.%Y} 23:59 MSK"
    assert Notification.objects.get().state == "sent"


# --- One case order for the admin and the API -----------------------------------------------------


def test_the_admin_and_the_api_list_cases_in_the_same_order(verified_client):
    team = TeamFactory()
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    now = timezone.now()
    # Same priority and no clock: only the tie-break decides (it used to differ).
    cases = [
        CaseFactory(team=team, priority=2, created_at=now - timedelta(days=days))
        for days in (3, 1, 2)
    ]
    cases.append(CaseFactory(team=team, priority=3, created_at=now - timedelta(days=9)))
    cases.append(
        CaseFactory(team=team, priority=2, next_deadline=now + timedelta(days=1), created_at=now)
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(coordinator)}")
    api_order = [row["reference"] for row in api.get(reverse("api:cases")).json()]
    listing = verified_client(coordinator).get(reverse("admin:casework_case_changelist"))
    admin_order = [case.reference for case in listing.context["cl"].result_list]
    expected = [cases[3], cases[4], cases[1], cases[2], cases[0]]
    assert api_order == admin_order == [case.reference for case in expected]


# --- /healthz knows when the sweep stopped -------------------------------------------------------


def test_healthz_fails_when_the_sweep_stopped_and_passes_before_its_first_run(client, settings):
    assert client.get("/healthz").status_code == 200  # a fresh install: no sweep yet
    heartbeat_record(name=Heartbeat.SWEEP)
    assert client.get("/healthz").status_code == 200
    stale = timezone.now() - timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS + 60)
    Heartbeat.objects.filter(name=Heartbeat.SWEEP).update(at=stale)
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"degraded")


# --- Commands write through the same audited services -------------------------------------------


def test_the_lockdown_command_goes_through_the_audited_service():
    call_command("lockdown", "on")
    state = SiteState.objects.get()
    assert (state.lockdown, state.changed_by, state.changed_at is not None) == (True, None, True)
    call_command("lockdown", "off")
    events = AuditEvent.objects.filter(object_reference="lockdown").order_by("pk")
    assert [event.detail for event in events] == [
        {"lockdown": True, "by": "command"},
        {"lockdown": False, "by": "command"},
    ]


def test_create_caseworker_writes_the_accounts_audit_event(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a long enough passphrase 42\n", encoding="utf-8")
    call_command("create_caseworker", "olga", team="North", role="caseworker", password_file=secret)
    event = AuditEvent.objects.get(object_type="user", action=AuditEvent.Action.CREATE)
    assert (event.object_reference, event.actor_id) == ("olga", None)
    assert event.detail["role"] == Role.CASEWORKER.value
    assert "a long enough" not in str(event.detail)


# --- An update writes only what changed ----------------------------------------------------------


def test_an_admin_save_writes_only_the_changed_columns():
    applicant = CaseFactory().applicant
    stale = Applicant.objects.get(pk=applicant.pk)  # opened in one browser …
    Applicant.objects.filter(pk=applicant.pk).update(
        safe_hours="после 20:00"
    )  # … edited in another
    stale.may_call = not stale.may_call
    record_save(obj=stale, actor=UserFactory(role=Role.COORDINATOR), changed=["may_call"])
    fresh = Applicant.objects.get(pk=applicant.pk)
    assert (fresh.may_call, fresh.safe_hours) == (stale.may_call, "после 20:00")


# --- The layout -----------------------------------------------------------------------------------


def _top_level_code_then_import(path: Path) -> list[int]:
    """Line numbers of module-level imports that come after module-level code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    seen_code, late = False, []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if seen_code:
                late.append(node.lineno)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            seen_code = True
    return late


def test_no_module_imports_in_the_middle_of_the_file():
    late = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "casework").rglob("*.py"))
        if "migrations" not in path.parts and (lines := _top_level_code_then_import(path))
    }
    assert late == {}


def test_selectors_are_a_package_by_area():
    package = ROOT / "casework" / "selectors"
    assert sorted(p.stem for p in package.glob("*.py")) == [
        "__init__",
        "cases",
        "collective",
        "deadlines",
        "documents",
        "exports",
        "filings",
        "imports",
        "people",
        "retention",
        "risk",
        "staff",
        "statistics",
    ]
    assert not (ROOT / "casework" / "selectors.py").exists()
