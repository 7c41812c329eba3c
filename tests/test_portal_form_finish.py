"""The family form finished (issue 15, item 10) and the family's own words on the status page
(item 6): an error summary that links each answer, rough dates kept as such, a case number that
joins a case without ever saying whether it exists, and what the family sent shown back to them
only."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from casework.approximate_dates import DatePrecision, approximate_date_parse
from casework.exceptions import AccessLockedError
from casework.models import Case, Serviceman, TimelineEntry
from casework.roles import Role
from casework.services.access_codes import (
    access_code_format,
    access_code_hash,
    access_code_new,
    status_access_check,
)
from casework.services.attachments import Upload
from casework.services.family import family_information_add, family_message_post
from casework.services.intake import intake_cache_clear
from tests.factories import CaseFactory, TeamFactory, TimelineEntryFactory, UserFactory
from tests.portal_support import access_code_from, intake_post, reference_from, tiny_pdf
from tests.test_admin import change_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def case_with_code(**kwargs: object) -> tuple[Case, str]:
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now(), **kwargs
    )
    return case, code


def status_page(client: Client, case: Case, code: str, language: str = "ru") -> str:
    client.post(
        f"/{language}/status/", {"reference": case.reference, "code": access_code_format(code)}
    )
    return client.get(f"/{language}/status/").content.decode()


# --- The error summary -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "files_again", "channel_label"),
    [
        ("ru", "Пожалуйста, выберите файлы ещё раз", "Как с вами безопасно связаться?"),
        ("uk", "Будь ласка, виберіть файли ще раз", "Як із вами безпечно зв’язатися?"),
        ("en", "Please choose the files again", "How can we contact you safely?"),
    ],
)
def test_error_summary_links_each_answer_and_says_the_files_were_not_kept(
    client, language, files_again, channel_label
):
    data = intake_post(name="", channel="", captured_on="вчера вечером", consent="")
    data["uploads"] = SimpleUploadedFile("справка.pdf", tiny_pdf(), "application/pdf")
    response = client.post(f"/{language}/intake/", data)
    body = response.content.decode()
    assert response.status_code == 200
    summary = body[
        body.index('id="error-summary"') : body.index("</div>", body.index("error-summary"))
    ]
    links = re.findall(r'<li><a href="#([a-z_0-9]+)">([^<]+)</a>', summary)
    assert [anchor for anchor, _label in links] == [
        "id_name",
        "id_channel_0",
        "id_captured_on",
        "id_consent",
    ]
    assert (("id_channel_0", channel_label)) in links
    for anchor, _label in links:
        assert f'id="{anchor}"' in body  # each link lands on its field
    assert files_again in summary
    assert 'value="вчера вечером"' in body  # the words typed are kept
    assert Case.objects.count() == 0


def test_no_files_no_word_about_files(client):
    body = client.post("/ru/intake/", intake_post(name="")).content.decode()
    assert 'href="#id_name"' in body
    assert "выберите файлы ещё раз" not in body


# --- Rough dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "start", "precision", "end"),
    [
        ("14.03.2025", date(2025, 3, 14), DatePrecision.DAY, date(2025, 3, 14)),
        ("2025-03-14", date(2025, 3, 14), DatePrecision.DAY, date(2025, 3, 14)),
        ("03.2025", date(2025, 3, 1), DatePrecision.MONTH, date(2025, 3, 31)),
        ("в марте 2025 г.", date(2025, 3, 1), DatePrecision.MONTH, date(2025, 3, 31)),
        ("у березні 2025 р.", date(2025, 3, 1), DatePrecision.MONTH, date(2025, 3, 31)),
        ("весной 2025", date(2025, 3, 1), DatePrecision.SEASON, date(2025, 5, 31)),
        ("навесні 2025", date(2025, 3, 1), DatePrecision.SEASON, date(2025, 5, 31)),
        ("зимой 2024", date(2023, 12, 1), DatePrecision.SEASON, date(2024, 2, 29)),
        ("2025", date(2025, 1, 1), DatePrecision.YEAR, date(2025, 12, 31)),
        ("14 марта 2025", date(2025, 3, 14), DatePrecision.DAY, date(2025, 3, 14)),
    ],
)
def test_rough_dates_are_read_as_the_period_they_name(typed, start, precision, end):
    parsed = approximate_date_parse(typed)
    assert parsed is not None
    assert (parsed.start, parsed.precision, parsed.end, parsed.text) == (
        start,
        precision,
        end,
        typed,
    )


@pytest.mark.parametrize(
    "typed",
    ["31.02.2025", "13.2025", "вчера", "весной", "2025-13", "0000", "зимой 0000", "30 лютого 2024"],
)
def test_what_is_not_a_date_is_not_read_as_one(typed):
    assert approximate_date_parse(typed) is None


def test_rough_dates_are_stored_as_typed_with_their_precision_and_encrypted(client):
    data = intake_post(
        captured_on="весной 2024",
        released_on="03.2025",
        redeployed_on="2025",
        hospitalised_on="14.06.2025",
    )
    response = client.post("/ru/intake/", data)
    assert response.status_code == 200 and reference_from(response.content.decode())
    man = Serviceman.objects.get()
    assert man.approximate_date("captured_on") == approximate_date_parse("весной 2024")
    assert (man.captured_on, man.captured_on_precision, man.captured_on_text) == (
        date(2024, 3, 1),
        "season",
        "весной 2024",
    )
    assert (man.released_on, man.released_on_precision) == (date(2025, 3, 1), "month")
    assert (man.redeployed_on, man.redeployed_on_precision) == (date(2025, 1, 1), "year")
    assert (man.hospitalised_on, man.hospitalised_on_precision) == (date(2025, 6, 14), "day")
    with connection.cursor() as cursor:
        cursor.execute("SELECT captured_on, captured_on_text, released_on FROM casework_serviceman")
        row = cursor.fetchone()
    assert not any("весн" in value or "2024" in value or "2025" in value for value in row)


def test_the_case_page_shows_rough_dates_as_typed_with_their_precision(client, verified_client):
    client.post("/ru/intake/", intake_post(captured_on="весной 2024", released_on="03.2025"))
    case = Case.objects.get()
    worker = UserFactory(role=Role.COORDINATOR, teams=[case.team])
    page = verified_client(worker, language="ru").get(
        reverse("admin:casework_case_change", args=[case.pk])
    )
    body = page.content.decode()
    assert "<dd>весной 2024 (примерно: время года, 03–05.2024)</dd>" in body
    assert "<dd>03.2025 (примерно: месяц, 03.2025)</dd>" in body
    assert "01.03.2024" not in body  # never a made-up day


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("вчера вечером", "Мы не смогли разобрать эту дату"),
        ("2031", "Эта дата в будущем"),
        ("весной 2009", "Пожалуйста, проверьте год"),
    ],
)
def test_a_bad_rough_date_is_a_kind_error_that_keeps_everything(client, typed, message):
    response = client.post("/ru/intake/", intake_post(captured_on=typed))
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert f'value="{typed}"' in body and "Загорулько" in body
    assert Case.objects.count() == 0


def test_released_before_captured_only_when_the_periods_cannot_overlap(client):
    body = client.post(
        "/ru/intake/", intake_post(captured_on="весной 2025", released_on="03.2025")
    ).content.decode()
    assert reference_from(body)  # March lies within that spring: accepted
    body = client.post(
        "/ru/intake/", intake_post(captured_on="весной 2025", released_on="02.2025")
    ).content.decode()
    assert "Эта дата раньше, чем дата, когда он попал в плен." in body
    assert Case.objects.count() == 1


def test_date_fields_carry_a_format_hint(client):
    body = client.get("/uk/intake/").content.decode()
    assert "Наприклад, 14.03.2025." in body
    assert "«навесні 2025»" in body
    assert "День, місяць і рік, наприклад 05.03.1999." in body


# --- "I already have a case number" -----------------------------------------------------------


def _receipt_shape(body: str) -> str:
    """The receipt with its own reference, code and tokens taken out (CSRF's is masked anew on
    every response)."""
    body = body.replace(reference_from(body), "REF").replace(
        access_code_format(access_code_from(body)), "CODE"
    )
    return re.sub(r'name="(token|csrfmiddlewaretoken)" value="[^"]+"', r'name="\1" value=""', body)


def test_the_receipt_is_the_same_whatever_case_number_is_given(client):
    known = CaseFactory()
    receipts = []
    for given in ("", known.reference, "ZZZZ-ZZZZ", "не помню"):
        intake_cache_clear()
        response = client.post("/ru/intake/", intake_post(given_reference=given))
        assert response.status_code == 200
        receipts.append(_receipt_shape(response.content.decode()))
    assert receipts[1:] == receipts[:1] * 3
    # Each became a new intake of its own; the known case is untouched.
    assert Case.objects.exclude(pk=known.pk).count() == 4
    known.refresh_from_db()
    assert known.timeline.count() == 0


def test_a_given_case_number_is_kept_tidied_and_flags_the_intake(client):
    known = CaseFactory()
    typo_free = known.reference.lower().replace("-", " ")
    client.post("/ru/intake/", intake_post(given_reference=typo_free))
    intake = Case.objects.exclude(pk=known.pk).get()
    assert (intake.given_reference, intake.needs_attention) == (known.reference, True)
    note = intake.timeline.get(kind=TimelineEntry.Kind.INTAKE).text
    assert f"Говорит, что уже есть дело с номером: {known.reference}" in note


def test_the_case_page_offers_to_merge_into_the_case_the_family_named(client, verified_client):
    team = TeamFactory(receives_intake=True)
    intake_cache_clear()
    known = CaseFactory(team=team)
    client.post("/ru/intake/", intake_post(given_reference=known.reference))
    intake = Case.objects.exclude(pk=known.pk).get()
    coordinator = UserFactory(role=Role.COORDINATOR, teams=[team])
    body = (
        verified_client(coordinator, language="ru")
        .get(reverse("admin:casework_case_change", args=[intake.pk]))
        .content.decode()
    )
    block = body[body.index('id="given-reference"') :]
    block = block[: block.index("</div>")]
    assert f"Семья пишет, что у неё уже есть дело с номером {known.reference}." in block
    assert reverse("admin:casework_case_change", args=[known.pk]) in block
    # The intake goes into the case it names (which keeps its family's words and drafts).
    into = reverse("admin:casework_case_merge", args=[known.pk])
    assert f'action="{into}"' in block and f'name="other" value="{intake.pk}"' in block
    staff = verified_client(coordinator, language="ru")
    staff.post(into, {"kind": "case", "other": intake.pk, "confirm": "1"})
    intake.refresh_from_db()
    assert intake.merged_into_id == known.pk


def test_a_number_of_a_case_the_caseworker_cannot_see_is_not_revealed(client, verified_client):
    team, other_team = TeamFactory(receives_intake=True), TeamFactory()
    intake_cache_clear()
    hidden = CaseFactory(team=other_team)
    client.post("/ru/intake/", intake_post(given_reference=hidden.reference))
    intake = Case.objects.exclude(pk=hidden.pk).get()
    worker = UserFactory(role=Role.CASEWORKER, teams=[team])
    body = (
        verified_client(worker, language="ru")
        .get(reverse("admin:casework_case_change", args=[intake.pk]))
        .content.decode()
    )
    block = body[body.index('id="given-reference"') :]
    block = block[: block.index("</div>")]
    assert "Среди видимых вам дел нет дела с этим номером" in block
    assert reverse("admin:casework_case_change", args=[hidden.pk]) not in body


def test_lockout_advice_points_to_the_case_number_not_a_new_case(settings):
    settings.STATUS_LOCK_FAILURES = 1
    case, code = case_with_code()
    wrong = access_code_new()
    with translation.override("ru"), pytest.raises(AccessLockedError) as locked:
        status_access_check(reference=case.reference, code=wrong, client=f"lock-{case.pk}")
    assert "«У меня уже есть номер дела»" in locked.value.message
    assert "а не заведём новое" in locked.value.message


def test_the_receipt_advice_points_to_the_case_number(client):
    data = intake_post()
    body = client.post("/uk/intake/", data).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body)
    assert token is not None
    client.post("/uk/intake/confirm/", {"token": token[1], "written_down": "on"})
    again = client.post("/uk/intake/", data).content.decode()  # the same form sent again
    assert "укажіть цей номер справи в полі «У мене вже є номер справи»" in again
    assert "нова справа не відкриється" in again
    assert Case.objects.count() == 1


# --- What the family sent, on their status page only ------------------------------------------


def test_the_family_sees_their_own_words_and_file_names(client):
    case, code = case_with_code()
    family_information_add(case=case, text="Его перевели в госпиталь в Ростове.", uploads=[])
    family_information_add(
        case=case,
        text="",
        uploads=[Upload(data=tiny_pdf(), kind="pdf", filename="заключение ВВК.pdf")],
    )
    body = status_page(client, case, code)
    sent = body[body.index('id="family-sent"') :]
    sent = sent[: sent.index("</section>")]
    assert "Его перевели в госпиталь в Ростове." in sent
    assert "заключение ВВК.pdf" in sent
    assert "Files from the family" not in sent  # the staff's label of an upload is not theirs


def test_another_familys_session_never_shows_them(client):
    case, code = case_with_code()
    family_information_add(case=case, text="Слова первой семьи.", uploads=[])
    other, other_code = case_with_code()
    body = status_page(Client(), other, other_code)
    assert "Слова первой семьи." not in body
    assert "Слова первой семьи." not in client.get("/ru/status/").content.decode()  # signed out


def test_a_timeline_note_never_reaches_the_status_page(client):
    case, code = case_with_code()
    worker = UserFactory(role=Role.COORDINATOR, teams=[case.team])
    TimelineEntryFactory(case=case, text="Внутренняя заметка о семье.")
    TimelineEntryFactory(
        case=case, kind=TimelineEntry.Kind.MESSAGE_IN, author=worker, text="Мать звонила, плачет."
    )
    family_message_post(case=case, actor=worker, text="Мы отправили жалобу.")
    body = status_page(client, case, code)
    assert "Мы отправили жалобу." in body
    assert "Внутренняя заметка о семье." not in body
    assert "Мать звонила, плачет." not in body


def test_a_message_to_the_family_can_be_withdrawn_on_the_case_page(verified_client, client):
    case, code = case_with_code()
    worker = UserFactory(role=Role.COORDINATOR, teams=[case.team])
    message = family_message_post(case=case, actor=worker, text="Отправлено по ошибке.")
    staff = verified_client(worker, language="ru")
    response = staff.post(
        reverse("admin:casework_case_family", args=[case.pk]),
        {"action": "withdraw", "entry": str(message.pk)},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert not message.visible_to_family
    assert "Отправлено по ошибке." not in status_page(client, case, code)


def test_the_serviceman_page_refuses_an_unreadable_date_and_keeps_it(verified_client):
    case = CaseFactory()
    man = case.serviceman
    worker = UserFactory(role=Role.COORDINATOR, teams=[case.team])
    client = verified_client(worker, language="ru")
    url = reverse("admin:casework_serviceman_change", args=[man.pk])
    data = change_form_data(client.get(url))
    data["hospitalised_on"] = "позавчера"
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Мы не смогли разобрать эту дату" in body and 'value="позавчера"' in body
    man.refresh_from_db()
    assert (man.hospitalised_on, man.hospitalised_on_text) == (None, "")
