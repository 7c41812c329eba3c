"""The public intake form: safe pages, kind errors that keep input, one case per submission."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from casework import crypto
from casework.models import (
    Applicant,
    Attachment,
    AuditEvent,
    Case,
    IntakeSubmission,
    Notification,
    Serviceman,
    Team,
    TimelineEntry,
)
from casework.roles import Role
from casework.services.access_codes import access_code_hash, access_code_is_well_formed
from casework.services.attachments import ORIGINAL, attachment_path
from tests.factories import TeamFactory, UserFactory
from tests.portal_support import (
    access_code_from,
    aged_stamp,
    gps_jpeg,
    intake_post,
    reference_from,
    tiny_pdf,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def coordinator(team: Team | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    user = UserFactory(email=f"{UserFactory._meta.model.objects.count()}@org.example", **kwargs)
    user.groups.add(Group.objects.get_or_create(name=Role.COORDINATOR.value)[0])
    if team is not None:
        team.members.add(user)
    return user


@pytest.mark.parametrize(
    ("language", "title", "heading"),
    [
        ("ru", "Справочная", "Расскажите, что случилось"),
        ("uk", "Довідкова", "Розкажіть, що сталося"),
        ("en", "Help desk", "Tell us what happened"),
    ],
)
def test_form_page_is_neutral_private_and_self_contained(client, language, title, heading):
    response = client.get(f"/{language}/intake/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{title}</title>" in body
    assert heading in body
    assert "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script" not in body and "style=" not in body
    # No address to another host at all: "leave quickly" goes through our own page, which
    # ends any status session before sending the browser on (tests/test_portal_status.py).
    assert re.findall(r'(?:href|src|action)="(https?://[^"]+)"', body) == []
    assert f'class="leave" href="/{language}/leave/" rel="noreferrer"' in body
    others = [code for code in ("ru", "uk", "en") if code != language]
    for other in others:  # buttons of the form, so switching keeps what was typed
        assert f'value="{other}" formaction="/{other}/intake/" formnovalidate' in body
    assert set(response.cookies) == {"csrftoken"}
    assert response.cookies["csrftoken"]["max-age"] == ""  # lives only for the browser session
    assert response.cookies["csrftoken"]["expires"] == ""


def test_photo_location_warning_is_shown_before_upload(client):
    body = client.get("/en/intake/").content.decode()
    assert body.index("Photos can show where they were taken") < body.index('type="file"')


def test_submission_creates_the_case_its_people_and_a_receipt(client):
    intake_team = TeamFactory(name="Б-интейк", receives_intake=True)
    TeamFactory(name="А-первая")
    response = client.post("/ru/intake/", intake_post())
    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    reference, code = reference_from(body), access_code_from(body)
    assert re.search(r'id="access-code">\d{4} \d{4} \d{4} \d{4}<', body)
    assert access_code_is_well_formed(code)

    case = Case.objects.get(reference=reference)
    assert case.team == intake_team
    assert (case.status, case.source, case.family_status) == ("new", "intake", "received")
    assert case.access_code_hash == access_code_hash(code)
    assert code not in case.access_code_hash
    assert case.injured and not case.suicide_risk and case.priority == Case.Priority.HIGH
    assert case.under_25
    assert "Обменян 24 мая" in case.summary
    assert "ВВК" in case.wishes
    man = case.serviceman
    assert (man.surname, man.unit_number, man.status) == ("Загорулько", "в/ч 40417", "redeployed")
    assert man.birth_date.isoformat() == "2002-04-17"
    assert man.surname_index and man.surname_year_index and man.unit_index  # blind indexes set
    assert "осколочные ранения" in man.health_summary
    applicant = case.applicant
    assert (applicant.name, applicant.signal, applicant.phone) == ("Галина", "+7 916 555 0142", "")
    assert applicant.legal_name == ""  # optional: "how should we address you" is not it
    assert applicant.may_call and applicant.consent_given_at and not applicant.consent_collective
    assert applicant.serviceman == man
    entry = TimelineEntry.objects.get(case=case)
    assert entry.kind == TimelineEntry.Kind.INTAKE and not entry.visible_to_family
    assert AuditEvent.objects.filter(action="create", object_reference=reference).count() == 1
    assert IntakeSubmission.objects.get(case=case).access_code == code


def test_the_legal_name_is_optional_kept_apart_and_encrypted(client):
    TeamFactory(name="А-первая", receives_intake=True)
    page = client.get("/ru/intake/").content.decode()
    assert 'name="legal_name"' in page and "как в паспорте" in page
    response = client.post("/ru/intake/", intake_post(legal_name="Загорулько Галина Петровна"))
    applicant = Case.objects.get(reference=reference_from(response.content.decode())).applicant
    assert (applicant.name, applicant.legal_name) == ("Галина", "Загорулько Галина Петровна")
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name FROM casework_applicant WHERE id = %s", [applicant.pk])
        stored = cursor.fetchone()[0]
    assert "Загорулько" not in stored and stored


def test_intake_goes_to_a_new_team_when_there_is_none(client):
    client.post("/ru/intake/", intake_post())
    team = Case.objects.get().team
    assert (team.name, team.receives_intake) == ("Intake", True)


def test_without_an_intake_team_the_first_team_by_name_gets_it(client):
    TeamFactory(name="Zulu")
    TeamFactory(name="Alpha")
    client.post("/ru/intake/", intake_post())
    assert Case.objects.get().team.name == "Alpha"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_intake_team_deleted_while_cached_costs_a_retry_not_the_familys_answers(client):
    # Real commits: the foreign key to the deleted team is checked when the intake commits.
    old, new = TeamFactory(name="Old", receives_intake=True), TeamFactory(name="New")
    client.post("/ru/intake/", intake_post())  # reads the intake team into the minute's cache
    Case.objects.update(team=new)
    old.delete()
    Team.objects.filter(pk=new.pk).update(receives_intake=True)
    body = client.post("/ru/intake/", intake_post()).content.decode()
    assert 'id="access-code"' in body
    assert Case.objects.count() == 2 and set(Case.objects.values_list("team", flat=True)) == {
        new.pk
    }
    assert IntakeSubmission.objects.count() == 2


def test_errors_stand_next_to_their_fields_translated_and_nothing_typed_is_lost(client):
    data = intake_post(
        name="",
        channel="email",
        contact="не-почта",
        birth_date="2090-01-01",
        uploads=SimpleUploadedFile("photo.jpg", gps_jpeg(), "image/jpeg"),
    )
    response = client.post("/ru/intake/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert not Case.objects.exists() and not Attachment.objects.exists()

    def field_block(name: str) -> str:
        start = body.index(f'for="id_{name}"')
        return body[start : body.index("</div>", start)]

    assert "Обязательное поле" in field_block("name")
    assert "не похоже на адрес электронной почты" in field_block("contact")
    assert "в будущем" in field_block("birth_date")
    # What was typed is still there, files excepted (said so, next to the file field).
    assert 'value="не-почта"' in body
    assert 'value="Загорулько"' in body and 'value="в/ч 40417"' in body
    assert "Обменян 24 мая" in body
    assert re.search(r'value="vvk"[^>]*checked', body)
    assert "выберите их ещё раз" in body


def test_a_long_account_is_never_cut_by_the_browser_and_comes_back_whole(client):
    form = client.get("/ru/intake/").content.decode()
    textareas = re.findall(r"<textarea[^>]*>", form)
    assert len(textareas) == 5
    assert [tag for tag in textareas if "maxlength" in tag] == []
    account = "Обменян 24 мая, отправлен обратно в часть. " * 120  # 5159 once stripped
    response = client.post("/ru/intake/", intake_post(what_happened=account))
    body = response.content.decode()
    assert response.status_code == 200
    assert not Case.objects.exists() and not IntakeSubmission.objects.exists()
    start = body.index('for="id_what_happened"')
    block = body[start : body.index("</div>", start)]
    assert "не более 5000 символов (сейчас 5159)" in block
    assert f">\n{account}</textarea>" in block  # every character kept, nothing cut


def test_a_renamed_file_is_judged_by_its_content(client):
    renamed_pdf = SimpleUploadedFile("photo.jpg", tiny_pdf(), "image/jpeg")
    response = client.post("/ru/intake/", intake_post(uploads=renamed_pdf))
    assert Attachment.objects.get().kind == "pdf", response.content.decode()[:500]

    Case.objects.all().delete()
    text_as_photo = SimpleUploadedFile("scan.jpg", b"just some text, not a picture", "image/jpeg")
    body = client.post("/ru/intake/", intake_post(uploads=text_as_photo)).content.decode()
    assert not Case.objects.exists()
    start = body.index('for="id_uploads"')
    assert "scan.jpg" in body[start:] and "PDF" in body[start : body.index("</div>", start)]


def test_the_original_is_stored_encrypted_with_its_checksum(client):
    photo = gps_jpeg()
    client.post("/ru/intake/", intake_post(uploads=SimpleUploadedFile("x.jpg", photo)))
    attachment = Attachment.objects.get()
    stored = attachment_path(attachment.public_id, ORIGINAL).read_bytes()
    assert photo not in stored and b"Canon" not in stored and b"JFIF" not in stored
    # A keyed checksum, never a plain one a guessed photo could be tested against.
    assert crypto.content_digest_matches(photo, attachment.digest)
    assert hashlib.sha256(photo).hexdigest() not in attachment.digest
    assert attachment.filename == "x.jpg"  # encrypted in the database, shown only to staff


def test_too_many_or_too_large_files_are_refused_kindly(client, settings):
    too_many = [SimpleUploadedFile(f"{i}.png", tiny_pdf()) for i in range(11)]
    body = client.post("/en/intake/", intake_post(uploads=too_many)).content.decode()
    assert "at most 10 files" in body
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1))
    body = client.post("/en/intake/", intake_post(uploads=big)).content.decode()
    assert "big.pdf: this file is larger than 10 MB" in body
    assert not Case.objects.exists()


def test_the_honeypot_refuses_and_is_emptied_for_a_person_who_could_not_see_it(client):
    body = client.post("/en/intake/", intake_post(website="http://spam.example")).content.decode()
    assert not Case.objects.exists()
    assert "We could not accept the form" in body
    assert "spam.example" not in body
    assert 'value="Загорулько"' in body


def test_a_form_sent_too_fast_is_refused_until_a_person_could_have_filled_it(client, settings):
    settings.INTAKE_MIN_SECONDS = 5
    stamp = aged_stamp(seconds=1)
    body = client.post("/en/intake/", intake_post(started=stamp)).content.decode()
    assert "quicker than we expected" in body and not Case.objects.exists()
    assert stamp in body  # the same start time: sending again after a moment works
    client.post("/en/intake/", intake_post(started=aged_stamp(seconds=6)))
    assert Case.objects.count() == 1


def test_a_tampered_or_stale_stamp_is_replaced_and_input_kept(client, settings):
    body = client.post("/en/intake/", intake_post(started="forged:stamp")).content.decode()
    assert "open for a long time" in body and not Case.objects.exists()
    assert "forged:stamp" not in body and 'value="Загорулько"' in body
    old = aged_stamp(seconds=settings.INTAKE_FORM_MAX_AGE_SECONDS + 10)
    body = client.post("/en/intake/", intake_post(started=old)).content.decode()
    assert "open for a long time" in body and old not in body


def test_a_reload_or_double_tap_returns_the_same_receipt_and_one_case(client):
    data = intake_post()
    first = client.post("/ru/intake/", data).content.decode()
    second = client.post("/ru/intake/", data).content.decode()
    assert Case.objects.count() == 1
    assert reference_from(first) == reference_from(second)
    assert access_code_from(first) == access_code_from(second)
    assert "уже была отправлена" in second


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_taps_make_one_case_and_keep_no_stray_files(settings):
    data = intake_post()
    photo = gps_jpeg()
    bodies: list[str] = []
    barrier = threading.Barrier(2)

    def tap() -> None:
        barrier.wait()
        response = Client().post(
            "/ru/intake/", {**data, "uploads": SimpleUploadedFile("a.jpg", photo)}
        )
        bodies.append(response.content.decode())
        connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1
    assert {reference_from(body) for body in bodies} == {Case.objects.get().reference}
    files = {p.name for p in (Path(settings.MEDIA_ROOT) / "attachments").iterdir()}
    public_id = Attachment.objects.get().public_id
    assert files == {f"{public_id}.original", f"{public_id}.cleaned"}  # cleaned after commit


def test_one_intake_post_without_files_takes_at_most_12_queries(client):
    team = TeamFactory(receives_intake=True)
    coordinator(team)
    data = intake_post()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/ru/intake/", data)
    assert response.status_code == 200 and Case.objects.count() == 1
    assert Notification.objects.count() == 1
    assert len(queries) <= 12, "\n".join(q["sql"][:120] for q in queries)
    # Within _CACHE_SECONDS the next intake reuses the given names, intake team and coordinators
    # it read (services/intake.py): only its 7 inserts, between the test's two savepoint lines.
    with CaptureQueriesContext(connection) as again:
        assert client.post("/ru/intake/", intake_post()).status_code == 200
    assert [q["sql"].split()[0] for q in again] == [
        "SAVEPOINT",
        *["INSERT"] * 7,
        "RELEASE",
    ], "\n".join(q["sql"][:120] for q in again)


def test_clients_are_limited_per_hashed_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (2, 3600)}
    for _ in range(2):
        client.post("/en/intake/", intake_post(), REMOTE_ADDR="198.51.100.7")
    body = client.post("/en/intake/", intake_post(), REMOTE_ADDR="198.51.100.7").content.decode()
    assert "Many forms have been sent" in body and 'value="Загорулько"' in body
    assert Case.objects.count() == 2
    client.post("/en/intake/", intake_post(), REMOTE_ADDR="198.51.100.8")
    assert Case.objects.count() == 3


def test_behind_the_proxy_the_forwarded_address_is_the_client(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "intake": (1, 3600)}
    settings.TRUSTED_PROXY_DEPTH = 1
    proxy = "172.29.213.2"  # in the compose network (TRUSTED_PROXY_NETWORKS)
    client.post("/en/intake/", intake_post(), REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4")
    client.post("/en/intake/", intake_post(), REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="5.6.7.8")
    # A client cannot escape its limit by writing its own X-Forwarded-For entry in front.
    client.post(
        "/en/intake/", intake_post(), REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4"
    )
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "x" * 100_000},
        {"name": "Галина\x00"},
        {"relationship": "king"},
        {"channel": ["signal", "email"]},
        {"channel": "phone", "contact": "call me maybe"},
        {"birth_date": "31.02.2001"},
        {"birth_date": "0000-00-00"},
        {"captured_on": "2025-05-24", "released_on": "2024-01-01"},
        {"wants": ["vvk", "world peace"]},
        {"started": ""},
        {"started": "x" * 5000},
        {"consent": ""},
        {"uploads": "not a file"},
        {"csrfmiddlewaretoken": "nonsense"},
    ],
)
def test_no_input_produces_a_server_error(client, overrides):
    response = client.post("/uk/intake/", intake_post(**overrides))
    assert response.status_code < 500


def test_garbage_bodies_never_produce_a_server_error(client):
    for content_type, body in [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken"),
        ("multipart/form-data", b"no boundary"),
        ("application/x-www-form-urlencoded", b"name=%ZZ&%%%=1&" + bytes(range(256))),
        ("application/json", b'{"name": "x"}'),
    ]:
        response = client.generic("POST", "/ru/intake/", body, content_type=content_type)
        assert response.status_code < 500, content_type


def test_written_down_confirmation_forgets_the_code(client):
    body = client.post("/ru/intake/", intake_post()).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    refused = client.post("/ru/intake/confirm/", {"token": token}).content.decode()
    assert access_code_from(refused)  # not ticked: the code is still shown, with a request
    assert "Отметьте" in refused
    done = client.post("/ru/intake/confirm/", {"token": token, "written_down": "on"})
    assert done.status_code == 200 and "Спасибо" in done.content.decode()
    assert IntakeSubmission.objects.get().access_code == ""


def test_a_reload_after_confirmation_shows_the_reference_but_not_the_code(client):
    data = intake_post()
    body = client.post("/ru/intake/", data).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    client.post("/ru/intake/confirm/", {"token": token, "written_down": "on"})
    reload = client.post("/ru/intake/", data).content.decode()
    assert reference_from(reload) == reference_from(body)
    assert 'id="access-code"' not in reload


def test_a_failed_csrf_check_shows_the_form_again_with_everything_typed():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/intake/", intake_post())
    body = response.content.decode()
    assert response.status_code == 403
    assert "has to be sent once more" in body
    assert 'value="Загорулько"' in body and "Обменян 24 мая" in body
    assert "csrfmiddlewaretoken" in body and not Case.objects.exists()


def test_coordinators_get_a_notice_after_commit_with_reference_and_link_only(
    client, django_capture_on_commit_callbacks
):
    team = TeamFactory(receives_intake=True)
    in_team, elsewhere = coordinator(team), coordinator(TeamFactory())
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post("/ru/intake/", intake_post()).content.decode()
    case = Case.objects.get(reference=reference_from(body))
    notice = Notification.objects.get()
    assert (notice.recipient, notice.state, notice.kind) == (in_team, "sent", "new_intake")
    assert elsewhere.notifications.count() == 0
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    text = email.subject + email.body
    assert case.reference in text and f"/admin/casework/case/{case.pk}/change/" in text
    for secret in ("Галина", "Загорулько", "Матвей", "+7 916", "40417", "осколочные", "ВВК"):
        assert secret not in text


def test_without_coordinators_in_the_team_every_coordinator_hears(
    client, django_capture_on_commit_callbacks
):
    TeamFactory(receives_intake=True)
    first, second = coordinator(TeamFactory()), coordinator()
    coordinator(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ru/intake/", intake_post())
    assert set(Notification.objects.values_list("recipient", flat=True)) == {first.pk, second.pk}
    assert len(mail.outbox) == 2


def test_urgent_risk_and_captivity_raise_the_flags(client):
    client.post("/en/intake/", intake_post(urgent_risk="on", status="captive", injuries=""))
    case = Case.objects.get()
    assert case.suicide_risk and case.in_captivity and case.priority == Case.Priority.URGENT


def test_only_the_first_block_is_required(client):
    minimal = {
        "name": "Мама",
        "relationship": "mother",
        "channel": "none",
        "consent": "on",
        "started": aged_stamp(),
    }
    body = client.post("/ru/intake/", minimal).content.decode()
    assert reference_from(body)
    case = Case.objects.get()
    assert case.serviceman.surname == "" and case.serviceman.status == Serviceman.Status.UNKNOWN
    assert Applicant.objects.get().preferred_channel == "none"


def test_an_iphone_photo_in_heic_is_accepted_and_cleaned_to_jpeg(
    client, django_capture_on_commit_callbacks
):
    import pillow_heif

    pillow_heif.register_heif_opener()
    output = io.BytesIO()
    Image.new("RGB", (24, 16), "blue").save(output, "HEIF")
    photo = SimpleUploadedFile("IMG_0042.HEIC", output.getvalue(), "image/heic")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ru/intake/", intake_post(uploads=photo))
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.state, attachment.cleaned_extension) == (
        "heic",
        "clean",
        "jpg",
    )


def test_the_blank_form_differs_per_visitor_only_in_its_hidden_values(client):
    first = Client().get("/ru/intake/")
    second = Client().get("/ru/intake/")
    pattern = re.compile(r'name="started" value="([^"]+)"')
    stamps = [pattern.search(response.content.decode())[1] for response in (first, second)]
    assert stamps[0] != stamps[1]
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", first.content.decode()) == strip.sub("", second.content.decode())


def test_forms_share_their_fields_but_never_one_visitors_answers_or_errors():
    from casework.portal.forms import IntakeForm

    before = str(IntakeForm())
    refused = IntakeForm({"name": "", "relationship": "mother", "contact": "Галина Петровна"})
    assert not refused.is_valid() and "name" in refused.errors
    shown = str(refused)  # rendering a refused form must not change the shared fields either
    assert 'value="mother" selected' in shown and 'aria-invalid="true"' in shown
    fresh = IntakeForm()
    assert fresh.fields is not refused.fields and fresh.fields["name"] is refused.fields["name"]
    assert str(fresh) == before
    assert "Галина Петровна" not in before and "errorlist" not in before
    assert "aria-invalid" not in before and 'value="mother" selected' not in before


def test_fields_that_django_copies_per_form_are_refused_for_sharing():
    from django import forms

    from casework.models import Team
    from casework.portal.forms import shared_fields

    class TeamChoice(forms.Form):
        team = forms.ModelChoiceField(queryset=Team.objects.all())

    with pytest.raises(TypeError, match="TeamChoice.team"):
        shared_fields(TeamChoice)
    assert type(TeamChoice.base_fields) is dict  # left as Django made it


def test_the_same_man_written_in_twice_shows_as_a_possible_duplicate(client, verified_client):
    team = TeamFactory(name="Intake", receives_intake=True)
    first_body = client.post("/ru/intake/", intake_post()).content.decode()
    # Another relative, another alphabet; the same date of birth.
    second_body = client.post(
        "/en/intake/",
        intake_post(name="Olena", surname="Zagorulko", given_name="Matvii", patronymic="", unit=""),
    ).content.decode()
    first = Case.objects.get(reference=reference_from(first_body))
    second = Case.objects.get(reference=reference_from(second_body))
    assert first.serviceman_id != second.serviceman_id  # intake never links people by itself
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    staff = verified_client(caseworker)
    page = staff.get(reverse("admin:casework_case_change", args=[second.pk])).content.decode()
    start = page.index('id="possible-duplicates"')
    duplicates = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", duplicates[duplicates.index("<tbody>") :], re.S)
    assert len(rows) == 1  # the first man, and nobody else
    assert f"{first.serviceman.reference}</a> Загорулько М.И." in rows[0]
    assert f"{first.reference}</a> (new)" in rows[0]
    assert "<td>17.04.2002</td>" in rows[0]
    assert "<td>surname, given name, date of birth</td>" in rows[0]


@pytest.mark.parametrize("token", ["abc\x00def", "x" * 500, "../../etc", ""])
def test_no_confirmation_token_produces_a_server_error(client, token):
    response = client.post("/ru/intake/confirm/", {"token": token})
    assert response.status_code == 302 and response["Location"] == "/ru/intake/"


def test_switching_language_keeps_everything_typed_and_sends_nothing(client):
    typed = intake_post(started=aged_stamp())
    typed["what_happened"] = "Его вернули в часть <без ВВК>."
    response = client.post(
        "/uk/intake/",
        {**typed, "switch_language": "uk", "uploads": SimpleUploadedFile("a.jpg", gps_jpeg())},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Розкажіть, що сталося" in body
    assert "Его вернули в часть &lt;без ВВК&gt;.</textarea>" in body
    assert f'value="{typed["contact"]}"' in body and 'value="mother" selected' in body
    assert f'name="started" value="{typed["started"]}"' in body  # the form's own start time
    assert "errorlist" not in body and 'aria-invalid="true"' not in body
    assert "no-store" in response["Cache-Control"]
    assert "оберіть їх ще раз" in body  # files have to be chosen again, and the page says so
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_enter_in_a_field_sends_the_form_not_a_language_switch(client):
    body = client.get("/ru/intake/").content.decode()
    form = body[body.index("<form") :]
    first_button = form[form.index("<button") : form.index("</button>")]
    assert "switch_language" not in first_button and "Отправить" in first_button
