"""Issue 17: exports of cases for coordinators: chosen columns, audited, formulas neutralised,
personal columns only when ticked and only in a password-protected file."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from casework.models import AuditEvent, Case
from casework.roles import Role
from casework.selectors.exports import COLUMN_BY_KEY
from casework.spreadsheets import spreadsheet_safe
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_coordinator_exports_the_chosen_columns_and_it_is_audited(verified_client):  # type: ignore[no-untyped-def]
    first = CaseFactory(serviceman__surname="Ознобишин", team__name="Север")
    second = CaseFactory(team__name="Юг")
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = verified_client(coordinator, language="ru")
    before = AuditEvent.objects.count()
    response = client.post("/admin/export/", {"columns": ["reference", "team", "status"]})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    with translation.override("ru"):
        header = [str(COLUMN_BY_KEY[key].label) for key in ("reference", "team", "status")]
        new = str(Case.Status.NEW.label)
    assert header[2] != "status"  # in the reader's language
    assert _rows(response) == [
        header,
        [first.reference, "Север", new],
        [second.reference, "Юг", new],
    ]
    assert "Ознобишин" not in response.content.decode("utf-8-sig")
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_type, e.object_reference) for e in events] == [
        ("export", "case", "export")
    ]
    assert events[0].detail == {
        "columns": ["reference", "team", "status"],
        "count": 2,
        "personal": False,
    }
    assert events[0].actor == coordinator


def test_cells_that_a_spreadsheet_would_run_are_quoted(verified_client):  # type: ignore[no-untyped-def]
    for name in ('=HYPERLINK("http://x")', "+7 916", "-1", "@SUM(A1)"):
        CaseFactory(team__name=name)
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    response = client.post("/admin/export/", {"columns": ["team"]})
    teams = sorted(row[0] for row in _rows(response)[1:])
    assert teams == ["'+7 916", "'-1", '\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    assert spreadsheet_safe("Ростов") == "Ростов" and spreadsheet_safe("\tx") == "'\tx"


def test_a_caseworker_is_refused_and_nothing_is_produced(verified_client, caseworker, team):  # type: ignore[no-untyped-def]
    CaseFactory(team=team)
    client = verified_client(caseworker)
    before = AuditEvent.objects.count()
    assert client.get("/admin/export/").status_code == 403
    response = client.post("/admin/export/", {"columns": ["reference"]})
    assert response.status_code == 403
    assert "text/csv" not in response["Content-Type"]
    assert AuditEvent.objects.count() == before


def test_personal_columns_need_the_explicit_tick(verified_client):  # type: ignore[no-untyped-def]
    CaseFactory(serviceman__surname="Ознобишин")
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin/export/", {"columns": ["reference"], "personal_columns": ["surname"]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Personal columns are exported only when you tick that you want them." in page
    assert "Ознобишин" not in page
    assert AuditEvent.objects.count() == before


def test_ticked_personal_columns_leave_only_encrypted_with_a_password_shown_once(
    verified_client,
):  # type: ignore[no-untyped-def]
    import base64

    import openpyxl
    from msoffcrypto.format.ooxml import OOXMLFile

    case = CaseFactory(serviceman__surname="=Ознобишин", applicant__phone="+7 916 555 0101")
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin/export/",
        {
            "columns": ["reference"],
            "personal_columns": ["surname", "applicant_phone"],
            "include_personal": "on",
        },
    )
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Ознобишин" not in page and "555 0101" not in page  # never in plain
    password = response.context["export"].password
    assert len(password) >= 16 and f"<code>{password}</code>" in page
    link = response.context["data_url"]
    assert f'href="{link}"' in page
    encrypted = base64.b64decode(link.partition("base64,")[2])
    assert encrypted.startswith(bytes.fromhex("d0cf11e0a1b11ae1"))  # an encrypted OOXML package
    decrypted = io.BytesIO()
    office = OOXMLFile(io.BytesIO(encrypted))
    office.load_key(password=password)
    office.decrypt(decrypted)
    sheet = openpyxl.load_workbook(decrypted).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1] == [case.reference, "'=Ознобишин", "'+7 916 555 0101"]
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.detail) for e in events] == [
        (
            "export",
            {"columns": ["reference", "surname", "applicant_phone"], "count": 1, "personal": True},
        )
    ]
    # A second export makes a new password: none is kept to be shown again.
    again = client.post(
        "/admin/export/",
        {"columns": ["reference"], "personal_columns": ["surname"], "include_personal": "on"},
    )
    assert again.context["export"].password != password


def test_the_service_itself_refuses_a_caseworker(caseworker, team):  # type: ignore[no-untyped-def]
    from casework.exceptions import PermissionDeniedError
    from casework.services.exports import cases_export

    CaseFactory(team=team)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDeniedError):
        cases_export(actor=caseworker, columns=["reference"], personal_confirmed=False)
    assert AuditEvent.objects.count() == before
