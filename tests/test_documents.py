"""Document drafts: templates as lawyer-editable data, drafts made by a task from the case's
facts, a .docx without metadata, encrypted at rest, downloaded by staff who may see the case."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from docx import Document

from casework import crypto
from casework.drafting import FACTS, PARTS, template_check
from casework.exceptions import RuleError
from casework.models import (
    AuditEvent,
    AuthorityOffice,
    DocumentTemplate,
    Exchange,
    Filing,
    GeneratedDocument,
)
from casework.roles import Role
from casework.rules.document_seed import TEMPLATES
from casework.selectors import template_for
from casework.services.documents import (
    MAX_ATTEMPTS,
    document_generate,
    document_request,
    documents_requeue_stale,
    template_save,
)
from casework.services.filings import (
    filing_create,
    filing_discard,
    filing_escalate,
    filing_mark_sent,
    filing_record_response,
)
from tests.conftest import wait_for
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


def new_filing(case, kind="complaint", office_kind="ru_prosecutor_garrison", signer="family"):  # type: ignore[no-untyped-def]
    return filing_create(
        case=case, office=office(office_kind), kind=kind, signer=signer, actor=None
    )


def text_of(document: GeneratedDocument) -> str:
    docx = Document(io.BytesIO(base64.b64decode(document.content)))
    return "\n".join(paragraph.text for paragraph in docx.paragraphs)


def made(filing: Filing, captured) -> GeneratedDocument:  # type: ignore[no-untyped-def]
    """The filing's newest draft once the after-commit task has run (eager Celery)."""
    for callback in captured:
        callback()
    return GeneratedDocument.objects.filter(filing=filing).order_by("pk").last()


def test_every_seeded_template_renders_and_is_marked_unverified():
    seeded = DocumentTemplate.objects.filter(code__in=[row["code"] for row in TEMPLATES])
    assert seeded.count() == len(TEMPLATES) == 17
    for template in seeded:
        assert template.version == 1 and template.verification == "unverified"
        assert template_check({part: getattr(template, part) for part in PARTS}) == {}, template


@pytest.mark.parametrize(
    ("kind", "office_kind", "signer", "code"),
    [
        ("complaint", "ru_prosecutor_garrison", "family", "ru-complaint-prosecutor"),
        ("complaint", "ru_prosecutor_main", "family", "ru-complaint-prosecutor"),
        ("complaint", "ru_mod", "family", "ru-appeal-command"),
        ("vvk_request", "ru_unit_commander", "serviceman", "ru-raport-vvk"),
        ("repeat_complaint", "ru_health_authority", "family", "ru-repeat-complaint"),
        ("records_request", "ru_health_authority", "family", "ru-records-request"),
        ("discharge_raport", "ua_commander", "serviceman", "ua-raport-discharge"),
        ("raport", "ua_commander", "serviceman", "ua-raport-leave"),
        ("complaint", "ua_mod_rights", "family", "ua-appeal"),
        ("raport", "ru_unit_commander", "serviceman", "ru-raport-leave"),
        ("raport", "ru_higher_commander", "serviceman", "ru-raport-higher"),
        ("repeat_complaint", "ru_prosecutor_garrison", "family", "ru-repeat-complaint-prosecutor"),
        ("discharge_raport", "ru_unit_commander", "serviceman", "ru-raport-discharge"),
        ("appeal", "ru_vvk", "serviceman", "ru-appeal-vvk-higher"),
        ("appeal", "ru_independent_vve", "serviceman", "ru-vve-independent"),
        ("court_claim", "ru_military_court", "serviceman", "ru-court-claim"),
        ("vvk_request", "ua_commander", "serviceman", "ua-raport-vlk"),
        ("complaint", "ua_military_ombudsman", "family", "ua-complaint-military-ombudsman"),
        ("complaint", "ua_ombudsman", "family", "ua-appeal"),
        # No template rather than the wrong one: the family text never speaks for the serviceman.
        ("complaint", "ru_prosecutor_garrison", "serviceman", None),
        ("complaint", "ua_military_ombudsman", "serviceman", None),
        ("complaint", "ru_ombudsman", "family", None),
    ],
)
def test_each_filing_gets_the_template_for_its_kind_office_and_signer(
    kind, office_kind, signer, code
):
    filing = Filing(kind=kind, office=office(office_kind), signer=signer)
    template = template_for(filing)
    assert (template.code if template else None) == code


def test_a_template_naming_the_office_kind_wins_and_the_newest_version_is_used():
    filing = Filing(kind="records_request", office=office("ru_health_authority"), signer="family")
    specific = DocumentTemplate.objects.get(code="ru-records-request")
    specific.pk, specific.code, specific.office_kinds = (
        None,
        "ru-health-own",
        ["ru_health_authority"],
    )
    specific.save()
    assert template_for(filing) == specific
    specific.title = "ЗАЯВЛЕНИЕ (уточнено)"
    unused = template_save(template=specific, actor=None, changed=["title"])
    assert (unused.pk, unused.version) == (specific.pk, 1)  # nothing made from it: in place
    GeneratedDocument.objects.create(filing=new_filing(CaseFactory()), template=specific)
    specific.title = "ЗАЯВЛЕНИЕ (новая редакция)"
    newer = template_save(template=specific, actor=None, changed=["title"])
    assert (newer.code, newer.version) == ("ru-health-own", 2)
    assert DocumentTemplate.objects.get(code="ru-health-own", version=1).title == (
        "ЗАЯВЛЕНИЕ (уточнено)"
    )
    assert template_for(filing) == newer
    newer.is_active = False
    retired = template_save(template=newer, actor=None, changed=["is_active"])
    assert retired.version == 2  # nothing made from version 2: retired in place
    assert template_for(filing).code == "ru-records-request"  # the generic one again
    old = DocumentTemplate.objects.get(code="ru-health-own", version=1)
    old.title = "Правка старой версии"
    with pytest.raises(RuleError):
        template_save(template=old, actor=None, changed=["title"])
    assert DocumentTemplate.objects.get(code="ru-health-own", version=1).title == (
        "ЗАЯВЛЕНИЕ (уточнено)"
    )


def test_a_changed_text_is_no_longer_verified_unless_the_lawyer_says_so():
    template = DocumentTemplate.objects.get(code="ru-appeal-command")
    template.verification = "verified"
    template.save()
    template.body += "\n\nДополнение."
    saved = template_save(template=template, actor=None, changed=["body"])
    assert saved.verification == "unverified"
    saved.verification, saved.title = "verified", "ОБРАЩЕНИЕ"
    assert template_save(
        template=saved, actor=None, changed=["verification", "title"]
    ).verification == ("verified")
    saved.is_active = True
    assert template_save(template=saved, actor=None, changed=["is_active"]).verification == (
        "verified"
    )


def test_a_draft_filing_gets_its_document_with_the_cases_facts(django_capture_on_commit_callbacks):
    case = CaseFactory(summary="Он говорит, что лучше сядет, чем вернётся.")
    serviceman = case.serviceman
    serviceman.rank, serviceman.captured_on = "рядовой", date(2024, 2, 10)
    serviceman.released_on, serviceman.health_summary = date(2025, 5, 24), "Тяжёлая депрессия"
    serviceman.exchange = Exchange.objects.create(happened_on=date(2025, 5, 24))
    serviceman.current_location = "Макеевка"
    serviceman.save()
    case.applicant.address = "г. Тверь, ул. Садовая, 1"
    case.applicant.save()
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(case)
    document = made(filing, captured)
    assert document.state == "ready" and document.template.code == "ru-complaint-prosecutor"
    text = text_of(document)
    name = f"{serviceman.surname} {serviceman.given_name} Игоревич"
    assert "— член семьи военнослужащего (мать)." in text
    assert f"Сведения о военнослужащем: {name}, 17.04.2001 г. р., воинское звание: рядовой" in text
    assert "10.02.2024 — попал в плен." in text
    assert "24.05.2025 — освобождён из плена в ходе обмена 24.05.2025." in text
    assert "статье 117 Конвенции об обращении с военнопленными" in text  # he came back
    assert "Адрес: г. Тверь, ул. Садовая, 1" in text
    # To the official in the dative, from the applicant by legal name (none given: a line).
    assert text.startswith("Военному прокурору ________________ гарнизона\nЗаявитель: ____")
    assert "Кому" not in text
    assert "от 17.01.1992 № 2202-1 «О прокуратуре Российской Федерации»" in text
    assert "внести представление об устранении нарушений закона" in text
    assert "Обеспечить" not in text
    assert "5.59" not in text  # no earlier appeal went unanswered
    assert "Эл. почта" not in text  # left out where the template says so, not a blank
    assert "Считаю, что нарушены права военнослужащего:\n____" in text  # the caseworker's words
    # The family's own words never go into a document addressed to the state.
    for private in ("лучше сядет", "депрессия", "Макеевка"):
        assert private not in text
    assert timezone.localdate().strftime("%d.%m.%Y") in text
    data = base64.b64decode(document.content)
    assert crypto.content_digest_matches(data, document.digest)
    audit = AuditEvent.objects.get(object_type="generateddocument")
    assert audit.detail == {"filing": filing.reference, "template": "ru-complaint-prosecutor v1"}
    assert audit.object_reference == case.reference


def test_a_family_document_is_signed_with_the_legal_name_never_the_nickname(
    django_capture_on_commit_callbacks,
):
    texts = {}
    for legal_name in ("", "Кузнецова Ольга Петровна"):
        case = CaseFactory(applicant__name="Ольга Петровна", applicant__legal_name=legal_name)
        with django_capture_on_commit_callbacks() as captured:
            filing = new_filing(case)
        texts[legal_name] = text_of(made(filing, captured))
    blank, named = texts[""], texts["Кузнецова Ольга Петровна"]
    assert "Ольга Петровна" not in blank  # the "how should we address you" name
    assert "Я, ________________, — член семьи" in blank
    assert blank.rstrip().endswith("________________ / ________________")
    assert "Я, Кузнецова Ольга Петровна, — член семьи" in named
    assert named.rstrip().endswith("________________ / Кузнецова Ольга Петровна")


def test_a_draft_names_kinship_in_a_documents_words_or_not_at_all(
    django_capture_on_commit_callbacks,
):
    texts = {}
    for relationship in ("wife", "other", "self"):
        case = CaseFactory(applicant__relationship=relationship)
        with django_capture_on_commit_callbacks() as captured:
            filing = new_filing(case, office_kind="ru_mod")
        texts[relationship] = text_of(made(filing, captured))
    assert "член семьи военнослужащего (супруга)." in texts["wife"]
    assert "член семьи военнослужащего." in texts["other"]
    assert "член семьи военнослужащего." in texts["self"]
    assert "друг" not in texts["other"] and "сам" not in texts["self"]


def test_a_control_character_pasted_into_a_fact_does_not_break_the_draft(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory()
    case.serviceman.rank = "рядовой\x08\x1b"
    case.serviceman.save()
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(case, kind="vvk_request", office_kind="ru_unit_commander",
                            signer="serviceman")  # fmt: skip
    document = made(filing, captured)
    text = text_of(document)
    surname = case.serviceman.surname
    assert document.state == "ready" and f"\nрядовой {surname} " in text
    # The рапорт's form: his commander in the dative with the unit from his record; signed
    # "рядовой (подпись) И.О. Фамилия".
    unit = case.serviceman.unit_number.removeprefix("в/ч ").strip()
    assert text.startswith(f"Командиру войсковой части {unit}\n")
    initials = f"{case.serviceman.given_name[0]}.{case.serviceman.patronymic[0]}."
    assert text.endswith(f"(подпись) {initials} {surname}")


def test_the_docx_carries_no_names_or_dates_in_its_properties(django_capture_on_commit_callbacks):
    case = CaseFactory()
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(case, kind="vvk_request", office_kind="ru_unit_commander",
                            signer="serviceman")  # fmt: skip
    data = base64.b64decode(made(filing, captured).content)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        core = package.read("docProps/core.xml").decode()
        everything = b"".join(package.read(name) for name in package.namelist())
        # No part says when or by which program it was made, and no picture of the page.
        assert {item.date_time for item in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in package.namelist()
        assert b"thumbnail" not in package.read("_rels/.rels")
        assert b"Microsoft" not in package.read("docProps/app.xml")
    assert "python-docx" not in core and "<dc:creator></dc:creator>" in core.replace(
        "<dc:creator/>", "<dc:creator></dc:creator>"
    )
    assert "2000-01-01T00:00:00Z" in core and str(timezone.now().year) not in core
    assert b"python-docx" not in everything
    properties = Document(io.BytesIO(data)).core_properties
    assert (properties.author, properties.last_modified_by, properties.title) == ("", "", "")


def test_a_repeat_complaint_cites_the_earlier_filing(django_capture_on_commit_callbacks):
    case = CaseFactory()
    earlier = new_filing(case, office_kind="ru_mod", kind="complaint")
    earlier = filing_mark_sent(
        filing=earlier,
        actor=None,
        sent_on=date(2026, 9, 1),
        method="registered_mail",
        tracking_number="80081234567890",
        proof_to_follow="the receipt is with the mother",
        received_on=date(2026, 9, 3),
    )
    with django_capture_on_commit_callbacks() as captured:
        repeat = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="repeat_complaint",
            signer="family",
            actor=None,
            escalates=earlier,
        )
    text = text_of(made(repeat, captured))
    assert (
        "01.09.2026 мною было направлено обращение (адресат: Министерство обороны Российской "
        "Федерации; входящий № " in text
    )
    # Only the prosecutor opens a КоАП 5.59 case, and only a prosecutor is asked to.
    assert "Возбудить дело об административном правонарушении по статье 5.59" in text
    assert "почтовый идентификатор 80081234567890" in text
    assert "Тридцатидневный" not in text  # the term may have been extended


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ("{{ serviceman.surname }} {% if %}", "TemplateSyntaxError"),
        ("{{ serviceman.surname }} {% include serviceman.surname %}", "TemplateSyntaxError"),
        (  # a loop gone wild: far longer than any document
            "{% for a in serviceman.full_name %}{% for b in serviceman.full_name %}"
            "{% for c in serviceman.full_name %}{{ serviceman.full_name }}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "too_long",
        ),
    ],
)
def test_a_template_that_fails_marks_the_draft_failed_without_quoting_the_case(body, cause):
    case = CaseFactory()
    filing = new_filing(case)
    template = DocumentTemplate.objects.get(code="ru-complaint-prosecutor")
    DocumentTemplate.objects.filter(pk=template.pk).update(body=body)  # as if edited badly
    document = GeneratedDocument.objects.get(filing=filing)
    document = document_generate(document_id=document.pk)
    assert (document.state, document.failure, document.content) == ("failed", f"body: {cause}", "")
    assert document_generate(document_id=document.pk) is None  # failed rows are left alone


def test_making_a_draft_again_changes_nothing_and_the_sweep_requeues_lost_ones():
    first = new_filing(CaseFactory())
    document = document_generate(document_id=GeneratedDocument.objects.get(filing=first).pk)
    ready_at, content = document.ready_at, document.content
    assert document_generate(document_id=document.pk) is None
    document.refresh_from_db()
    assert (document.ready_at, document.content) == (ready_at, content)
    lost, hopeless = new_filing(CaseFactory()), new_filing(CaseFactory())
    GeneratedDocument.objects.update(created_at=timezone.now() - timedelta(hours=1))
    GeneratedDocument.objects.filter(filing=hopeless).update(attempts=MAX_ATTEMPTS)
    young = new_filing(CaseFactory())  # may still be in the broker: left alone
    assert documents_requeue_stale() == 1  # eager Celery: made at once
    assert GeneratedDocument.objects.get(filing=young).state == "pending"
    assert GeneratedDocument.objects.get(filing=lost).state == "ready"
    gave_up = GeneratedDocument.objects.get(filing=hopeless)
    assert (gave_up.state, gave_up.failure) == ("failed", "gave_up")


def test_asking_twice_with_one_form_makes_one_draft_and_no_template_makes_none():
    filing = new_filing(CaseFactory())
    before = GeneratedDocument.objects.count()
    first = document_request(filing=filing, actor=None, token="tok-1")
    again = document_request(filing=filing, actor=None, token="tok-1")
    assert first == again and GeneratedDocument.objects.count() == before + 1
    ombudsman = new_filing(CaseFactory(), office_kind="ru_ombudsman")  # no template yet
    events = AuditEvent.objects.count()
    with pytest.raises(RuleError):
        document_request(filing=ombudsman, actor=None, token="tok-2")
    assert not GeneratedDocument.objects.filter(filing=ombudsman).exists()
    assert AuditEvent.objects.count() == events


def test_escalation_drafts_get_their_documents_and_say_what_came_back(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory()
    refused = new_filing(case, office_kind="ru_prosecutor_garrison")
    refused = filing_mark_sent(
        filing=refused, actor=None, sent_on=date(2026, 9, 1), method="e_reception",
        received_on=date(2026, 9, 1),
    )  # fmt: skip
    refused = filing_record_response(
        filing=refused, actor=None, answered_on=date(2026, 9, 20), outcome="refused"
    )
    with django_capture_on_commit_callbacks() as captured:
        drafts = filing_escalate(filing=refused, actor=None)
    for callback in captured:
        callback()
    [draft] = drafts  # the district military prosecutor, ladder A
    document = GeneratedDocument.objects.get(filing=draft)
    assert document.state == "ready" and document.template.code == "ru-complaint-prosecutor"
    text = text_of(document)
    assert "адресат: Военная прокуратура гарнизона (указать)" in text
    assert "20.09.2026 получен ответ: отказано." in text and "ответ не получен" not in text


def test_discarding_a_draft_filing_erases_its_drafts(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(CaseFactory())
    made(filing, captured)
    filing_discard(filing=filing, actor=None)
    assert not GeneratedDocument.objects.exists()


def test_the_stored_draft_is_encrypted(django_capture_on_commit_callbacks):
    case = CaseFactory()
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(case)
    document = made(filing, captured)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT content FROM casework_generateddocument WHERE id = %s", [document.pk]
        )
        (stored,) = cursor.fetchone()
    assert document.content not in stored and not stored.startswith("UEsDB")  # not a zip
    assert case.serviceman.surname not in stored


# --- The admin ----------------------------------------------------------------------------------


def test_the_filing_page_offers_the_draft_and_staff_download_it_audited(
    django_capture_on_commit_callbacks, verified_client
):
    team = TeamFactory()
    caseworker = UserFactory(role=Role.CASEWORKER, teams=[team])
    case = CaseFactory(team=team)
    with django_capture_on_commit_callbacks() as captured:
        filing = new_filing(case)
    document = made(filing, captured)
    client = verified_client(caseworker, language="ru")
    page = client.get(f"/admin/casework/filing/{filing.pk}/change/").content.decode()
    assert f'href="/admin/documents/{document.pk}/download/"' in page
    assert "unverified" in page and "Жалоба военному прокурору" in page
    response = client.get(f"/admin/documents/{document.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="{filing.reference}-draft-{document.pk}.docx"'
    )
    assert "no-store" in response["Cache-Control"]
    assert crypto.content_digest_matches(response.content, document.digest)
    download = AuditEvent.objects.get(action="download")
    assert download.actor == caseworker and download.object_reference == case.reference
    # Another team's caseworker: exactly as if there were no such document; nothing audited.
    outsider = verified_client(
        UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()]), language="ru"
    )
    assert outsider.get(f"/admin/documents/{document.pk}/download/").status_code == 404
    # Signed in without the second factor: sent to sign in, nothing served or audited.
    half = Client()
    half.force_login(caseworker)
    response = half.get(f"/admin/documents/{document.pk}/download/")
    assert response.status_code == 302 and "login" in response["Location"]
    # A draft still being made answers so, and nothing is audited either.
    pending = GeneratedDocument.objects.create(filing=filing, template=document.template)
    response = client.get(f"/admin/documents/{pending.pk}/download/")
    assert response.status_code == 409 and "не готов" in response.content.decode()
    assert AuditEvent.objects.filter(action="download").count() == 1


def test_preparing_again_from_the_filing_page_makes_one_more_draft(
    django_capture_on_commit_callbacks, verified_client
):
    coordinator = UserFactory(role=Role.COORDINATOR)
    filing = new_filing(CaseFactory())
    client = verified_client(coordinator, language="ru")
    page = client.get(f"/admin/casework/filing/{filing.pk}/change/").content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    url = f"/admin/casework/filing/{filing.pk}/do/document/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"token": token})
        client.post(url, {"token": token})  # a double click
    assert response.status_code == 302
    drafts = GeneratedDocument.objects.filter(filing=filing).order_by("pk")
    assert [d.state for d in drafts] == ["pending", "ready"]  # the first from filing_create
    assert drafts.last().requested_by == coordinator


def test_a_coordinator_edit_is_checked_and_a_used_template_gets_a_new_version(verified_client):
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = verified_client(coordinator, language="ru")
    template = DocumentTemplate.objects.get(code="ru-appeal-command")
    url = f"/admin/casework/documenttemplate/{template.pk}/change/"
    form = {
        "code": template.code,
        "name": template.name,
        "jurisdiction": "RU",
        "filing_kinds": template.filing_kinds,
        "office_kinds": template.office_kinds,
        "signers": template.signers,
        "heading": template.heading,
        "title": template.title,
        "body": "Я, {{ servicemen.full_name }}, прошу {% if %}",
        "signature": "{{ today.date }}",
        "verification": "unverified",
        "source": template.source,
        "is_active": "on",
    }
    page = client.post(url, form).content.decode()  # the admin speaks Russian by default
    assert "Эту часть нельзя использовать: Unexpected end of expression" in page
    form["body"] = "Я, {{ servicemen.full_name }}, прошу."
    page = client.post(url, form).content.decode()
    assert "Такого имени нет среди доступных шаблону: servicemen.full_name" in page
    # A misspelt name in an {% if %} would just be false and drop a paragraph without a word.
    form["body"] = "{% if serviceman.captured_on or earlier.sent_onn %}Был в плену.{% endif %}"
    page = client.post(url, form).content.decode()
    assert "Такого имени нет среди доступных шаблону: earlier.sent_onn" in page
    template.refresh_from_db()
    assert template.body != form["body"] and template.version == 1
    GeneratedDocument.objects.create(filing=new_filing(CaseFactory()), template=template)
    form["body"] = "Я, {{ applicant.full_name }}, прошу направить сына на ВВК."
    response = client.post(url, {**form, "_continue": "1"})
    versions = DocumentTemplate.objects.filter(code="ru-appeal-command").order_by("version")
    assert [(t.version, t.body == form["body"]) for t in versions] == [(1, False), (2, True)]
    newest = versions.last()
    assert newest.created_by == coordinator
    # "Save and continue" goes on with the new version, not the old one's page.
    assert response["Location"] == f"/admin/casework/documenttemplate/{newest.pk}/change/"
    # The old version is the record of what earlier drafts were made from: read-only.
    form["body"] = "Правка старой версии"
    assert client.post(url, form).status_code == 403
    caseworker = verified_client(
        UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()]), language="ru"
    )
    new_url = f"/admin/casework/documenttemplate/{newest.pk}/change/"
    assert caseworker.post(new_url, form).status_code == 403
    assert DocumentTemplate.objects.filter(code="ru-appeal-command").count() == 2
    assert DocumentTemplate.objects.get(pk=template.pk).body == template.body
    # A new template cannot take a code in use (a version is made by editing, not by code).
    page = client.post("/admin/casework/documenttemplate/add/", form).content.decode()
    assert "Этот код уже есть у другого шаблона" in page
    assert DocumentTemplate.objects.filter(code="ru-appeal-command").count() == 2


@pytest.mark.integration
def test_a_draft_is_made_by_the_real_worker(celery_worker):
    from django.db import transaction

    case = CaseFactory()
    with transaction.atomic():
        filing = new_filing(case, kind="vvk_request", office_kind="ru_unit_commander",
                            signer="serviceman")  # fmt: skip
    assert wait_for(
        lambda: GeneratedDocument.objects.filter(filing=filing, state="ready").exists(), 60
    )
    document = GeneratedDocument.objects.get(filing=filing)
    assert "РАПОРТ" in text_of(document) and "военно-врачебную комиссию" in text_of(document)


def test_the_facts_a_template_may_use_are_listed_for_the_lawyer(verified_client):
    client = verified_client(UserFactory(role=Role.COORDINATOR), language="ru")
    page = client.get("/admin/casework/documenttemplate/add/").content.decode()
    for group, names in FACTS.items():
        for name in names:
            assert f"<code>{{{{ {group}.{name} }}}}</code>" in page


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{% url "admin:index" %}', "'url'"),  # would print our admin's address to the state
        ("{% lorem 100000 %}", "'lorem'"),  # megabytes of text
        ('{{ serviceman.rank|ljust:"2000000000" }}', "'ljust'"),
        ("{% firstof applicant.emial serviceman.rank %}", "applicant.emial"),
        ('{{ earlier.tracking_number|divisibleby:"2" }}', "'divisibleby'"),
    ],
)
def test_a_template_can_only_print_and_test_the_facts(body, problem):
    parts = {"heading": "{{ office.name }}", "title": "T", "body": body, "signature": "s"}
    assert problem in template_check(parts)["body"]


def test_names_a_template_gives_itself_are_fine_and_control_characters_never_break_a_draft():
    parts = {
        "heading": "{% with phone=applicant.phone %}Тел.: {{ phone|default:'—' }}{% endwith %}",
        "title": "ЖАЛОБА\x01",
        "body": "{% for part in serviceman.full_name %}{{ part }}{% endfor %}",
        "signature": "{{ today.date }}",
    }
    assert template_check(parts) == {}


def _repeat_after(case, earlier_kind: str, repeat_kind: str, captured_on_commit) -> str:  # type: ignore[no-untyped-def]
    earlier = filing_mark_sent(
        filing=new_filing(case, office_kind=earlier_kind),
        actor=None,
        sent_on=date(2026, 9, 1),
        method="registered_mail",
        tracking_number="80081234567890",
        proof_to_follow="the receipt is with the mother",
        received_on=date(2026, 9, 3),
    )
    with captured_on_commit() as captured:
        repeat = filing_create(
            case=case,
            office=office(repeat_kind),
            kind="repeat_complaint",
            signer="family",
            actor=None,
            escalates=earlier,
        )
    return text_of(made(repeat, captured))


def test_a_repeat_complaint_never_asks_the_silent_body_to_punish_itself(
    django_capture_on_commit_callbacks,
):
    same = _repeat_after(CaseFactory(), "ru_mod", "ru_mod", django_capture_on_commit_callbacks)
    assert same.startswith("Министру обороны Российской Федерации\n")
    assert "1. Рассмотреть обращение по существу и дать письменный ответ." in same
    assert "дисциплинарной" not in same and "5.59" not in same
    higher = _repeat_after(
        CaseFactory(), "ru_higher_commander", "ru_mod", django_capture_on_commit_callbacks
    )
    assert (
        "2. Рассмотреть вопрос о привлечении к дисциплинарной ответственности должностных лиц "
        "(Вышестоящий командир (указать))" in higher
    )
    assert "5.59" not in higher


def test_a_prosecutor_is_asked_for_a_5_59_case_only_after_an_unanswered_appeal(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory()
    earlier = filing_mark_sent(
        filing=new_filing(case, office_kind="ru_mod"),
        actor=None,
        sent_on=date(2026, 9, 1),
        method="registered_mail",
        tracking_number="80081234567890",
        proof_to_follow="the receipt is with the mother",
        received_on=date(2026, 9, 3),
    )
    with django_capture_on_commit_callbacks() as captured:
        complaint = filing_create(
            case=case,
            office=office("ru_prosecutor_garrison"),
            kind="complaint",
            signer="family",
            actor=None,
            escalates=earlier,
        )
    text = text_of(made(complaint, captured))
    assert "3. Возбудить дело об административном правонарушении по статье 5.59" in text
    assert "4. О результатах рассмотрения сообщить мне" in text


def test_the_mod_appeal_and_records_request_state_their_basis(django_capture_on_commit_callbacks):
    case = CaseFactory()
    case.serviceman.released_on = date(2025, 5, 24)
    case.serviceman.save()
    with django_capture_on_commit_callbacks() as captured:
        appeal = new_filing(case, office_kind="ru_mod")
    text = text_of(made(appeal, captured))
    assert "от 04.07.2013 № 565" in text and "21.09.2022 № 647" in text
    assert "статья 51 Федерального закона от 28.03.1998 № 53-ФЗ" in text
    assert "статьи 110 и 117 Конвенции" in text
    with django_capture_on_commit_callbacks() as captured:
        records = new_filing(case, kind="records_request", office_kind="ru_health_authority")
    text = text_of(made(records, captured))
    assert text.startswith("Главному врачу ________________\n")
    assert "частью 5 статьи 22 Федерального закона от 21.11.2011 № 323-ФЗ" in text
    assert "1. Доверенность военнослужащего" in text and "согласие" not in text


def test_ukrainian_rapports_cite_their_grounds_and_sign_in_dstu_form(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory(serviceman__jurisdiction="UA", serviceman__unit_number="А1234")
    texts = {}
    for kind in ("raport", "discharge_raport"):
        with django_capture_on_commit_callbacks() as captured:
            filing = new_filing(case, kind=kind, office_kind="ua_commander", signer="serviceman")
        texts[kind] = text_of(made(filing, captured))
    surname = case.serviceman.surname.upper()
    for text in texts.values():
        assert text.startswith("Командиру військової частини А1234\n")
        assert text.endswith(f"{case.serviceman.given_name} {surname}")
    assert "пункту 23 статті 10 Закону України «Про соціальний і правовий захист" in texts["raport"]
    discharge = texts["discharge_raport"]
    assert "підпункту «д» пункту 2 частини четвертої статті 26" in discharge
    assert "Продовжувати військову службу не бажаю." in discharge


def test_seeded_offices_carry_their_addressee_and_an_edited_row_keeps_its_own():
    from django.apps import apps

    from casework.rules.seed import ADDRESSEES, OFFICES, seed_office_addressees

    for key, kind, jurisdiction, name, _parent, _zone in OFFICES:
        row = AuthorityOffice.objects.get(kind=kind, jurisdiction=jurisdiction, name=name)
        assert row.addressee == ADDRESSEES[key]
    renamed = office("ru_mod")
    renamed.name, renamed.addressee = "Минобороны России", ""
    renamed.save()
    garrison = office("ru_prosecutor_garrison")
    garrison.addressee = "Военному прокурору 000 гарнизона"
    garrison.save()
    seed_office_addressees(apps)
    renamed.refresh_from_db(), garrison.refresh_from_db()
    assert (renamed.addressee, garrison.addressee) == ("", "Военному прокурору 000 гарнизона")


def test_a_seeded_template_gets_its_correction_as_a_new_version_unless_edited(monkeypatch):
    from django.apps import apps

    from casework.rules import document_seed

    kept = DocumentTemplate.objects.get(code="ru-appeal-command")
    edited = DocumentTemplate.objects.get(code="ru-records-request")
    for template in (kept, edited):  # as if each still were the first text seeded
        digest = document_seed.parts_digest({part: getattr(template, part) for part in PARTS})
        monkeypatch.setitem(document_seed.SEEDED_V1_DIGESTS, template.code, digest)
    edited.body += "\nПравка юриста."
    edited.save()
    document_seed.revise_seeded_templates(apps)
    versions = DocumentTemplate.objects.filter(code="ru-appeal-command").order_by("version")
    assert [(t.version, t.verification) for t in versions] == [(1, "unverified")] * 1 + [
        (2, "unverified")
    ]
    assert versions[0].body == kept.body  # the used version never changes
    assert list(
        DocumentTemplate.objects.filter(code="ru-records-request").values_list("version", "body")
    ) == [(1, edited.body)]
    # The collective complaint templates (migration 0035) are seeded apart from these.
    filing_templates = DocumentTemplate.objects.exclude(code__startswith="collective-complaint")
    assert filing_templates.count() == len(TEMPLATES) + 1
