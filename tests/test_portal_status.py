"""The family's status page: access by reference and code, lockouts that never shut the family
out, an idle-ending session, messages that expire, and additions that reach the caseworker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from casework.models import Attachment, AuditEvent, Case, TimelineEntry
from casework.portal.views import STATUS_SESSION_KEY
from casework.roles import Role
from casework.services.access_codes import (
    access_code_format,
    access_code_hash,
    access_code_new,
    access_code_reissue,
    access_code_revoke,
    status_delay_seconds,
)
from casework.services.family import (
    family_information_add,
    family_message_post,
    family_status_set,
)
from casework.services.people import case_merge
from tests.factories import CaseFactory, TimelineEntryFactory, UserFactory
from tests.portal_support import gps_jpeg

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

FAMILY, STRANGER = "203.0.113.10", "198.51.100.66"


@pytest.fixture
def fast_delays(settings):  # type: ignore[no-untyped-def]
    settings.STATUS_DELAY_MAX_SECONDS = 0.05


def case_with_code(**kwargs: object) -> tuple[Case, str]:
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now(), **kwargs
    )
    return case, code


def wrong_code(code: str) -> str:
    """Another well-formed code (the Luhn digit right), so it counts as an attempt."""
    other = access_code_new()
    return other if other != code else wrong_code(code)


def sign_in(client: Client, reference: str, code: str, address: str = FAMILY, lang: str = "ru"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/{lang}/status/",
        {"reference": reference, "code": access_code_format(code)},
        REMOTE_ADDR=address,
    )


def test_the_family_sees_its_status_and_visible_messages_only(client):
    case, code = case_with_code()
    worker = UserFactory(role=Role.COORDINATOR)
    family_status_set(case=case, actor=worker, family_status="waiting_authority")
    family_message_post(case=case, actor=worker, text="Жалоба отправлена в прокуратуру 3 июня.")
    TimelineEntryFactory(case=case, text="Внутренняя заметка: командир не отвечает.")

    response = sign_in(client, case.reference.lower().replace("-", " "), code)
    assert response.status_code == 303 and response["Location"] == "/ru/status/"
    page = client.get("/ru/status/", REMOTE_ADDR=FAMILY)
    body = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "Мы ждём ответа от властей" in body
    assert "Жалоба отправлена в прокуратуру" in body
    assert "Внутренняя заметка" not in body
    assert case.serviceman.surname not in body and case.applicant.name not in body
    assert AuditEvent.objects.filter(action="login", object_reference=case.reference).count() == 1


def test_messages_disappear_after_their_time(client, settings):
    case, code = case_with_code()
    worker = UserFactory(role=Role.COORDINATOR)
    entry = family_message_post(case=case, actor=worker, text="Скоро будет ответ.")
    assert entry.visible_until - entry.created_at == timedelta(days=settings.FAMILY_MESSAGE_DAYS)
    expired = family_message_post(case=case, actor=worker, text="Старое сообщение.")
    TimelineEntry.objects.filter(pk=expired.pk).update(visible_until=timezone.now())
    # Marked visible in the admin without an end date: it ends FAMILY_MESSAGE_DAYS after writing.
    TimelineEntryFactory(case=case, kind="message_out", visible_to_family=True, text="Свежее.")
    TimelineEntryFactory(
        case=case,
        kind="message_out",
        visible_to_family=True,
        text="Давнее.",
        created_at=timezone.now() - timedelta(days=settings.FAMILY_MESSAGE_DAYS + 1),
    )
    sign_in(client, case.reference, code)
    body = client.get("/ru/status/", REMOTE_ADDR=FAMILY).content.decode()
    assert "Скоро будет ответ." in body and "Свежее." in body
    assert "Старое сообщение." not in body and "Давнее." not in body


def test_a_typo_is_caught_by_the_check_digit_and_costs_no_attempt(client, settings):
    case, code = case_with_code()
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    for _ in range(settings.STATUS_LOCK_FAILURES + 2):
        body = sign_in(client, case.reference, typo).content.decode()
        assert "опечатка" in body
    assert sign_in(client, case.reference, code).status_code == 303


def test_wrong_codes_lock_this_client_for_this_reference(client, settings, fast_delays):
    case, code = case_with_code()
    for attempt in range(1, settings.STATUS_LOCK_FAILURES):
        response = sign_in(client, case.reference, wrong_code(code))
        assert response.status_code == 200
        left = settings.STATUS_LOCK_FAILURES - attempt
        assert f"Осталось попыток с этого устройства: {left}" in response.content.decode()
    locked = sign_in(client, case.reference, wrong_code(code))
    assert locked.status_code == 429
    # Locked: even the right code is not checked from this client now.
    assert sign_in(client, case.reference, code).status_code == 429
    assert STATUS_SESSION_KEY not in client.session


def test_a_strangers_failures_never_lock_the_family_out(settings, fast_delays):
    case, code = case_with_code()
    stranger = Client()
    for _ in range(settings.STATUS_LOCK_FAILURES + 3):
        sign_in(stranger, case.reference, wrong_code(code), address=STRANGER)
    assert sign_in(stranger, case.reference, code, address=STRANGER).status_code == 429
    assert status_delay_seconds(case.reference) > 0  # the reference is only slowed down
    time.sleep(0.06)  # a moment later: the stranger's last check held the turn for 0.05 s
    family = Client()
    assert sign_in(family, case.reference, code, address=FAMILY).status_code == 303
    assert family.get("/ru/status/", REMOTE_ADDR=FAMILY).status_code == 200


def test_the_delay_per_reference_grows_and_is_bounded(settings):
    case, code = case_with_code()
    settings.STATUS_LOCK_FAILURES = 100
    settings.STATUS_DELAY_MAX_SECONDS = 0.0  # measure the schedule without waiting for it
    delays = []
    for index in range(10):
        sign_in(Client(), case.reference, wrong_code(code), address=f"192.0.2.{index}")
        delays.append(status_delay_seconds(case.reference))
    settings.STATUS_DELAY_MAX_SECONDS = 2.0
    assert status_delay_seconds(case.reference) == 2.0
    assert delays[: settings.STATUS_DELAY_FREE_FAILURES] == [0.0] * 3


def test_a_missing_reference_looks_exactly_like_a_wrong_code(client):
    case, code = case_with_code()
    missing = sign_in(client, "ZZZZ-ZZZZ", code, address="192.0.2.50").content.decode()
    wrong = sign_in(client, case.reference, wrong_code(code), address="192.0.2.51").content.decode()
    assert "Номер дела или код доступа неверны" in missing
    assert "Номер дела или код доступа неверны" in wrong


def test_the_session_ends_after_idle_minutes(client, settings):
    case, code = case_with_code()
    response = sign_in(client, case.reference, code)
    cookie = response.cookies["sessionid"]
    # The cookie dies with the browser; the idle limit is the server's.
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    session = client.session
    data = session[STATUS_SESSION_KEY]
    data["seen"] = time.time() - settings.STATUS_SESSION_IDLE_SECONDS - 1
    session[STATUS_SESSION_KEY] = data
    session.save()
    body = client.get("/ru/status/").content.decode()
    assert "Сеанс завершён" in body and 'name="code"' in body
    assert STATUS_SESSION_KEY not in client.session


def test_end_session_button_forgets_the_session(client):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    response = client.post("/ru/status/end/")
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert response.cookies["sessionid"]["max-age"] == 0  # the cookie is deleted
    assert 'name="code"' in client.get("/ru/status/").content.decode()


def test_leave_quickly_ends_the_session_and_goes_to_a_neutral_site(client, settings):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    page = client.get("/ru/status/").content.decode()
    assert 'class="leave" href="/ru/leave/"' in page
    response = client.get("/ru/leave/")
    assert response.status_code == 302 and response["Location"] == settings.LEAVE_QUICKLY_URL
    assert "no-store" in response["Cache-Control"]
    assert response.cookies["sessionid"]["max-age"] == 0  # deleted
    assert response.cookies["csrftoken"]["max-age"] == 0
    assert STATUS_SESSION_KEY not in client.session
    # Back in the browser asks again (the page is no-store) and finds only the sign-in form.
    back = client.get("/ru/status/").content.decode()
    assert 'name="code"' in back and case.reference not in back


def test_leave_quickly_without_a_session_just_leaves(client, settings):
    response = client.get("/uk/leave/")
    assert response.status_code == 302 and response["Location"] == settings.LEAVE_QUICKLY_URL
    assert "sessionid" not in response.cookies


def test_a_message_typed_while_the_session_lapsed_is_kept_through_signing_in(client, settings):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    token = client.get("/ru/status/").content.decode().split('name="token" value="')[1][:32]
    session = client.session
    data = session[STATUS_SESSION_KEY]
    data["seen"] = time.time() - settings.STATUS_SESSION_IDLE_SECONDS - 1
    session[STATUS_SESSION_KEY] = data
    session.save()
    text = "Его перевели в госпиталь <Ростов>. Врач сказал, что нужна ВВК."
    response = client.post("/ru/status/add/", {"text": text, "token": token})
    body = response.content.decode()
    assert response.status_code == 200 and "Сеанс завершён" in body
    escaped = "Его перевели в госпиталь &lt;Ростов&gt;. Врач сказал, что нужна ВВК."
    assert 'name="kept_text" id="id_kept_text"' in body and f"\n{escaped}</textarea>" in body
    assert "no-store" in response["Cache-Control"]
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()
    # Signing in again shows the text in the addition form, not sent until the family says so.
    response = client.post(
        "/ru/status/",
        {"reference": case.reference, "code": access_code_format(code), "kept_text": text},
        REMOTE_ADDR=FAMILY,
    )
    # A redirect, so the sign-in (with the code and the text) never stays in the history.
    assert response.status_code == 303 and response["Location"] == "/ru/status/"
    stored = Session.objects.get(session_key=client.session.session_key).get_decoded()
    assert "госпиталь" not in str(stored)  # encrypted in the session row
    body = client.get("/ru/status/").content.decode()
    assert case.reference in body
    assert f"\n{escaped}</textarea>" in body and 'name="kept_text"' not in body
    assert "ещё не отправлено" in body
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()
    assert "ещё не отправлено" not in client.get("/ru/status/").content.decode()  # shown once
    token = body.split('name="token" value="')[1].split('"')[0]
    assert client.post("/ru/status/add/", {"text": text, "token": token}).status_code == 303
    assert TimelineEntry.objects.get(case=case, kind="message_in").text == text


def test_a_long_message_comes_back_whole_and_the_form_says_it_is_too_long(client, settings):
    case, code = case_with_code()
    text = "Подробно: " + "ж" * 6000  # longer than the form takes
    response = client.post("/ru/status/add/", {"text": text, "token": "t-long"})
    assert f"\n{text}</textarea>" in response.content.decode()  # no session: the sign-in form
    response = client.post(
        "/ru/status/",
        {"reference": case.reference, "code": access_code_format(code), "kept_text": text},
        REMOTE_ADDR=FAMILY,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"\n{text}</textarea>" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    body = client.post("/ru/status/add/", {"text": text, "token": token}).content.decode()
    assert f"\n{text}</textarea>" in body and "errorlist" in body
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()


def test_a_wrong_code_keeps_the_message_being_carried(client):
    case, code = case_with_code()
    response = client.post(
        "/ru/status/",
        {
            "reference": case.reference,
            "code": access_code_format(wrong_code(code)),
            "kept_text": "Новости о сыне",
        },
        REMOTE_ADDR=FAMILY,
    )
    assert (
        response.status_code == 200 and "\nНовости о сыне</textarea>" in response.content.decode()
    )
    assert STATUS_SESSION_KEY not in client.session


def test_a_failed_csrf_check_on_the_status_pages_loses_nothing(settings):
    case, code = case_with_code()
    browser = Client(enforce_csrf_checks=True)
    # Signing in: the reference is kept, the code is typed again.
    response = browser.post(
        "/ru/status/",
        {"reference": case.reference, "code": access_code_format(code)},
        REMOTE_ADDR=FAMILY,
    )
    body = response.content.decode()
    assert response.status_code == 403 and "no-store" in response["Cache-Control"]
    assert f'value="{case.reference}"' in body and access_code_format(code) not in body
    assert STATUS_SESSION_KEY not in browser.session
    # Adding, with the session still open but the CSRF cookie gone: the text comes back.
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.get("/ru/status/")
    csrf = signed_in.cookies["csrftoken"].value
    signed_in.post(
        "/ru/status/",
        {
            "reference": case.reference,
            "code": access_code_format(code),
            "csrfmiddlewaretoken": csrf,
        },
        REMOTE_ADDR=FAMILY,
    )
    assert STATUS_SESSION_KEY in signed_in.session
    del signed_in.cookies["csrftoken"]
    response = signed_in.post("/ru/status/add/", {"text": "Он снова в части", "token": "t-1"})
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "\nОн снова в части</textarea>" in body and "ещё не отправлено" in body
    assert not TimelineEntry.objects.filter(case=case).exclude(kind="intake").exists()
    # Ending the session works whatever state the page was in.
    del signed_in.cookies["csrftoken"]
    response = signed_in.post("/ru/status/end/")
    assert response.status_code == 200 and STATUS_SESSION_KEY not in signed_in.session


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"HTTP_SEC_FETCH_SITE": "cross-site"}, "the browser says another site sent it"),
        ({"HTTP_ORIGIN": "https://evil.example", "HTTP_HOST": "testserver"}, "foreign origin"),
    ],
)
def test_a_form_posted_by_another_site_never_shows_its_words_as_the_familys(headers, why):
    browser = Client(enforce_csrf_checks=True)
    planted = {"name": "Галина", "contact": "+7 999 000 00 00", "what_happened": "подброшено"}
    response = browser.post("/ru/intake/", planted, **headers)
    body = response.content.decode()
    assert response.status_code == 403 and "no-store" in response["Cache-Control"], why
    assert "+7 999 000 00 00" not in body and "подброшено" not in body, why
    response = browser.post("/ru/status/", {"reference": "K7M4-QX2P", "kept_text": "подброшено"},
                            **headers)  # fmt: skip
    assert "подброшено" not in response.content.decode() and "K7M4-QX2P" not in (
        response.content.decode()
    )


def test_a_reload_after_a_merge_moved_the_addition_is_no_error(client):
    case, code = case_with_code()
    other, _other_code = case_with_code()
    family_information_add(case=other, text="Уже получено", uploads=[], token="token-1")
    sign_in(client, case.reference, code)
    response = client.post("/ru/status/add/", {"text": "Уже получено", "token": "token-1"})
    assert response.status_code == 303
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()
    assert TimelineEntry.objects.filter(case=other, kind="message_in").count() == 1


def test_a_reissued_code_ends_old_sessions_and_the_old_code(client):
    case, code = case_with_code()
    coordinator = UserFactory(role=Role.COORDINATOR)
    sign_in(client, case.reference, code)
    new_code = access_code_reissue(case=case, actor=coordinator)
    assert new_code != code
    assert 'name="code"' in client.get("/ru/status/").content.decode()
    assert sign_in(Client(), case.reference, code, address="192.0.2.7").status_code == 200
    assert sign_in(Client(), case.reference, new_code, address="192.0.2.8").status_code == 303
    change = AuditEvent.objects.filter(object_reference=case.reference, action="change").last()
    assert change.actor == coordinator and change.detail["access_code"] == "reissued"
    assert new_code not in str(change.detail)


def test_a_revoked_code_opens_nothing(client):
    case, code = case_with_code()
    access_code_revoke(case=case, actor=UserFactory(role=Role.COORDINATOR))
    case.refresh_from_db()
    assert case.access_code_hash == "" and case.access_code_issued_at is None
    assert sign_in(client, case.reference, code).status_code == 200
    assert STATUS_SESSION_KEY not in client.session


def test_added_information_lands_in_the_timeline_and_flags_the_case(
    client, django_capture_on_commit_callbacks
):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    page = client.get("/ru/status/").content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    data = {
        "text": "Его перевели в госпиталь в Ростове.",
        "token": token,
        "uploads": SimpleUploadedFile("IMG_0001.jpg", gps_jpeg()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ru/status/add/", data)
    assert response.status_code == 303
    # A double tap or a reload of the same form adds nothing more.
    data["uploads"] = SimpleUploadedFile("IMG_0001.jpg", gps_jpeg())
    client.post("/ru/status/add/", data)
    entry = TimelineEntry.objects.get(case=case, kind="message_in")
    assert entry.text == "Его перевели в госпиталь в Ростове." and not entry.visible_to_family
    attachment = Attachment.objects.get(case=case)
    assert attachment.timeline_entry == entry and attachment.state == "clean"
    assert "gps" in attachment.metadata_found
    case.refresh_from_db()
    assert case.needs_attention
    assert "Спасибо, мы получили" in client.get("/ru/status/").content.decode()


def test_adding_needs_text_or_a_file_and_keeps_what_was_typed(client):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    body = client.post("/ru/status/add/", {"text": "", "token": "t1"}).content.decode()
    assert "Напишите что-нибудь или выберите файл" in body
    bad = SimpleUploadedFile("a.jpg", b"not a picture at all")
    body = client.post(
        "/ru/status/add/", {"text": "Новое", "token": "t2", "uploads": bad}
    ).content.decode()
    assert "Новое</textarea>" in body and "выберите их ещё раз" in body
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()


def test_without_a_session_additions_are_refused(client):
    case, _code = case_with_code()
    response = client.post("/ru/status/add/", {"text": "x", "token": "t"})
    assert 'name="code"' in response.content.decode()
    assert not TimelineEntry.objects.filter(case=case, kind="message_in").exists()


def test_the_family_can_withdraw_and_give_collective_consent(client):
    case, code = case_with_code()
    sign_in(client, case.reference, code)
    client.post("/ru/status/consent/", {"agrees": "on"})
    case.applicant.refresh_from_db()
    assert case.applicant.consent_collective
    client.post("/ru/status/consent/", {"agrees": ""})
    case.applicant.refresh_from_db()
    assert not case.applicant.consent_collective
    assert AuditEvent.objects.filter(object_type="applicant", action="change").count() == 2


def test_a_merged_case_still_opens_with_its_old_code(client):
    survivor, _ = case_with_code()
    merged, code = case_with_code(serviceman=survivor.serviceman, applicant=survivor.applicant)
    coordinator = UserFactory(role=Role.COORDINATOR)
    case_merge(survivor=survivor, merged=merged, actor=coordinator)
    family_message_post(case=survivor, actor=coordinator, text="Мы объединили ваши обращения.")
    sign_in(client, merged.reference, code)
    body = client.get("/ru/status/").content.decode()
    assert survivor.reference in body and "Мы объединили ваши обращения." in body


def test_a_case_merged_into_another_familys_case_never_shows_their_page(client):
    survivor, _ = case_with_code()
    merged, code = case_with_code(serviceman=survivor.serviceman)  # another relative wrote in
    coordinator = UserFactory(role=Role.COORDINATOR)
    case_merge(survivor=survivor, merged=merged, actor=coordinator)
    family_message_post(case=survivor, actor=coordinator, text="Сообщение другой семье.")
    sign_in(client, merged.reference, code)
    body = client.get("/ru/status/").content.decode()
    assert merged.reference in body
    assert survivor.reference not in body and "Сообщение другой семье." not in body


def test_the_status_pages_speak_each_language(client):
    case, code = case_with_code()
    assert "Перевірте свою справу" in client.get("/uk/status/").content.decode()
    sign_in(client, case.reference, code, lang="en")
    assert "We have received your message" in client.get("/en/status/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"reference": "x" * 10_000, "code": "1" * 10_000},
        {"reference": "K7M4-QX2P\x00", "code": "4539 5787 6362 1486"},
        {"reference": "", "code": ""},
        {"reference": ["A", "B"], "code": ["1", "2"]},
        {"reference": "𝐊𝟕𝐌𝟒-𝐐𝐗𝟐𝐏", "code": "٤٥٣٩٥٧٨٧٦٣٦٢١٤٨٦"},
    ],
)
def test_no_sign_in_input_produces_a_server_error(client, data):
    assert client.post("/uk/status/", data).status_code < 500
