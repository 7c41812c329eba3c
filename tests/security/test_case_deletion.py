"""Issue 13, item 11: when a family asks, a coordinator deletes the case in the admin, audited,
with the same erasure as retention (casework/services/cases.py `case_delete`). Nobody else can."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.exceptions import PermissionDeniedError
from casework.models import (
    Applicant,
    Attachment,
    AuditEvent,
    AuthorityOffice,
    Case,
    Filing,
    Serviceman,
    TimelineEntry,
)
from casework.roles import Role
from casework.services.attachments import ORIGINAL, attachment_path
from casework.services.cases import case_delete
from casework.services.filings import filing_create
from tests.factories import CaseFactory, TeamFactory, TimelineEntryFactory, UserFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db


def case_with_everything() -> Case:
    case = CaseFactory(team=TeamFactory())
    TimelineEntryFactory(case=case)
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    attachment = Attachment.objects.create(case=case, kind="jpeg", size=3, digest="")
    path = attachment_path(attachment.public_id, ORIGINAL)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"enc")
    return case


def erased(case: Case) -> bool:
    return not (
        Case.objects.filter(pk=case.pk).exists()
        or Serviceman.objects.filter(pk=case.serviceman_id).exists()
        or Applicant.objects.filter(pk=case.applicant_id).exists()
        or TimelineEntry.objects.filter(case_id=case.pk).exists()
        or Filing.objects.filter(case_id=case.pk).exists()
        or Attachment.objects.filter(case_id=case.pk).exists()
    )


def test_a_coordinator_deletes_a_case_from_its_page(django_capture_on_commit_callbacks):
    coordinator = UserFactory(role=Role.COORDINATOR)
    case = case_with_everything()
    public_id = Attachment.objects.get(case=case).public_id
    client = signed_in(coordinator)
    url = reverse("admin:casework_case_delete", args=[case.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert case.reference in page and case.serviceman.surname not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert erased(case)
    assert not attachment_path(public_id, ORIGINAL).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_type="case")
    assert (event.actor, event.object_reference) == (coordinator, case.reference)


def test_cases_are_deleted_one_at_a_time_not_in_bulk():
    """A family asks for its own case: no bulk delete on the list (a superuser keeps Django's)."""
    coordinator = UserFactory(role=Role.COORDINATOR)
    first, second = case_with_everything(), case_with_everything()
    client = signed_in(coordinator)
    data = {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"}
    response = client.post(reverse("admin:casework_case_changelist"), data)
    # Back to the list (302, "no action selected"): delete is not among the list's actions.
    assert (response.status_code, response["Location"]) == (302, "/admin/casework/case/")
    assert Case.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()
    page = client.get(reverse("admin:casework_case_changelist")).content.decode()
    # The list's checkboxes are for the coordinators' triage actions; deleting is not among them.
    assert "delete_selected" not in page


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.ADMINISTRATOR, Role.AUDITOR])
def test_nobody_else_deletes_a_case(role):
    case = case_with_everything()
    person = UserFactory(role=role, teams=[case.team])
    client = signed_in(person)
    url = reverse("admin:casework_case_delete", args=[case.pk])
    before = AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).count()

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    if role == Role.CASEWORKER:
        listed = client.post(
            reverse("admin:casework_case_changelist"),
            {"action": "delete_selected", "_selected_action": [case.pk], "post": "yes"},
        )
        assert listed.status_code == 200  # no such action for them: the list, unchanged

    assert Case.objects.filter(pk=case.pk).exists()
    assert TimelineEntry.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).count() == before


def test_the_service_itself_refuses_a_caseworker():
    case = case_with_everything()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[case.team])
    with pytest.raises(PermissionDeniedError):
        case_delete(case=case, actor=caseworker)
    assert Case.objects.filter(pk=case.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()
