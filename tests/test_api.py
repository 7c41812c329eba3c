"""The REST API: token or verified session, visibility by selector, one error shape, docs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casework.models import AuditEvent, TimelineEntry
from casework.roles import Role
from tests.factories import CaseFactory, UserFactory, api_token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(team):
    user = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    client.user = user
    return client


def test_lists_only_visible_cases_without_personal_data(api, team):
    mine, theirs = CaseFactory(team=team), CaseFactory()
    response = api.get("/api/v1/cases/")
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()] == [mine.reference]
    assert mine.serviceman.surname not in response.content.decode()
    assert theirs.reference not in response.content.decode()


def test_case_detail_is_audited_and_another_teams_case_does_not_exist(api, team):
    mine, theirs = CaseFactory(team=team), CaseFactory()
    response = api.get(f"/api/v1/cases/{mine.reference}/")
    assert response.status_code == 200
    assert response.json()["serviceman"] == mine.serviceman.short_name
    assert AuditEvent.objects.filter(action="view", object_reference=mine.reference).count() == 1
    hidden = api.get(f"/api/v1/cases/{theirs.reference}/")
    missing = api.get("/api/v1/cases/ZZZZ-ZZZZ/")
    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == {"code": "not_found", "message": hidden.json()["message"], "fields": {}}
    )
    assert not AuditEvent.objects.filter(object_reference=theirs.reference).exists()


def test_bad_input_gets_the_error_shape_and_changes_nothing(api, team):
    case = CaseFactory(team=team)
    response = api.post(f"/api/v1/cases/{case.reference}/notes/", {"text": ""}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "text" in response.json()["fields"]
    assert not TimelineEntry.objects.filter(case=case).exists()
    ok = api.post(
        f"/api/v1/cases/{case.reference}/notes/", {"text": "Звонила сестра"}, format="json"
    )
    assert ok.status_code == 201
    assert TimelineEntry.objects.get(case=case).text == "Звонила сестра"


def test_session_without_second_factor_and_revoked_token_are_refused(team):
    user = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = APIClient()
    client.force_login(user)  # password only, no verified device
    assert client.get("/api/v1/cases/").status_code == 403
    anonymous = APIClient()
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/v1/cases/").json()["code"] == "authentication_failed"


def test_schema_and_self_hosted_docs_for_staff_only(api, client):
    assert api.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = api.get("/api/docs/")
    body = docs.content.decode()
    assert docs.status_code == 200
    assert "<script>" not in body and "cdn" not in body.lower()
    assert "script-src 'self'" in docs["Content-Security-Policy"]


def test_a_bad_offset_gets_the_error_shape_not_a_500(api):
    response = api.get("/api/v1/cases/?offset=abc")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "offset" in response.json()["fields"]


def test_a_retried_note_with_the_same_idempotency_key_is_added_once(api, team):
    case, other = CaseFactory(team=team), CaseFactory(team=team)
    url = f"/api/v1/cases/{case.reference}/notes/"
    for _ in range(2):
        response = api.post(
            url, {"text": "Звонила сестра"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        assert response.status_code == 201
    in_body = {"text": "Ответ из части", "idempotency_key": "k2"}
    assert api.post(url, in_body, format="json").status_code == 201
    assert api.post(url, in_body, format="json").status_code == 201
    assert sorted(TimelineEntry.objects.filter(case=case).values_list("text", flat=True)) == [
        "Звонила сестра",
        "Ответ из части",
    ]
    assert AuditEvent.objects.filter(action="create", object_reference=case.reference).count() == 2
    # Another person's key of the same spelling is theirs alone.
    colleague = APIClient()
    user = UserFactory(role=Role.CASEWORKER, teams=[team])
    colleague.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    same_key = colleague.post(
        url, {"text": "Перезвонить"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert same_key.status_code == 201
    assert TimelineEntry.objects.filter(case=case).count() == 3
    # A key already used for one case is refused for another, which stays unchanged.
    reused = api.post(
        f"/api/v1/cases/{other.reference}/notes/",
        {"text": "Другое"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert (reused.status_code, reused.json()["code"]) == (400, "token_reused")
    assert not TimelineEntry.objects.filter(case=other).exists()
