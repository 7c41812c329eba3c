"""The case page as the caseworker's workbench (issue 15): the whole intake on one page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import Applicant, Serviceman
from casework.roles import Role
from casework.selectors import case_duplicates_for_user
from casework.services.attachments import Upload
from casework.services.family import family_information_add, family_message_post
from tests.factories import (
    ApplicantFactory,
    CaseFactory,
    ServicemanFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.portal_support import tiny_pdf
from tests.test_admin import change_form_data
from tests.test_filings import new_filing

pytestmark = pytest.mark.django_db


def case_page(client, case) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:casework_case_change", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def summary_of(page: str) -> str:
    """The workbench summary: it comes before the case form's own fields."""
    start = page.index('id="case-summary"')
    assert start < page.index('name="status"')
    return (
        page[start : page.index('id="case-serviceman"')]
        + page[
            page.index('id="case-serviceman"') : page.index(
                "</fieldset>", page.index('id="case-serviceman"')
            )
        ]
    )


def test_the_top_of_the_case_page_has_everything_the_family_told_us(verified_client, team):
    man = ServicemanFactory(
        surname="Загорулько",
        unit_number="в/ч 40123",
        rank="младший сержант",
        status=Serviceman.Status.CAPTIVE,
        captured_on=datetime.date(2025, 3, 14),
        released_on=datetime.date(2025, 11, 2),
        current_location="госпиталь Бурденко, Москва",
        health_summary="Ранения: осколочное бедра\nСостояние: тревога, не спит",
    )
    mother = ApplicantFactory(
        serviceman=man,
        name="Людмила Сергеевна",
        telegram="@lyuda_z",
        preferred_channel=Applicant.Channel.TELEGRAM,
        may_call=False,
        safe_hours="вечером после 20:00, муж не должен знать",
    )
    case = CaseFactory(team=team, serviceman=man, applicant=mother, suicide_risk=True, injured=True)
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    summary = summary_of(case_page(client, case))
    for fact in (
        "Людмила Сергеевна",
        "@lyuda_z",
        "вечером после 20:00, муж не должен знать",
        "do not call",
        "в/ч 40123",
        "младший сержант",
        "in captivity",
        "14.03.2025",
        "02.11.2025",
        "госпиталь Бурденко, Москва",
        "осколочное бедра",
        "Обменян в мае",  # what happened, in the family's words
        "Suicide risk: follow the protocol now.",
        "Follow the suicide-risk protocol below.",  # the next step
    ):
        assert fact in summary, fact
    assert 'class="cw-banner cw-danger" role="alert"' in summary
    assert '<div class="cw-banner cw-warning">injured</div>' in summary


def test_the_next_step_of_a_calm_unassigned_case_is_to_assign_it(verified_client, team):
    case = CaseFactory(team=team)
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    summary = summary_of(case_page(client, case))
    assert "Assign the case to a caseworker." in summary
    assert "Suicide risk" not in summary
    assert "cw-danger" not in summary


def test_the_summary_is_in_russian_for_a_russian_reader(verified_client, team):
    case = CaseFactory(team=team, suicide_risk=True)
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]), language="ru")
    summary = summary_of(case_page(client, case))
    for english in ("Suicide risk", "Next step", "Next clock", "Serviceman", "do not call"):
        assert english not in summary, english


def test_person_pages_have_one_line_inputs_and_dates_accept_dd_mm_yyyy(verified_client, team):
    case = CaseFactory(team=team)
    man = case.serviceman
    man.captured_on = datetime.date(2025, 3, 14)
    man.save(update_fields=["captured_on"])
    client = verified_client(UserFactory(role=Role.CASEWORKER, teams=[team]))
    url = reverse("admin:casework_serviceman_change", args=[man.pk])
    response = client.get(url)
    page = response.content.decode()
    for name in ("surname", "given_name", "patronymic", "unit_number", "rank"):
        assert re.search(rf'<input type="text" name="{name}"[^>]*maxlength="100"', page), name
        assert f'<textarea name="{name}"' not in page
    assert '<input type="date" name="birth_date" value="2001-04-17"' in page
    # A rough date is one text input, shown as the family typed it (an exact one as dd.mm.yyyy).
    assert '<input type="text" name="captured_on" value="14.03.2025"' in page
    data = change_form_data(response)
    data.update(birth_date="05.03.1999", captured_on="2025-03-15", released_on="осенью 2025")
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    man = Serviceman.objects.get(pk=man.pk)
    assert (man.birth_date, man.captured_on) == (
        datetime.date(1999, 3, 5),
        datetime.date(2025, 3, 15),
    )
    assert (man.released_on, man.released_on_precision, man.released_on_text) == (
        datetime.date(2025, 9, 1),
        "season",
        "осенью 2025",
    )
    page = client.get(url).content.decode()
    assert '<input type="text" name="released_on" value="осенью 2025"' in page
    applicant_page = client.get(
        reverse("admin:casework_applicant_change", args=[case.applicant.pk])
    ).content.decode()
    for name in ("name", "phone", "telegram", "signal", "email", "safe_hours"):
        assert f'<input type="text" name="{name}"' in applicant_page, name


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR])
def test_case_page_and_reference_search_take_the_same_statements_whatever_the_size(
    verified_client, team, role, media_root
):
    """bench/admin_pages.py times both at 100,000 cases; here: the statements do not grow with
    the case's timeline, filings, files and family messages, nor with the number of cases."""
    user = UserFactory(role=role, teams=[team])
    client = verified_client(user)
    case = CaseFactory(team=team, assignee=user)

    def statements(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        return len(queries)

    page = reverse("admin:casework_case_change", args=[case.pk])
    search = reverse("admin:casework_case_changelist") + "?q=" + case.reference.lower()
    client.get(page)  # the process's first page reads the content types once; not counted
    small = (statements(page), statements(search))
    for index in range(6):
        TimelineEntryFactory(case=case, text=f"Звонок {index}.")
        family_information_add(
            case=case,
            text=f"Сообщение семьи {index}.",
            uploads=[Upload(data=tiny_pdf(), kind="pdf", filename=f"справка {index}.pdf")],
        )
        family_message_post(case=case, actor=user, text=f"Ответ {index}.")
        new_filing(case)
        CaseFactory(team=team, assignee=user)  # possible duplicates, seen by the user...
        CaseFactory()  # ...and of another team (a hidden count for a caseworker)
    twin = ServicemanFactory(surname=case.serviceman.surname, given_name=case.serviceman.given_name)
    CaseFactory(team=team, assignee=user, serviceman=twin)
    large = (statements(page), statements(search))
    duplicates = case_duplicates_for_user(user=user, case=case)
    assert duplicates.candidates  # the large page did list possible duplicates
    assert (duplicates.hidden_count > 0) == (role == Role.CASEWORKER)
    assert large == small
