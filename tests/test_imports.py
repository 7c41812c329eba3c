"""Issue 17: cases imported from an organisation's spreadsheet (CSV; XLSX once openpyxl is in).

Upload, mapping, dry run with per-row errors in the reader's language, duplicates through the
blind indexes, all-or-nothing commit, one audit event, and the sheet gone from disk afterwards.
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from casework.models import Applicant, AuditEvent, Case, CaseImport, Serviceman
from casework.roles import Role
from casework.services.imports import imports_abandon_stale
from tests.factories import CaseFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "Фамилия;Имя;Отчество;Дата рождения;В/ч;Заявитель;Телефон;Дата обращения\n"
GOOD = (
    HEADER
    + "Ознобишин;Тихон;Петрович;03.04.1999;в/ч 42038;Ознобишина Вера;+7 900 111 2233;10.02.2025\n"
    + "Перевозчиков;Савва;;12.11.2001;в/ч 42038;;;\n"
)
PLAIN_MARKERS = (b"\xd0\x9e\xd0\xb7\xd0\xbd\xd0\xbe\xd0\xb1", b"+7 900 111", b"42038")  # "Озноб"


def _upload(client, text: str, team, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    sheet = SimpleUploadedFile("families.csv", text.encode(encoding), content_type="text/csv")
    return client.post("/admin/import/", {"sheet": sheet, "team": team.pk})


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _no_plaintext(root: Path) -> None:
    for path in _files(root):
        data = path.read_bytes()
        assert not any(marker in data for marker in PLAIN_MARKERS), path


def _counts() -> tuple[int, int, int]:
    return Case.objects.count(), Serviceman.objects.count(), Applicant.objects.count()


def _start(verified_client, text: str):  # type: ignore[no-untyped-def]
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = verified_client(coordinator, language="ru")
    team = TeamFactory(name="Импорт")
    response = _upload(client, text, team)
    assert response.status_code == 302, response.content.decode()[:3000]
    case_import = CaseImport.objects.get()
    assert response["Location"] == f"/admin/import/{case_import.public_id}/"
    return client, case_import, team, coordinator


def test_a_sheet_is_mapped_previewed_and_imported_once_with_one_audit_event(
    verified_client, media_root, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client, case_import, team, coordinator = _start(verified_client, GOOD)
    assert case_import.mapping == [
        "surname", "given_name", "patronymic", "birth_date", "unit_number",
        "applicant_name", "applicant_phone", "opened_on",
    ]  # fmt: skip
    stored = media_root / "imports" / f"{case_import.public_id}.sheet"
    assert stored.exists()
    _no_plaintext(media_root)  # kept encrypted only
    page = client.get(f"/admin/import/{case_import.public_id}/").content.decode()
    assert "Строк: 2. Новых дел: 2. Уже записаны (пропускаются): 0. С ошибками: 0." in page
    before_events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    assert response.status_code == 302
    cases = Case.objects.filter(source=Case.Source.IMPORT).order_by("created_at")
    assert [c.serviceman.surname for c in cases] == ["Ознобишин", "Перевозчиков"]
    first = cases[0]
    assert first.team == team and first.created_at.date().isoformat() == "2025-02-10"
    applicant = first.applicant
    assert applicant is not None
    assert applicant.name == "Ознобишина Вера" and applicant.phone == "+7 900 111 2233"
    assert applicant.consent_collective is False  # never taken from a sheet
    assert first.serviceman.unit_index and first.serviceman.surname_year_index
    assert cases[1].applicant is None
    with connection.cursor() as cursor:  # at rest: only ciphertext in the columns
        cursor.execute(
            "SELECT s.surname, s.unit_number, a.phone, a.name FROM casework_serviceman s"
            " JOIN casework_applicant a ON a.serviceman_id = s.id WHERE s.id = %s",
            [first.serviceman_id],
        )
        stored = " ".join(cursor.fetchone())
    assert not any(text in stored for text in ("Ознобишин", "42038", "111 2233", "Вера"))
    events = list(AuditEvent.objects.order_by("pk")[before_events:])
    assert [(e.action, e.object_type, e.object_reference) for e in events] == [
        ("create", "caseimport", case_import.reference)
    ]
    assert events[0].detail == {"rows": 2, "created": 2, "skipped": 0, "team": team.pk}
    assert "Ознобишин" not in str(events[0].detail)
    case_import.refresh_from_db()
    assert (case_import.state, case_import.created_cases) == ("committed", 2)
    assert _files(media_root) == []  # the sheet is gone
    done = client.get(f"/admin/import/{case_import.public_id}/").content.decode()
    assert "Его таблица удалена." in done
    # No admin log entry carries a name: the import writes none at all.
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.count() == 0


def test_the_same_file_twice_creates_nothing_new(verified_client, media_root):  # type: ignore[no-untyped-def]
    client, first, team, coordinator = _start(verified_client, GOOD)
    client.post(f"/admin/import/{first.public_id}/", {"step": "commit"})
    counts = _counts()
    response = _upload(client, GOOD, team)
    second = CaseImport.objects.exclude(pk=first.pk).get()
    page = client.get(f"/admin/import/{second.public_id}/").content.decode()
    reference = Serviceman.objects.order_by("pk").first().reference  # type: ignore[union-attr]
    assert f"Уже записан как {reference}: пропущено." in page
    assert response.status_code == 302
    client.post(f"/admin/import/{second.public_id}/", {"step": "commit"})
    assert _counts() == counts
    second.refresh_from_db()
    assert (second.state, second.created_cases, second.duplicates) == ("committed", 0, 2)


def test_a_latin_spelling_matches_the_cyrillic_man_already_recorded(verified_client, media_root):  # type: ignore[no-untyped-def]
    existing = CaseFactory(
        serviceman__surname="Путинцев",
        serviceman__given_name="Кирилл",
        serviceman__patronymic="",
        serviceman__birth_date=date(1998, 3, 12),
    ).serviceman
    sheet = (
        "Surname,First name,Date of birth\nPutintsev,Kirill,12.03.1998\nNovikov,Ivan,01.01.2000\n"
    )
    client, case_import, _team, _ = _start(verified_client, sheet)
    page = client.get(f"/admin/import/{case_import.public_id}/").content.decode()
    assert f"Уже записан как {existing.reference}: пропущено." in page
    client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    imported = Case.objects.filter(source=Case.Source.IMPORT)
    assert [c.serviceman.surname for c in imported] == ["Novikov"]
    assert Serviceman.objects.filter(pk=existing.pk).count() == 1


def test_one_bad_row_changes_nothing_and_says_why_in_the_readers_language(
    verified_client, media_root
):  # type: ignore[no-untyped-def]
    sheet = GOOD + "Бадаев;Глеб;;31.02.2001;в/ч 1;;;\n;Фома;;;;;;\n"
    client, case_import, _team, _ = _start(verified_client, sheet)
    counts, events = _counts(), AuditEvent.objects.count()
    page = client.get(f"/admin/import/{case_import.public_id}/").content.decode()
    assert "Дата рождения — не дата (запишите её как дд.мм.гггг)." in page
    assert "Фамилия отсутствует." in page
    response = client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    assert response.status_code == 200
    assert "Строк с ошибками: 2. Ничего не загружено" in response.content.decode()
    assert _counts() == counts and AuditEvent.objects.count() == events
    case_import.refresh_from_db()
    assert case_import.state == "open"


def test_abandoning_deletes_the_sheet(
    verified_client, media_root, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client, case_import, _team, _ = _start(verified_client, GOOD)
    assert len(_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/import/{case_import.public_id}/", {"step": "abandon"})
    case_import.refresh_from_db()
    assert case_import.state == "abandoned"
    assert _files(media_root) == []
    assert AuditEvent.objects.filter(object_type="caseimport", action="delete").count() == 1


def test_a_stale_import_is_abandoned_by_the_sweep_and_its_sheet_deleted(
    verified_client, media_root, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    client, case_import, _team, _ = _start(verified_client, GOOD)
    fresh = CaseImport.objects.create(team=case_import.team, file_format="csv")
    (media_root / "imports" / f"{fresh.public_id}.sheet").write_bytes(b"encrypted")
    orphan = media_root / "imports" / "0000-orphan.sheet"
    orphan.write_bytes(b"left by a crash")
    old = (timezone.now() - timedelta(hours=1)).timestamp()
    os.utime(orphan, (old, old))
    CaseImport.objects.filter(pk=case_import.pk).update(
        created_at=timezone.now() - timedelta(hours=7)
    )
    from casework.tasks import sweep_portal

    with django_capture_on_commit_callbacks(execute=True):
        sweep_portal()
    assert imports_abandon_stale() == 0  # already done
    case_import.refresh_from_db()
    assert case_import.state == "abandoned"
    assert sorted(p.name for p in _files(media_root)) == [f"{fresh.public_id}.sheet"]


def test_the_mapping_is_changed_on_the_mapping_screen(verified_client, media_root):  # type: ignore[no-untyped-def]
    sheet = "Кто;Когда родился\nЗотов;01.02.2003\n"
    client, case_import, _team, _ = _start(verified_client, sheet)
    assert case_import.mapping == ["", ""]
    response = client.post(
        f"/admin/import/{case_import.public_id}/",
        {"step": "map", "column-0": "surname", "column-1": "birth_date"},
    )
    assert response.status_code == 302
    case_import.refresh_from_db()
    assert case_import.mapping == ["surname", "birth_date"]
    client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    man = Case.objects.get(source="import").serviceman
    assert (man.surname, man.birth_date.isoformat()) == ("Зотов", "2003-02-01")  # type: ignore[union-attr]


def test_a_windows_1251_sheet_is_read(verified_client, media_root):  # type: ignore[no-untyped-def]
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = verified_client(coordinator, language="ru")
    _upload(client, "Фамилия\nЩукин\n", TeamFactory(), encoding="cp1251")
    case_import = CaseImport.objects.get()
    client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    assert Case.objects.get(source="import").serviceman.surname == "Щукин"


def test_a_caseworker_may_not_import(verified_client, media_root, caseworker, team):  # type: ignore[no-untyped-def]
    client = verified_client(caseworker)
    assert client.get("/admin/import/").status_code == 403
    response = _upload(client, GOOD, team)
    assert response.status_code == 403
    assert CaseImport.objects.count() == 0 and _files(media_root) == []


def test_an_xlsx_sheet_is_read_dates_and_numbers_included(
    verified_client, media_root, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Прізвище", "Ім'я", "Дата народження", "Військова частина", "Телефон"])
    sheet.append(["Шевчук", "Тарас", datetime.datetime(1997, 5, 9), 42038, 380501112233])
    sheet.append(["Коваль", "Іван", "01.01.1990", "А0224", None])
    buffer = io.BytesIO()
    book.save(buffer)
    client = verified_client(UserFactory(role=Role.COORDINATOR), language="uk")
    upload = SimpleUploadedFile("sheet.xlsx", buffer.getvalue())
    client.post("/admin/import/", {"sheet": upload, "team": TeamFactory().pk})
    case_import = CaseImport.objects.get()
    assert case_import.file_format == "xlsx"
    assert case_import.mapping == [
        "surname", "given_name", "birth_date", "unit_number", "applicant_phone",
    ]  # fmt: skip
    _no_plaintext(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    men = {c.serviceman.surname: c for c in Case.objects.filter(source="import")}
    shevchuk = men["Шевчук"]
    assert shevchuk.serviceman.birth_date == datetime.date(1997, 5, 9)
    assert shevchuk.serviceman.unit_number == "42038"
    assert shevchuk.applicant.phone == "380501112233"  # type: ignore[union-attr]
    assert men["Коваль"].serviceman.unit_number == "А0224" and men["Коваль"].applicant is None
    assert _files(media_root) == []


def test_the_services_themselves_refuse_a_caseworker(media_root, caseworker, team):  # type: ignore[no-untyped-def]
    from casework.exceptions import PermissionDeniedError
    from casework.services.imports import import_commit, import_start

    with pytest.raises(PermissionDeniedError):
        import_start(actor=caseworker, team=team, data=GOOD.encode())
    assert CaseImport.objects.count() == 0 and _files(media_root) == []
    opened = CaseImport.objects.create(team=team, file_format="csv", mapping=["surname"])
    with pytest.raises(PermissionDeniedError):
        import_commit(case_import=opened, actor=caseworker)
    opened.refresh_from_db()
    assert opened.state == "open" and Case.objects.count() == 0


def test_a_sheet_under_a_retired_key_is_refused_with_a_way_out(verified_client, media_root):  # type: ignore[no-untyped-def]
    client, case_import, _team, _ = _start(verified_client, GOOD)
    path = media_root / "imports" / f"{case_import.public_id}.sheet"
    path.write_bytes(b"00000000$" + path.read_bytes().partition(b"$")[2])  # an unknown key id
    page = client.get(f"/admin/import/{case_import.public_id}/")
    assert page.status_code == 200
    assert "Сохранённую таблицу больше не удаётся прочитать." in page.content.decode()
    counts = _counts()
    response = client.post(f"/admin/import/{case_import.public_id}/", {"step": "commit"})
    assert response.status_code == 200 and _counts() == counts


def test_a_sheet_that_unpacks_too_large_is_refused_before_it_is_read():
    """A review's zip bomb: a small upload declaring far more than MAX_XLSX_UNPACKED."""
    import io
    import zipfile

    from casework.spreadsheets import MAX_XLSX_UNPACKED, SheetError, sheet_read

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/sharedStrings.xml", b"0" * (MAX_XLSX_UNPACKED + 1))
    assert len(buffer.getvalue()) < 1_000_000
    with pytest.raises(SheetError) as refused:
        sheet_read(buffer.getvalue(), "xlsx")
    assert refused.value.code == "too_much_inside"


def test_a_wide_sheet_is_refused_without_building_its_cells():
    """A review's attack: one cell in column XFD made the reader build 16,384 cells a row (1 GB
    for a 59 KB file). Now the sheet is refused, and reading it costs little memory."""
    import io
    import tracemalloc

    import openpyxl

    from casework.spreadsheets import SheetError, sheet_read

    book = openpyxl.Workbook()
    for row in range(1, 2001):
        book.active.cell(row=row, column=1, value="Иванов")
        book.active.cell(row=row, column=16384, value="x")
    buffer = io.BytesIO()
    book.save(buffer)
    tracemalloc.start()
    try:
        with pytest.raises(SheetError) as refused:
            sheet_read(buffer.getvalue(), "xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "too_many_columns"
    assert peak < 50_000_000, peak


@pytest.mark.parametrize(
    "typed", ["=1+1", " =1+1", "\u00a0+7 916", "\n@SUM(A1)", "\uff1d1+1", "-2+3", "\t=1"]
)
def test_formulas_are_neutralised_after_spaces_and_in_full_width_forms(typed):
    from casework.spreadsheets import spreadsheet_safe

    assert spreadsheet_safe(typed) == "'" + typed
    assert spreadsheet_safe("Иванов") == "Иванов"
