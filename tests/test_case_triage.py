"""Finding and triaging cases on the case list: reference search, "assigned to", bulk actions."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from casework.models import AuditEvent, Case
from casework.roles import Role
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/casework/case/"


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [case.reference for case in response.context["cl"].result_list]


def snapshot() -> list[tuple[object, ...]]:
    return list(Case.objects.order_by("pk").values_list("pk", "assignee", "team", "status"))


@pytest.mark.parametrize(
    "typed", ["{ref}", "{compact}", "{lower}", " {lower_compact} ", "{cyrillic}"]
)
def test_the_search_box_finds_a_case_by_its_reference_however_typed(
    verified_client, coordinator, typed
):
    case = CaseFactory(reference="K7M4-QX2P")
    CaseFactory()  # another case the search must leave out
    term = typed.format(
        ref="K7M4-QX2P",
        compact="K7M4QX2P",
        lower="k7m4-qx2p",
        lower_compact="k7m4qx2p",
        cyrillic="К7М4-QХ2Р",  # Cyrillic К, М, Х, Р as a Russian keyboard types them
    )
    response = verified_client(coordinator).get(LIST, {"q": term})
    assert listed(response) == [case.reference]


def test_the_search_finds_only_visible_cases_and_never_by_name(verified_client, caseworker, team):
    mine = CaseFactory(team=team)
    other = CaseFactory()
    client = verified_client(caseworker)
    assert listed(client.get(LIST, {"q": mine.reference})) == [mine.reference]
    assert listed(client.get(LIST, {"q": other.reference})) == []  # another team's case
    assert listed(client.get(LIST, {"q": mine.serviceman.surname})) == []  # names: never here


def test_assigned_to_me_lists_my_cases(verified_client, caseworker, team):
    mine = CaseFactory(team=team, assignee=caseworker)
    CaseFactory(team=team)
    response = verified_client(caseworker).get(LIST, {"assigned": "me"})
    assert listed(response) == [mine.reference]
    nobody = verified_client(caseworker).get(LIST, {"assigned": "none"})
    assert mine.reference not in listed(nobody)


def test_a_coordinator_bulk_assigns_five_intakes_audited_per_case(verified_client, coordinator):
    team = TeamFactory()
    intakes = [CaseFactory(team=team, status=Case.Status.NEW) for _ in range(5)]
    untouched = CaseFactory(team=team, status=Case.Status.NEW)
    person = UserFactory(role=Role.CASEWORKER, teams=[team])
    client = verified_client(coordinator)
    selection = {
        "action": "assign_selected",
        helpers.ACTION_CHECKBOX_NAME: [case.pk for case in intakes],
    }
    page = client.post(LIST, selection)
    assert page.status_code == 200  # the page that asks whom to assign
    for case in intakes:
        assert case.reference in page.content.decode()
    done = client.post(LIST, {**selection, "assignee": person.pk, "apply": "1"}, follow=True)
    assert "5 cases changed." in [str(m) for m in done.context["messages"]]
    assert [Case.objects.get(pk=c.pk).assignee_id for c in intakes] == [person.pk] * 5
    assert Case.objects.get(pk=untouched.pk).assignee_id is None
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, object_type="case")
    assert sorted(changes.values_list("object_reference", flat=True)) == sorted(
        case.reference for case in intakes
    )
    assert {str(event.detail) for event in changes} == {"{'fields': ['assignee']}"}


def test_moving_to_a_team_and_marking_triaged(verified_client, coordinator):
    north, south = TeamFactory(), TeamFactory()
    new, waiting = CaseFactory(team=north), CaseFactory(team=north, status=Case.Status.WAITING)
    client = verified_client(coordinator)
    ids = {helpers.ACTION_CHECKBOX_NAME: [new.pk, waiting.pk]}
    client.post(LIST, {**ids, "action": "move_selected", "team": south.pk, "apply": "1"})
    assert {Case.objects.get(pk=c.pk).team_id for c in (new, waiting)} == {south.pk}
    response = client.post(LIST, {**ids, "action": "mark_triaged"}, follow=True)
    assert "1 case changed." in [str(m) for m in response.context["messages"]]
    assert Case.objects.get(pk=new.pk).status == Case.Status.ACTIVE  # was new
    assert Case.objects.get(pk=waiting.pk).status == Case.Status.WAITING  # not an intake


def test_bulk_status_never_closes_a_case(verified_client, coordinator):
    case = CaseFactory()
    client = verified_client(coordinator)
    data = {
        "action": "set_status_selected",
        helpers.ACTION_CHECKBOX_NAME: [case.pk],
        "status": Case.Status.CLOSED,
        "apply": "1",
    }
    before = snapshot()
    page = client.post(LIST, data)
    assert page.status_code == 200 and page.context["form"].errors  # not a choice offered
    assert snapshot() == before


def test_a_caseworker_has_no_bulk_action_and_a_forged_one_changes_nothing(
    verified_client, caseworker, team
):
    case = CaseFactory(team=team)
    client = verified_client(caseworker)
    assert 'name="action"' not in client.get(LIST).content.decode()
    before, audits = snapshot(), AuditEvent.objects.filter(action="change").count()
    data = {
        "action": "assign_selected",
        helpers.ACTION_CHECKBOX_NAME: [case.pk],
        "assignee": caseworker.pk,
        "apply": "1",
    }
    client.post(LIST, data)
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="change").count() == audits


def test_the_bulk_action_page_in_russian_has_no_english(verified_client, coordinator):
    case = CaseFactory()
    client = verified_client(coordinator, language="ru")
    page = client.post(
        reverse("admin:casework_case_changelist"),
        {"action": "assign_selected", helpers.ACTION_CHECKBOX_NAME: [case.pk]},
    )
    body = page.content.decode()
    for english in ("Assign cases", "assign to", "This changes", "Apply"):
        assert english not in body
