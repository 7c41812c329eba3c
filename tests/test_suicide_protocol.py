"""The suicide-risk protocol (issue 15): crisis lines for the family, a checklist for staff."""

from __future__ import annotations

import importlib

import pytest
from django.urls import reverse

from casework.models import AuditEvent, CrisisLine, ProtocolStep, Serviceman, TimelineEntry
from casework.roles import Role
from tests.factories import CaseFactory, ServicemanFactory, UserFactory
from tests.portal_support import intake_post, rate_counters_clear
from tests.test_portal_status import FAMILY, case_with_code, sign_in

pytestmark = pytest.mark.django_db

SEED = importlib.import_module("casework.migrations.0033_crisis_lines_seed")


@pytest.fixture(autouse=True)
def seeded_lines():  # type: ignore[no-untyped-def]
    """The lines migration 0029 seeds (a browser test on the same worker may have flushed them)."""
    for jurisdiction, name, phone, hours in SEED.LINES:
        CrisisLine.objects.get_or_create(
            jurisdiction=jurisdiction, name=name, defaults={"phone": phone, "hours": hours}
        )


def protocol_url(case) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:casework_case_protocol", args=[case.pk])


def test_the_seeded_crisis_lines_are_marked_unverified():
    lines = {(line.jurisdiction, line.phone, line.is_verified) for line in CrisisLine.objects.all()}
    assert lines == {("RU", "112", False), ("UA", "112", False), ("UA", "7333", False)}


def test_an_urgent_intake_receipt_shows_the_crisis_lines_of_its_jurisdiction(client):
    rate_counters_clear()
    page = client.post("/uk/intake/", intake_post(urgent_risk="on", jurisdiction="UA"))
    body = page.content.decode()
    assert 'id="crisis"' in body
    assert "7333" in body and "Lifeline Ukraine" in body
    assert "Единый номер экстренных служб" not in body  # Russia's line: not his jurisdiction
    assert "ми ще не перевірили цей номер самі" in body  # unverified, said in Ukrainian


def test_a_receipt_without_the_urgent_box_shows_no_crisis_lines(client):
    rate_counters_clear()
    body = client.post("/ru/intake/", intake_post()).content.decode()
    assert 'id="reference"' in body
    assert 'id="crisis"' not in body and "7333" not in body


def test_the_status_page_shows_the_crisis_lines_while_the_risk_flag_is_set(client):
    man = ServicemanFactory(jurisdiction="RU")
    case, code = case_with_code(serviceman=man, suicide_risk=True)
    sign_in(client, case.reference, code)
    body = client.get("/ru/status/", REMOTE_ADDR=FAMILY).content.decode()
    assert 'id="crisis"' in body and "112" in body and "7333" not in body
    case.suicide_risk = False
    case.save(update_fields=["suicide_risk"])
    body = client.get("/ru/status/", REMOTE_ADDR=FAMILY).content.decode()
    assert 'id="crisis"' not in body


def test_the_protocol_checklist_records_each_step_once_in_the_timeline(verified_client, team):
    case = CaseFactory(
        team=team, suicide_risk=True, serviceman=ServicemanFactory(jurisdiction="UA")
    )
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = verified_client(worker)
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert page.index('id="suicide-protocol"') < page.index('name="status"')  # at the top
    assert page.count('name="step"') == 4
    assert "Lifeline Ukraine" in page and "cw-unverified" in page
    response = client.post(protocol_url(case), {"step": "call", "note": "Позвонила в 20:15"})
    assert response.status_code == 302
    assert response["Location"].endswith("#suicide-protocol")
    client.post(protocol_url(case), {"step": "call", "note": "ещё раз"})  # a repeat: nothing new
    step = ProtocolStep.objects.get(case=case)
    entry = TimelineEntry.objects.get(case=case)
    assert (step.step, step.done_by, step.entry) == ("call", worker, entry)
    assert entry.kind == TimelineEntry.Kind.PROTOCOL
    assert entry.text.endswith(": Позвонила в 20:15")
    assert (entry.author, entry.visible_to_family) == (worker, False)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, detail__kind="protocol")
    assert event.detail == {"entry": entry.pk, "kind": "protocol", "step": "call"}
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert page.count('name="step"') == 3
    assert f"done by {worker.username}" in page


def test_another_teams_caseworker_cannot_tick_a_step(verified_client, team):
    case = CaseFactory(team=team, suicide_risk=True)
    outsider = verified_client(UserFactory(role=Role.CASEWORKER))
    assert outsider.post(protocol_url(case), {"step": "call", "note": "x"}).status_code == 302
    assert outsider.get(protocol_url(case)).status_code == 405
    insider = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    assert insider.post(protocol_url(case), {"step": "nonsense"}).status_code == 403
    assert not ProtocolStep.objects.exists()
    assert not TimelineEntry.objects.filter(case=case).exists()


def test_a_case_without_the_risk_flag_has_no_protocol(verified_client, team):
    case = CaseFactory(team=team, serviceman=ServicemanFactory(status=Serviceman.Status.SERVING))
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert 'id="suicide-protocol"' not in page


def test_every_line_is_shown_when_the_family_did_not_say_where_he_serves():
    from casework.selectors import crisis_lines_for

    everywhere = CrisisLine.objects.create(name="Anywhere line", phone="0800")
    assert set(crisis_lines_for(jurisdiction="")) == set(CrisisLine.objects.all())
    assert set(crisis_lines_for(jurisdiction="RU")) == {
        CrisisLine.objects.get(jurisdiction="RU"),
        everywhere,
    }
