"""The family side of the case page: files with found metadata, messages, access codes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casework.models import Attachment, AuditEvent, Case, TimelineEntry
from casework.roles import Role
from casework.services.cases import case_update
from tests.factories import CaseFactory, UserFactory
from tests.test_admin import change_form_data

pytestmark = pytest.mark.django_db


def family_url(case: Case) -> str:
    return reverse("admin:casework_case_family", args=[case.pk])


def test_case_page_lists_files_with_what_their_originals_revealed(verified_client, team):
    case = CaseFactory(team=team)
    Attachment.objects.create(
        case=case,
        kind="jpeg",
        size=2048,
        digest="",
        state="clean",
        metadata_found=["gps", "exif"],
    )
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert "GPS position present" in page
    assert "?version=original" in page


def test_caseworker_posts_a_message_the_family_will_see(verified_client, team):
    case = CaseFactory(team=team)
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    assert client.post(family_url(case), {"action": "message", "text": "  "}).status_code == 302
    assert not TimelineEntry.objects.filter(case=case).exists()
    client.post(family_url(case), {"action": "message", "text": "Жалоба отправлена."})
    entry = TimelineEntry.objects.get(case=case)
    assert (entry.kind, entry.visible_to_family, entry.text) == (
        "message_out",
        True,
        "Жалоба отправлена.",
    )
    assert entry.visible_until is not None


def test_only_coordinators_reissue_codes_and_the_code_is_shown_once(verified_client, team):
    case = CaseFactory(team=team, access_code_hash="x" * 64)
    caseworker = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    assert caseworker.post(family_url(case), {"action": "reissue"}).status_code == 403
    assert Case.objects.get(pk=case.pk).access_code_hash == "x" * 64
    coordinator = verified_client(UserFactory(role=Role.COORDINATOR))
    response = coordinator.post(family_url(case), {"action": "reissue"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", response.content.decode())
    assert Case.objects.get(pk=case.pk).access_code_hash not in ("", "x" * 64)
    coordinator.post(family_url(case), {"action": "revoke"})
    assert Case.objects.get(pk=case.pk).access_code_hash == ""


def test_another_teams_case_is_not_there(verified_client, team):
    other = CaseFactory()
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    response = client.post(family_url(other), {"action": "message", "text": "hello"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not TimelineEntry.objects.filter(case=other).exists()
    assert not AuditEvent.objects.filter(object_reference=other.reference).exists()


def test_a_reloaded_or_double_tapped_message_is_posted_once(verified_client, team):
    case = CaseFactory(team=team)
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    change_url = reverse("admin:casework_case_change", args=[case.pk])

    def form_token() -> str:
        page = client.get(change_url).content.decode()
        return re.search(r'name="token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    token = form_token()
    for _ in range(2):  # a double tap, or the browser re-sending the form on reload
        response = client.post(
            family_url(case), {"action": "message", "text": "Жалоба отправлена.", "token": token}
        )
        assert (response.status_code, response["Location"]) == (302, change_url)
    assert TimelineEntry.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="create", object_reference=case.reference).count() == 1
    again = form_token()  # the page after the redirect: a new form, so a new message
    assert again != token
    client.post(family_url(case), {"action": "message", "text": "Ответ пришёл.", "token": again})
    assert TimelineEntry.objects.filter(case=case).count() == 2


def test_the_family_status_set_on_the_case_page_goes_through_its_service(verified_client, team):
    case = CaseFactory(team=team)
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = verified_client(worker)
    change_url = reverse("admin:casework_case_change", args=[case.pk])
    data = change_form_data(client.get(change_url))
    data.update(status=Case.Status.ACTIVE, family_status=Case.FamilyStatus.NEED_INFORMATION)
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    case.refresh_from_db()
    assert (case.status, case.family_status) == ("active", "need_information")
    changes = AuditEvent.objects.filter(action="change", object_reference=case.reference)
    assert sorted(
        (e.actor, e.detail["fields"], e.detail.get("family_status")) for e in changes
    ) == [
        (worker, ["family_status"], "need_information"),
        (worker, ["status"], None),
    ]
    note = TimelineEntry.objects.get(case=case)
    assert (note.kind, note.author, note.visible_to_family) == ("status", worker, False)
    # Written in the organisation's language (LANGUAGE_CODE), whatever the caseworker's.
    assert note.text == "Статус для семьи: Нам нужны дополнительные сведения от вас"
    # Saved again unchanged: no second note, no second audit of the family status.
    client.post(change_url, change_form_data(client.get(change_url)))
    assert TimelineEntry.objects.filter(case=case).count() == 1
    assert changes.filter(detail__family_status__isnull=False).count() == 1


def test_the_generic_case_update_refuses_the_family_status_and_changes_nothing():
    case, worker = CaseFactory(), UserFactory()
    case.family_status = Case.FamilyStatus.ANSWERED
    with pytest.raises(ValueError):
        case_update(case=case, actor=worker, changed=["family_status"])
    assert Case.objects.get(pk=case.pk).family_status == "received"
    assert not AuditEvent.objects.exists() and not TimelineEntry.objects.exists()
