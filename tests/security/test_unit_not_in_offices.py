"""Issue 13, item 10: following the UI never puts a personal value in a plain column. The seeded
unit-commander offices asked staff to type the unit number into the (plaintext) office name;
drafts now take the unit from the serviceman (encrypted) and the seeded names ask for nothing."""

from __future__ import annotations

import base64
import importlib
import io

import pytest
from django.apps import apps as django_apps
from docx import Document

from casework.models import AuthorityOffice, GeneratedDocument
from casework.services.filings import filing_create
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def unit_office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


def heading_of(filing) -> str:  # type: ignore[no-untyped-def]
    document = GeneratedDocument.objects.filter(filing=filing).latest("pk")
    assert document.state == GeneratedDocument.State.READY
    paragraphs = Document(io.BytesIO(base64.b64decode(document.content))).paragraphs
    return paragraphs[0].text


def raport(case, kind: str, filing_kind: str):  # type: ignore[no-untyped-def]
    return filing_create(
        case=case, office=unit_office(kind), kind=filing_kind, signer="serviceman", actor=None
    )


def test_no_seeded_office_asks_for_a_unit_number():
    names = set(AuthorityOffice.objects.values_list("name", flat=True))
    assert "Командир войсковой части" in names and "Командир військової частини" in names
    assert not [name for name in names if "номер" in name]
    for kind in AuthorityOffice.OWN_UNIT_KINDS:
        assert not AuthorityOffice.objects.filter(kind=kind, name__contains="(").exists()


def test_a_raport_to_his_commander_names_his_unit_from_his_record(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory(serviceman__unit_number="в/ч 42038")
    with django_capture_on_commit_callbacks(execute=True):
        filing = raport(case, "ru_unit_commander", "vvk_request")
    assert heading_of(filing) == "Командиру войсковой части 42038"  # the dative addressee line
    seeded = unit_office("ru_unit_commander")
    assert (seeded.name, seeded.addressee) == (
        "Командир войсковой части",
        "Командиру войсковой части",
    )


def test_a_ukrainian_raport_names_his_unit_too(django_capture_on_commit_callbacks):
    case = CaseFactory(serviceman__unit_number="військова частина А1234")
    case.serviceman.jurisdiction = "UA"
    case.serviceman.save()
    with django_capture_on_commit_callbacks(execute=True):
        filing = raport(case, "ua_commander", "discharge_raport")
    assert heading_of(filing) == "Командиру військової частини А1234"


def test_with_no_unit_recorded_the_draft_leaves_a_line_to_fill_in(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory(serviceman__unit_number="")
    with django_capture_on_commit_callbacks(execute=True):
        filing = raport(case, "ru_unit_commander", "vvk_request")
    assert heading_of(filing) == "Командиру войсковой части ________________"


def test_an_office_a_coordinator_named_in_full_is_printed_as_it_is(
    django_capture_on_commit_callbacks,
):
    office = AuthorityOffice.objects.create(
        kind="ru_unit_commander", jurisdiction="RU", name="Командир войсковой части 11111"
    )
    case = CaseFactory(serviceman__unit_number="в/ч 42038")
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_create(
            case=case, office=office, kind="vvk_request", signer="serviceman", actor=None
        )
    # No addressee line written for it: the name stands in, as it is.
    assert heading_of(filing) == "Командир войсковой части 11111"


def test_the_migration_renames_only_rows_still_carrying_the_seeded_name():
    seeded = AuthorityOffice.objects.create(
        kind="ru_unit_commander", jurisdiction="RU", name="Командир войсковой части (указать номер)"
    )
    seeded_ua = AuthorityOffice.objects.create(
        kind="ua_commander", jurisdiction="UA", name="Командир військової частини (вказати)"
    )
    edited = AuthorityOffice.objects.create(
        kind="ru_unit_commander", jurisdiction="RU", name="Командир войсковой части 55555"
    )
    other = AuthorityOffice.objects.create(
        kind="ru_prosecutor_garrison", jurisdiction="RU", name="Военная прокуратура (указать)"
    )

    rename = importlib.import_module("casework.migrations.0026_unit_offices_ask_for_no_number")
    rename.forwards(django_apps, None)

    names = dict(
        AuthorityOffice.objects.filter(
            pk__in=[seeded.pk, seeded_ua.pk, edited.pk, other.pk]
        ).values_list("pk", "name")
    )
    assert names == {
        seeded.pk: "Командир войсковой части",
        seeded_ua.pk: "Командир військової частини",
        edited.pk: "Командир войсковой части 55555",
        other.pk: "Военная прокуратура (указать)",
    }
