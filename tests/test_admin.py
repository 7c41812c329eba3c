"""The caseworker admin: second factor on every page, visibility by URL, audit, name search."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.admin.site import site
from casework.models import AuditEvent, BackupCodeDevice, Case, TimelineEntry
from casework.references import REFERENCE_INPUT_PATTERN
from casework.roles import Role
from casework.selectors import family_messages
from casework.services.cases import timeline_entry_add
from tests.factories import (
    CaseFactory,
    ServicemanFactory,
    TeamFactory,
    TimelineEntryFactory,
    TOTPDeviceFactory,
    UserFactory,
)
from tests.staff_support import login_form, totp_token

NOT_FOUND_REDIRECT = "/admin/"  # where the admin sends a request for a missing object


def admin_url(obj, view: str = "change") -> str:  # type: ignore[no-untyped-def]
    return reverse(f"admin:casework_{obj._meta.model_name}_{view}", args=[obj.pk])


def views_of(user) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.VIEW))


class UrlCollector(HTMLParser):
    """Every URL a page points to: links, form actions, scripts, styles, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"
        for name, value in attrs:
            if name in {"href", "action", "src", "formaction"} and value is not None:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def page(response) -> UrlCollector:  # type: ignore[no-untyped-def]
    collector = UrlCollector()
    collector.feed(response.content.decode())
    return collector


# --- Second factor ----------------------------------------------------------------------------


def every_admin_page() -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:casework_case_name_search")]
    for model in site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [
            reverse("admin:{}_{}_changelist".format(*info)),
            reverse("admin:{}_{}_add".format(*info)),
        ]
    return urls


@pytest.mark.django_db
def test_superuser_without_verified_second_factor_is_sent_to_login_from_every_page(client):
    superuser = UserFactory(is_superuser=True)
    TOTPDeviceFactory(user=superuser)  # has a device, but this session never used it
    client.force_login(superuser)
    pages = every_admin_page()
    assert len(pages) >= 2 + 2 * 8  # the index, name search, and at least the 8 domain models
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('admin:login')}?next={quote(url)}", url
    response = client.post(reverse("admin:casework_case_name_search"), {"query": "Путинцев"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).exists()


@pytest.mark.django_db
def test_verified_superuser_opens_every_list_and_index(verified_client):
    client = verified_client(UserFactory(is_superuser=True))
    CaseFactory()
    for url in every_admin_page():
        response = client.get(url)
        if url.endswith("/add/") and any(
            part in url
            for part in (
                "/auditevent/",
                "/timelineentry/",
                "/sitestate/",
                "/deadline/",
                "/authenticatordevice/",
                "/backupcodedevice/",
            )
        ):
            # Audit is view-only; entries are added on cases; clocks are opened by filings;
            # devices are paired by their owner through an enrolment link.
            assert response.status_code == 403, url
        elif url in ("/admin/auth/user/add/", "/admin/casework/sitestate/"):
            # New staff are invited, never given a password; the site state is a single row.
            assert response.status_code == 302, url
        else:
            assert response.status_code == 200, url
            # No GET search anywhere but the case list's, whose box takes references only.
            body = response.content.decode()
            if url == "/admin/casework/case/":
                assert f'pattern="{REFERENCE_INPUT_PATTERN}"' in body
            else:
                assert 'name="q"' not in body, url


@pytest.mark.django_db
def test_backup_code_is_accepted_as_second_factor(client):
    user = UserFactory(role=Role.CASEWORKER)
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    device.codes_set(["abcd2345"])
    response = login_form(client, user, device, "abcd2345")
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert not device.codes.exists()  # used once


# --- Login audit -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_is_audited_with_no_address(client):
    user = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=user)
    response = login_form(client, user, device, totp_token(device))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (event.actor, event.object_reference, event.detail) == (user, user.username, {})
    client.post(reverse("admin:logout"))
    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT).actor == user


@pytest.mark.django_db
def test_wrong_password_is_audited_by_username_only(client):
    user = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=user)
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": "wrong", "otp_device": device.persistent_id},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.detail == {"username": user.username, "reason": "password"}
    assert "203.0.113.9" not in json.dumps([event.object_reference, event.detail])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


@pytest.mark.django_db
def test_wrong_second_factor_is_audited_and_does_not_log_in(client):
    user = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=user)
    wrong = f"{(int(totp_token(device)) + 1) % 10**6:06d}"
    response = login_form(client, user, device, wrong)
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.actor == user
    assert event.detail == {"username": user.username, "reason": "second_factor"}
    assert client.get(reverse("admin:index")).status_code == 302


# --- Visibility by URL -----------------------------------------------------------------------


@pytest.fixture
def three_cases(team, caseworker):  # type: ignore[no-untyped-def]
    """Own team's case, another team's case, and another team's case assigned to the caseworker."""
    own = CaseFactory(team=team)
    other = CaseFactory()
    assigned = CaseFactory(assignee=caseworker)
    for case in (own, other, assigned):
        TimelineEntryFactory(case=case)
    return own, other, assigned


@pytest.mark.django_db
def test_caseworker_lists_own_team_and_assigned_cases_only(
    verified_client, caseworker, three_cases
):
    own, other, assigned = three_cases
    client = verified_client(caseworker)
    body = client.get(reverse("admin:casework_case_changelist")).content.decode()
    assert own.reference in body
    assert assigned.reference in body
    assert other.reference not in body
    for model, shown, hidden in (
        ("serviceman", own.serviceman.reference, other.serviceman.reference),
        ("applicant", own.applicant.reference, other.applicant.reference),
        ("timelineentry", str(own.timeline.get()), str(other.timeline.get())),
    ):
        listing = client.get(reverse(f"admin:casework_{model}_changelist")).content.decode()
        assert shown in listing, model
        assert hidden not in listing, model


@pytest.mark.django_db
def test_caseworker_gets_the_missing_object_answer_for_another_teams_objects(
    verified_client, caseworker, three_cases
):
    own, other, assigned = three_cases
    client = verified_client(caseworker)
    hidden = [other, other.serviceman, other.applicant, other.timeline.get()]
    for obj in hidden:
        for view in ("change", "history", "delete"):
            missing = reverse(f"admin:casework_{obj._meta.model_name}_{view}", args=[987654321])
            expected, response = client.get(missing), client.get(admin_url(obj, view))
            assert response.status_code == expected.status_code, (obj, view)
            assert response.get("Location") == expected.get("Location"), (obj, view)
            # Missing objects redirect to the index; a delete without the permission is refused
            # before the lookup, for hidden and missing objects alike.
            assert (response.status_code, response.get("Location")) in {
                (302, NOT_FOUND_REDIRECT),
                (403, None),
            }
        # A write by URL answers the same as one to a missing object, and changes nothing.
        missing = reverse(f"admin:casework_{obj._meta.model_name}_change", args=[987654321])
        response, expected = client.post(admin_url(obj), {}), client.post(missing, {})
        assert response.status_code == expected.status_code, obj
        assert response.get("Location") == expected.get("Location"), obj
    assert views_of(caseworker) == []
    other.refresh_from_db()
    assert other.status == Case.Status.NEW


@pytest.mark.django_db
def test_caseworker_opens_own_team_and_assigned_cases_and_their_people(
    verified_client, caseworker, three_cases
):
    own, other, assigned = three_cases
    client = verified_client(caseworker)
    for case in (own, assigned):
        for obj in (case, case.serviceman, case.applicant, case.timeline.get()):
            assert client.get(admin_url(obj)).status_code == 200, obj
    viewed = {(e.object_type, e.object_reference) for e in views_of(caseworker)}
    assert ("case", own.reference) in viewed
    assert ("case", assigned.reference) in viewed
    assert not any(other.reference in ref for _, ref in viewed)


@pytest.mark.django_db
def test_coordinator_sees_every_case(verified_client, coordinator, three_cases):
    client = verified_client(coordinator)
    body = client.get(reverse("admin:casework_case_changelist")).content.decode()
    for case in three_cases:
        assert case.reference in body
        assert client.get(admin_url(case)).status_code == 200


# --- Audit of case pages and saves ------------------------------------------------------------


@pytest.mark.django_db
def test_every_get_of_a_case_page_is_audited_once(verified_client, caseworker, team):
    case = CaseFactory(team=team)
    client = verified_client(caseworker)
    assert client.get(admin_url(case)).status_code == 200
    assert client.get(admin_url(case)).status_code == 200
    events = views_of(caseworker)
    assert [(e.object_type, e.object_reference, e.detail) for e in events] == [
        ("case", case.reference, {}),
        ("case", case.reference, {}),
    ]


def change_form_data(response) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The POST a browser would send back unchanged from a rendered admin change form."""
    data: dict[str, object] = {}

    def add(form, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
        for name in form.fields:
            value = form[name].value()
            key = f"{prefix}{name}"
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form, f"{formset.prefix}-")
        for index, form in enumerate(formset.forms):
            add(form, f"{formset.prefix}-{index}-")
    return data


@pytest.mark.django_db
def test_case_save_audits_field_names_never_values(verified_client, coordinator):
    case = CaseFactory()
    client = verified_client(coordinator)
    data = change_form_data(client.get(admin_url(case)))
    data.update(status=Case.Status.ACTIVE, summary="Контузия, госпиталь в Ростове.")
    response = client.post(admin_url(case), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    case.refresh_from_db()
    assert (case.status, case.summary) == (Case.Status.ACTIVE, "Контузия, госпиталь в Ростове.")
    change = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_type="case")
    assert change.detail == {"fields": ["status", "summary"]}
    trail = json.dumps(
        [
            list(AuditEvent.objects.values("object_reference", "detail")),
            list(LogEntry.objects.values("object_repr", "change_message")),
        ],
        ensure_ascii=False,
    )
    assert "Ростов" not in trail
    assert "Контузия" not in trail


@pytest.mark.django_db
def test_caseworker_adds_a_call_to_the_timeline_as_author(verified_client, caseworker, team):
    case = CaseFactory(team=team)
    old = TimelineEntryFactory(case=case)
    client = verified_client(caseworker)
    data = change_form_data(client.get(admin_url(case)))
    data.update({"timeline-0-kind": "call", "timeline-0-text": "Мать перезвонила вечером."})
    response = client.post(admin_url(case), data)
    assert response.status_code == 302
    entry = case.timeline.exclude(pk=old.pk).get()
    assert (entry.kind, entry.text, entry.author) == (
        "call",
        "Мать перезвонила вечером.",
        caseworker,
    )
    created = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, actor=caseworker)
    assert created.detail == {"entry": entry.pk, "kind": "call"}
    old.refresh_from_db()
    assert old.text == "Позвонила мать, сын в госпитале."


@pytest.mark.django_db
def test_timeline_refuses_kinds_written_only_by_services(verified_client, caseworker, team):
    case = CaseFactory(team=team)
    client = verified_client(caseworker)
    data = change_form_data(client.get(admin_url(case)))
    data.update({"timeline-0-kind": "status", "timeline-0-text": "Закрыто."})
    response = client.post(admin_url(case), data)
    assert response.status_code == 200  # the form comes back with an error
    assert not case.timeline.exists()


@pytest.mark.django_db
def test_no_tick_on_the_case_page_shows_a_timeline_note_to_the_family(verified_client, coordinator):
    entry = TimelineEntryFactory()
    client = verified_client(coordinator)
    response = client.get(admin_url(entry.case))
    page = response.content.decode()
    assert 'name="timeline-2-0-visible_to_family"' not in page
    history = page[page.index('id="case-timeline"') :]
    assert "Позвонила мать, сын в госпитале." in history[: history.index("</fieldset>")]
    assert 'name="timeline-0-visible_to_family"' not in page
    data = change_form_data(response)
    data["timeline-2-0-visible_to_family"] = "on"  # forged: no such field any more
    data["timeline-0-kind"], data["timeline-0-text"] = "note", "Внутренняя заметка."
    data["timeline-0-visible_to_family"] = "on"
    assert client.post(admin_url(entry.case), data).status_code == 302
    entry.refresh_from_db()
    new = entry.case.timeline.exclude(pk=entry.pk).get()
    assert (entry.visible_to_family, new.visible_to_family) == (False, False)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
    family_page_messages = [m.pk for m in family_messages(case=entry.case)]
    assert family_page_messages == []


@pytest.mark.django_db
def test_add_inline_offers_no_message_to_the_family(verified_client, coordinator):
    case = CaseFactory()
    page = verified_client(coordinator).get(admin_url(case)).content.decode()
    add_select = page[page.index('name="timeline-0-kind"') :]
    add_select = add_select[: add_select.index("</select>")]
    assert 'value="message_out"' not in add_select
    assert 'value="note"' in add_select


@pytest.mark.django_db
def test_entry_page_changes_nothing(verified_client, coordinator):
    entry = TimelineEntryFactory(kind=TimelineEntry.Kind.CALL)
    client = verified_client(coordinator)
    response = client.post(
        admin_url(entry), {"visible_to_family": "on", "text": "changed", "kind": "note"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.visible_to_family, entry.kind, entry.text) == (
        False,
        TimelineEntry.Kind.CALL,
        "Позвонила мать, сын в госпитале.",
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


@pytest.mark.django_db
def test_a_note_cannot_be_made_visible_through_the_service(caseworker, team):
    case = CaseFactory(team=team, assignee=caseworker)
    with pytest.raises(ValueError, match="only a message to the family"):
        timeline_entry_add(
            case=case, actor=caseworker, kind="note", text="Внутреннее.", visible_to_family=True
        )
    assert not case.timeline.exists()


@pytest.mark.django_db
def test_audit_trail_is_read_only_even_for_superusers(verified_client):
    superuser = UserFactory(is_superuser=True)
    client = verified_client(superuser)
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert client.get(admin_url(event)).status_code == 200  # a view-only page
    assert client.post(admin_url(event), {"action": "delete"}).status_code == 403
    assert client.get(admin_url(event, "delete")).status_code == 403
    assert client.get(reverse("admin:casework_auditevent_add")).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=AuditEvent.Action.LOGIN).exists()


# --- Case list --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_list_shows_short_name_and_flags(verified_client, caseworker, team):
    serviceman = ServicemanFactory(surname="Путинцев", given_name="Кирилл", patronymic="Юрьевич")
    CaseFactory(team=team, serviceman=serviceman, injured=True, assignee=caseworker)
    body = verified_client(caseworker).get("/admin/casework/case/").content.decode()
    assert "Путинцев К.Ю." in body
    assert '<abbr title="injured">INJ</abbr>' in body
    assert "Кирилл" not in body  # the list shows initials, not the full name
    assert reverse("admin:casework_case_name_search") in body
    # No free-text search (it would put a name in the URL): the box takes a reference only.
    assert 'name="q" value="" id="searchbar"' in body
    assert f'pattern="{REFERENCE_INPUT_PATTERN}"' in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_case_list_query_count_does_not_grow_with_rows(verified_client, team, role):
    user = UserFactory(role=role, teams=[team])
    client = verified_client(user)
    url = reverse("admin:casework_case_changelist")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    for _ in range(5):
        CaseFactory(team=team, assignee=user, in_captivity=True)
    with_five = count_queries()
    for _ in range(25):
        CaseFactory(team=team, assignee=UserFactory(), injured=True)
    with_thirty = count_queries()
    assert Case.objects.count() == 30
    assert with_thirty == with_five


# --- Name search ------------------------------------------------------------------------------

NAME_PARTS = ["Putintsev", "Kirill", "Путинцев", "Кирилл"]


def leaks_name(url: str) -> bool:
    lowered = url.lower()
    for part in NAME_PARTS:
        for form in (part, quote(part), quote_plus(part), quote(part.lower()), part.lower()):
            if form.lower() in lowered:
                return True
    return False


@pytest.mark.django_db
def test_name_search_finds_cyrillic_record_by_latin_name_without_a_name_in_any_url(
    verified_client, caseworker, team
):
    serviceman = ServicemanFactory(surname="Путинцев", given_name="Кирилл")
    found = CaseFactory(team=team, serviceman=serviceman)
    elsewhere = CaseFactory(serviceman=ServicemanFactory(surname="Путинцев", given_name="Кирилл"))
    client = verified_client(caseworker)
    visited: list[str] = []

    listing = client.get(reverse("admin:casework_case_changelist"))
    visited.append(listing.request["PATH_INFO"])
    search_url = next(u for u in page(listing).urls if "name-search" in u)
    form_page = client.get(search_url)
    visited.append(form_page.request["PATH_INFO"])
    action = next(u for u in page(form_page).urls if "name-search" in u)
    response = client.post(action, {"query": "Putintsev Kirill"})
    visited.append(response.request["PATH_INFO"] + response.request.get("QUERY_STRING", ""))

    assert response.status_code == 200  # answered in place: no redirect carrying anything
    assert response["Cache-Control"].count("no-store") == 1
    body = response.content.decode()
    assert admin_url(found) in body
    assert admin_url(elsewhere) not in body  # another team's namesake stays invisible
    parsed = page(response)
    urls = visited + page(listing).urls + page(form_page).urls + parsed.urls
    assert [u for u in urls if leaks_name(u)] == []
    assert not leaks_name(parsed.title)
    search = AuditEvent.objects.get(action=AuditEvent.Action.SEARCH)
    assert (search.actor, search.detail) == (caseworker, {"results": 1})
    trail = json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    assert not leaks_name(trail)


@pytest.mark.django_db
def test_name_search_ignores_a_query_string(verified_client, caseworker, team):
    CaseFactory(team=team, serviceman=ServicemanFactory(surname="Путинцев", given_name="Кирилл"))
    response = verified_client(caseworker).get(
        reverse("admin:casework_case_name_search") + "?query=Putintsev"
    )
    assert response.status_code == 200
    assert "name-search-results" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SEARCH).exists()


# --- Possible duplicates and merges -----------------------------------------------------------


@pytest.fixture
def duplicate_pair(team):  # type: ignore[no-untyped-def]
    """The same man entered twice, in Cyrillic and in Latin, each with a case and a timeline."""
    first = CaseFactory(
        team=team, serviceman=ServicemanFactory(surname="Путинцев", given_name="Кирилл")
    )
    second = CaseFactory(
        team=team, serviceman=ServicemanFactory(surname="Putintsev", given_name="Kirill")
    )
    TimelineEntryFactory(case=second, text="Первое обращение сестры.")
    TimelineEntryFactory(case=second, text="Второе обращение сестры.")
    return first, second


def merge_post(client: Client, case: Case, kind: str, other: int, confirm: bool = True):  # type: ignore[no-untyped-def]
    data = {"kind": kind, "other": other, **({"confirm": "on"} if confirm else {})}
    return client.post(reverse("admin:casework_case_merge", args=[case.pk]), data)


@pytest.mark.django_db
def test_coordinator_merges_duplicate_case_from_the_case_page(
    verified_client, coordinator, duplicate_pair
):
    first, second = duplicate_pair
    client = verified_client(coordinator)
    body = client.get(admin_url(first)).content.decode()
    assert second.serviceman.reference in body
    assert reverse("admin:casework_case_merge", args=[first.pk]) in body

    confirm_page = merge_post(client, first, "case", second.pk, confirm=False)
    assert confirm_page.status_code == 200
    assert second.timeline.count() == 2  # nothing happens before the confirmation

    response = merge_post(client, first, "case", second.pk)
    assert (response.status_code, response["Location"]) == (302, admin_url(first))
    second.refresh_from_db()
    assert second.merged_into == first
    assert second.status == Case.Status.CLOSED
    assert second.timeline.count() == 0
    moved = {entry.text for entry in first.timeline.all()}
    assert {"Первое обращение сестры.", "Второе обращение сестры."} <= moved
    merge = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert (merge.actor, merge.object_reference) == (coordinator, first.reference)
    assert merge.detail["merged"] == second.reference


@pytest.mark.django_db
def test_coordinator_merges_duplicate_servicemen(verified_client, coordinator, duplicate_pair):
    first, second = duplicate_pair
    client = verified_client(coordinator)
    merged_reference = second.serviceman.reference
    response = merge_post(client, first, "serviceman", second.serviceman.pk)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.serviceman == first.serviceman
    merge = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert merge.detail["merged"] == merged_reference


@pytest.mark.django_db
def test_caseworker_sees_candidates_but_cannot_merge(verified_client, caseworker, duplicate_pair):
    first, second = duplicate_pair
    client = verified_client(caseworker)
    body = client.get(admin_url(first)).content.decode()
    assert second.serviceman.reference in body
    assert "surname, given name" in body  # why he is a candidate
    assert reverse("admin:casework_case_merge", args=[first.pk]) not in body

    for kind, other in (("case", second.pk), ("serviceman", second.serviceman.pk)):
        assert merge_post(client, first, kind, other).status_code == 403
    second.refresh_from_db()
    assert (second.merged_into, second.status) == (None, Case.Status.NEW)
    assert second.timeline.count() == 2
    assert second.serviceman.pk != first.serviceman.pk
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MERGE).exists()


@pytest.mark.django_db
def test_duplicates_outside_visibility_show_only_as_a_count(verified_client, caseworker, team):
    mine = CaseFactory(
        team=team, serviceman=ServicemanFactory(surname="Путинцев", given_name="Кирилл")
    )
    theirs = CaseFactory(serviceman=ServicemanFactory(surname="Putintsev", given_name="Kirill"))
    body = verified_client(caseworker).get(admin_url(mine)).content.decode()
    assert "1 more known to other teams" in body
    assert theirs.serviceman.reference not in body
    assert theirs.reference not in body
    assert "Putintsev" not in body


@pytest.mark.django_db
def test_merge_posted_to_another_teams_case_answers_as_missing(verified_client, caseworker, team):
    mine = CaseFactory(team=team)
    theirs = CaseFactory()
    TimelineEntry.objects.create(case=theirs, text="x")
    response = merge_post(verified_client(caseworker), theirs, "case", mine.pk)
    assert (response.status_code, response["Location"]) == (302, NOT_FOUND_REDIRECT)
    assert theirs.timeline.count() == 1


# --- Raw-id fields: a posted id is labelled only if the user may see that record ---------------


def refused_post(client: Client, url: str, data: dict[str, object]) -> str:  # type: ignore[no-untyped-def]
    response = client.post(url, data)
    assert response.status_code == 200  # the form comes back with an error: nothing saved
    return response.content.decode()


@pytest.mark.django_db
def test_another_teams_people_posted_by_id_are_not_labelled_and_nothing_is_saved(
    verified_client, caseworker, team
):
    from casework.models import Applicant

    mine = CaseFactory(team=team)
    theirs = CaseFactory(serviceman__surname="Кондратенко", applicant__name="Зинаида Фёдоровна")
    client = verified_client(caseworker)
    hidden = (
        theirs.reference,
        theirs.serviceman.reference,
        theirs.serviceman.surname,
        theirs.applicant.reference,
        theirs.applicant.name,
    )
    before = (
        list(Case.objects.order_by("pk").values()),
        list(Applicant.objects.order_by("pk").values()),
        LogEntry.objects.count(),
    )
    case_form = change_form_data(client.get(admin_url(mine)))
    applicant_form = change_form_data(client.get(admin_url(mine.applicant)))
    pages = [
        refused_post(client, admin_url(mine), {**case_form, "applicant": theirs.applicant_id}),
        refused_post(
            client,
            reverse("admin:casework_applicant_add"),
            {"serviceman": theirs.serviceman_id, "name": "", "relationship": "mother"},
        ),
        refused_post(
            client,
            admin_url(mine.applicant),
            {**applicant_form, "serviceman": theirs.serviceman_id},
        ),
    ]
    for body in pages:
        assert "Select a valid choice" in body
        for value in hidden:
            assert value not in body
    assert before == (
        list(Case.objects.order_by("pk").values()),
        list(Applicant.objects.order_by("pk").values()),
        LogEntry.objects.count(),
    )
    # A form refused for another field still labels the user's own record; a non-id is no error.
    for serviceman, label in ((mine.serviceman_id, mine.serviceman.reference), ("x1", "")):
        body = refused_post(
            client,
            reverse("admin:casework_applicant_add"),
            {"serviceman": serviceman, "relationship": "nonsense"},
        )
        assert label in body


@pytest.mark.parametrize(
    ("language", "superuser", "role"),
    [
        ("en", False, Role.COORDINATOR),
        ("ru", False, Role.COORDINATOR),
        ("en", True, Role.COORDINATOR),
        ("en", False, Role.CASEWORKER),
    ],
)
@pytest.mark.django_db
def test_case_list_rows_are_exactly_what_djangos_own_cells_would_be(rf, language, superuser, role):
    # CaseAdmin.list_rows writes the rows out for speed; Django's items_for_result is the truth.
    from django.contrib.admin.templatetags.admin_list import items_for_result
    from django.urls import resolve
    from django.utils import timezone, translation

    team = TeamFactory(name="North & <South>")
    user = UserFactory(role=role, teams=[team], is_superuser=superuser)
    CaseFactory(team=team)  # no risk, no assignee, no deadline
    nameless = ServicemanFactory(surname="", given_name="", patronymic="")
    CaseFactory(team=team, serviceman=nameless)  # the family did not know his name
    CaseFactory(
        team=team,
        assignee=user,
        injured=True,
        suicide_risk=True,
        priority=Case.Priority.URGENT,
        status=Case.Status.WAITING,
        next_deadline=timezone.now() + timezone.timedelta(days=3),
    )
    request = rf.get("/admin/casework/case/", {"team__id__exact": team.pk})
    request.user, request.resolver_match = user, resolve("/admin/casework/case/")
    model_admin = site._registry[Case]
    with translation.override(language):
        changelist = model_admin.get_changelist_instance(request)
        ours = model_admin.list_rows(changelist)
        djangos = ["".join(items_for_result(changelist, c, None)) for c in changelist.result_list]
    assert len(ours) == 3 and ours == djangos
    assert "_changelist_filters=team__id__exact" in ours[0]  # the filters survive the click
    # Coordinators (and superusers) have bulk actions: the checkbox column the headers announce
    # is in every row, written out as Django writes it.
    offered = role == Role.COORDINATOR  # a caseworker has no bulk action
    assert ("action_checkbox" in changelist.list_display) is offered
    assert all(('class="action-checkbox"' in row) is offered for row in ours)
