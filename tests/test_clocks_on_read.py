"""Clocks tell the truth at once, and the forms offer only what fits the case's country."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent, AuthorityOffice, Case, Deadline, Filing, Serviceman
from casework.services.filings import filing_create, filing_mark_sent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def office(kind: str) -> AuthorityOffice:
    return AuthorityOffice.objects.filter(kind=kind).order_by("pk").first()


@pytest.fixture
def case(team, caseworker) -> Case:  # type: ignore[no-untyped-def]
    return CaseFactory(team=team, assignee=caseworker)


def test_a_clock_that_ran_out_shows_as_overdue_before_the_sweep(verified_client, caseworker, case):
    filing = filing_create(
        case=case, office=office("ru_mod"), kind="complaint", signer="family", actor=caseworker
    )
    filing_mark_sent(
        filing=filing, actor=caseworker, sent_on=timezone.localdate(), method="in_person"
    )
    past = timezone.now() - timedelta(minutes=5)
    Filing.objects.filter(pk=filing.pk).update(due_at=past)
    Deadline.objects.filter(filing=filing).update(due_at=past)
    client = verified_client(caseworker)
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    cells = re.findall(r'class="field-(status_now|state_now)">\s*<p>([^<]*)</p>', page)
    assert cells == [("state_now", "missed"), ("status_now", "overdue")], page[-6000:]
    listing = client.get(reverse("admin:casework_filing_changelist")).content.decode()
    assert '<td class="field-status_now">overdue</td>' in listing
    assert Filing.objects.get(pk=filing.pk).status == "sent"  # the record waits for the sweep


def test_the_new_filing_form_offers_only_the_cases_country(verified_client, caseworker, case):
    client = verified_client(caseworker)
    form = client.get(reverse("admin:casework_filing_add") + f"?case={case.pk}").context["form"]
    offered = {office.jurisdiction for office in form.fields["office"].queryset}
    assert offered == {"RU"}
    Serviceman.objects.filter(pk=case.serviceman_id).update(jurisdiction="UA")
    form = client.get(reverse("admin:casework_filing_add") + f"?case={case.pk}").context["form"]
    assert {office.jurisdiction for office in form.fields["office"].queryset} == {"UA"}


def test_an_office_of_another_country_is_refused_and_nothing_is_made(
    verified_client, caseworker, case
):
    client = verified_client(caseworker)
    add_url = reverse("admin:casework_filing_add")
    before = (Filing.objects.count(), AuditEvent.objects.filter(object_type="filing").count())
    response = client.post(
        add_url,
        {
            "case_reference": case.reference,
            "office": office("ua_mod_rights").pk,
            "kind": "complaint",
            "signer": "family",
            "notes": "",
        },
    )
    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "This office belongs to another country's authorities than the serviceman's."
    ]
    assert (Filing.objects.count(), AuditEvent.objects.filter(object_type="filing").count()) == (
        before
    )


def test_armiya_plus_is_offered_and_accepted_only_for_ukrainian_offices(
    verified_client, caseworker, case
):
    client = verified_client(caseworker)
    russian = filing_create(
        case=case, office=office("ru_mod"), kind="complaint", signer="family", actor=caseworker
    )
    url = reverse("admin:casework_filing_action", args=[russian.pk, "sent"])
    methods = dict(client.get(url).context["form"].fields["method"].choices)
    assert "armiya_plus" not in methods and "registered_mail" in methods
    client.post(url, {"sent_on": dt.date.today().isoformat(), "method": "armiya_plus"})
    assert Filing.objects.get(pk=russian.pk).status == "draft"  # refused by the form
    with pytest.raises(Exception, match="cannot be reached this way"):
        filing_mark_sent(
            filing=russian, actor=caseworker, sent_on=dt.date.today(), method="armiya_plus"
        )
    assert Filing.objects.get(pk=russian.pk).status == "draft"
    Serviceman.objects.filter(pk=case.serviceman_id).update(jurisdiction="UA")
    ukrainian = filing_create(
        case=Case.objects.get(pk=case.pk),
        office=office("ua_mod_rights"),
        kind="complaint",
        signer="family",
        actor=caseworker,
    )
    url = reverse("admin:casework_filing_action", args=[ukrainian.pk, "sent"])
    assert "armiya_plus" in dict(client.get(url).context["form"].fields["method"].choices)


def test_escalation_warns_when_a_live_filing_to_the_same_office_exists(
    verified_client, caseworker, case
):
    filing = filing_create(
        case=case,
        office=office("ru_unit_commander"),
        kind="vvk_request",
        signer="serviceman",
        actor=caseworker,
    )
    filing_mark_sent(
        filing=filing, actor=caseworker, sent_on=dt.date(2025, 1, 10), method="in_person"
    )
    Filing.objects.filter(pk=filing.pk).update(status="overdue")
    client = verified_client(caseworker)
    url = reverse("admin:casework_filing_action", args=[filing.pk, "escalate"])
    warning = "this case already has a live filing with this office"
    assert warning not in client.get(url).content.decode()
    filing_create(
        case=case,
        office=office("ru_prosecutor_garrison"),
        kind="complaint",
        signer="family",
        actor=caseworker,
    )
    proposals = client.get(url).context["proposals"]
    assert [(p["office"].kind, p["already_live"]) for p in proposals] == [
        ("ru_higher_commander", False),
        ("ru_prosecutor_garrison", True),
    ]
    assert client.get(url).content.decode().count(warning) == 1
