"""Finding and triaging cases on the case list: reference search, "assigned to", bulk actions."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from casework.models import AuditEvent, Case
from casework.roles import Role
from tests.factories import CaseFactory, TeamFactory, UserFactory
from tests.test_portal_browser import live_site  # noqa: F401  (fixture)

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


def test_the_search_box_never_sends_a_name_but_finds_a_reference():
    """Server side: whatever arrives that is not reference-shaped finds nothing."""
    from casework.admin.case_triage import cases_with_reference
    from casework.references import reference_typed

    case = CaseFactory(reference="K7M4-QX2P")
    for name in ("Петренко", "Иванов Иван", "Ivanov", "Шевченко 01.02.1990"):
        assert not reference_typed(name)
        assert list(cases_with_reference(Case.objects.all(), name)) == []
    assert list(cases_with_reference(Case.objects.all(), "к7м4 qх2р")) == [case]


@pytest.mark.integration
def test_a_name_typed_into_the_search_box_never_leaves_the_browser(live_site, monkeypatch):  # noqa: F811
    from urllib.parse import parse_qs, urlsplit

    from playwright.sync_api import sync_playwright

    from tests.factories import STAFF_PASSWORD, TOTPDeviceFactory
    from tests.staff_support import totp_token
    from tests.test_portal_browser import CHROMIUM_ARGS

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM next to Playwright's loop
    coordinator = UserFactory(role=Role.COORDINATOR)
    device = TOTPDeviceFactory(user=coordinator)
    case = CaseFactory()
    sent: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_context(locale="ru-RU").new_page()
        page.on("request", lambda request: sent.append(request.url))
        page.goto(f"{live_site}/admin/")
        page.fill("#id_username", coordinator.username)
        page.fill("#id_password", STAFF_PASSWORD)
        page.fill("#id_otp_token", totp_token(device))
        page.click("input[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_site}/admin/casework/case/")
        page.fill("#searchbar", case.serviceman.surname)
        page.press("#searchbar", "Enter")
        page.wait_for_timeout(500)
        assert urlsplit(page.url).query == ""
        assert page.evaluate("document.querySelector('#searchbar').validity.patternMismatch")
        page.fill("#searchbar", case.reference.lower().replace("-", " "))
        page.press("#searchbar", "Enter")
        page.wait_for_load_state()
        assert parse_qs(urlsplit(page.url).query)["q"] == [case.reference.lower().replace("-", " ")]
        assert page.locator("#result_list tbody tr").count() == 1
        chromium.close()
    assert not any(case.serviceman.surname in url for url in sent)
