"""A pg_dump of a seeded and edited database holds no plaintext personal data."""

from __future__ import annotations

import subprocess

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from casework.models import Applicant, Case, CaseFact, Deadline, Serviceman, TimelineEntry
from casework.roles import Role
from casework.services.people import serviceman_save
from tests.factories import UserFactory
from tests.test_admin import change_form_data


def pg_dump() -> str:
    settings = connection.settings_dict
    done = subprocess.run(
        ["pg_dump", "-h", settings["HOST"], "-p", str(settings["PORT"]), "-U", settings["USER"],
         "--no-owner", settings["NAME"]],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def personal_values() -> set[str]:
    values: set[str] = set()
    for man in Serviceman.objects.all():
        values |= {man.surname, f"{man.surname} {man.given_name}", man.unit_number, man.places}
        if man.birth_date:
            values |= {man.birth_date.isoformat(), man.birth_date.strftime("%d.%m.%Y")}
        if man.health_summary:
            values.add(man.health_summary)
    for applicant in Applicant.objects.all():
        values |= {
            applicant.name,
            applicant.legal_name,
            applicant.phone,
            applicant.phone.replace(" ", "").replace("-", ""),
        }
    values |= {case.summary for case in Case.objects.all()}
    for fact in CaseFact.objects.all():
        values |= {fact.text, fact.source}
    values |= {deadline.note for deadline in Deadline.objects.all()}
    values |= {entry.text for entry in TimelineEntry.objects.all()}
    return {v for v in values if v}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dump_of_seeded_and_edited_database_has_no_plaintext(verified_client):
    call_command("seed_demo", cases=30, jobs=1)
    man = Serviceman.objects.order_by("pk").first()
    man.surname, man.health_summary = "Правкин", "перелом голени"
    serviceman_save(serviceman=man, actor=None, changed=["surname", "health_summary"])
    # An edit and a delete through the admin: Django copies str(obj) and field names into
    # django_admin_log, so those must hold references only.
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    case = Case.objects.order_by("pk")[1]
    url = reverse("admin:casework_serviceman_change", args=[case.serviceman_id])
    data = change_form_data(client.get(url))
    data.update(surname="Админова", health_summary="контузия, ожог кисти")
    assert client.post(url, data).status_code == 302
    applicant = Applicant.objects.order_by("pk").last()
    deleted_name = applicant.name
    delete_url = reverse("admin:casework_applicant_delete", args=[applicant.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert LogEntry.objects.count() == 2
    # A dated fact and a follow-up typed on the case page (their own forms, not the main one).
    fact = {"action": "add", "kind": "moved", "happened_on": "02.03.2026", "precision": "day"}
    fact |= {"text": "госпиталь Бурденко", "source": "со слов Ольги Кравцовой"}
    assert (
        client.post(reverse("admin:casework_case_facts", args=[case.pk]), fact).status_code == 302
    )
    follow_up = {"action": "add", "text": "позвонить Ольге Кравцовой", "due_on": "01.01.2099"}
    follow_up["due_time"] = "10:00"
    assert (
        client.post(
            reverse("admin:casework_case_follow_ups", args=[case.pk]), follow_up
        ).status_code
        == 302
    )
    assert "госпиталь Бурденко" in [fact.text for fact in CaseFact.objects.filter(case=case)]
    assert Deadline.objects.filter(kind="follow_up").count() == 1
    values = personal_values() | {"Правкин", "перелом голени", "Админова", "контузия, ожог кисти"}
    values |= {"госпиталь Бурденко", "Ольги Кравцовой", "позвонить Ольге Кравцовой"}
    values.add(deleted_name)
    dump = pg_dump()
    assert "casework_serviceman" in dump and len(dump) > 10_000  # the dump really holds the data
    assert "django_admin_log" in dump
    leaked = sorted(v for v in values if v in dump)
    assert leaked == []
