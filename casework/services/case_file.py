"""A case file for a lawyer (issue 16, item 8): one zip per case with the record in a .docx (the
serviceman's and the family member's facts, the chronology, every filing with its numbers and
dates, the clocks), the ready drafts and the cleaned copies of the files on the case.

The zip is encrypted with AES-256 (pyzipper) under a password made for this one download and
shown once to the coordinator who asks: it is never stored, so a copy of the database or of the
server's disk opens nothing, and a zip sent on to the lawyer opens only with the password given
to them separately. Coordinators only; each export is audited with what it held (counts only).
"""

from __future__ import annotations

import base64
import io
import re
import secrets
from datetime import date, datetime
from typing import Any

import pyzipper
from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document

from casework import permissions
from casework.exceptions import RuleError
from casework.formats import format_due, zone_for
from casework.models import (
    Attachment,
    AuditEvent,
    Case,
    CaseFact,
    Deadline,
    Filing,
    GeneratedDocument,
    Jurisdiction,
    Serviceman,
)
from casework.selectors import case_facts
from casework.services.attachments import CLEANED, DownloadFile, attachment_read
from casework.services.audit import audit_record
from casework.services.documents import CHRONOLOGY_KINDS, LANGUAGE_OF, fact_date

# 6 groups of 5 from an alphabet without look-alikes: ~148 bits, read out over a phone.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PASSWORD_PATTERN = re.compile(r"^(?:[2-9A-HJ-NP-Z]{5}-){5}[2-9A-HJ-NP-Z]{5}$")


def case_file_password() -> str:
    """A new password for one case file, shown once on the page that offers the download."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _group in range(6))


def case_file_export(*, case: Case, password: str, actor: User) -> DownloadFile:
    """The case file as an AES-encrypted zip under `password` (one `case_file_password` made:
    anything weaker is refused). Coordinators only; audited."""
    permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_FILE_EXPORT)
    if not PASSWORD_PATTERN.match(password):
        raise RuleError(_("Use the password this page made; reload the page for a new one."))
    filings = list(
        Filing.objects.filter(case=case).select_related("office").order_by("created_at", "pk")
    )
    drafts = list(
        GeneratedDocument.objects.filter(filing__case=case, state=GeneratedDocument.State.READY)
        .select_related("filing")
        .order_by("pk")
    )
    files = list(
        Attachment.objects.filter(case=case, state=Attachment.State.CLEAN).order_by("created_at")
    )
    clocks = list(
        Deadline.objects.filter(case=case).select_related("filing__office").order_by("due_at")
    )
    out = io.BytesIO()
    with pyzipper.AESZipFile(
        out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode())
        archive.writestr(f"{case.reference}.docx", _record_docx(case, filings, clocks))
        for draft in drafts:
            name = f"drafts/{draft.filing.reference}-{draft.pk}.docx"
            archive.writestr(name, base64.b64decode(draft.content))
        for attachment in files:
            name = f"files/{str(attachment.public_id)[:8]}.{attachment.cleaned_extension}"
            archive.writestr(name, attachment_read(attachment, CLEANED))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        obj=case,
        detail={
            "case_file": True,
            "filings": len(filings),
            "drafts": len(drafts),
            "files": len(files),
        },
    )
    return DownloadFile(
        data=out.getvalue(),
        content_type="application/zip",
        filename=f"{case.reference}-case-file.zip",
    )


def _record_docx(case: Case, filings: list[Filing], clocks: list[Deadline]) -> bytes:
    """The record in the language of the authorities the case deals with."""
    serviceman, applicant, exchange = case.serviceman, case.applicant, case.serviceman.exchange
    name = " ".join(
        filter(None, [serviceman.surname, serviceman.given_name, serviceman.patronymic])
    )
    with translation.override(LANGUAGE_OF.get(Jurisdiction(serviceman.jurisdiction), "ru")):
        document = Document()
        document.add_heading(_("Case file %(reference)s") % {"reference": case.reference}, 0)
        document.add_paragraph(
            _("Prepared %(date)s. Facts as recorded by the organisation; check before use.")
            % {"date": _day(timezone.localdate())}
        )
        document.add_heading(_("Serviceman"), 1)
        _facts(
            document,
            [
                (
                    _("full name"),
                    " ".join(
                        filter(
                            None, [serviceman.surname, serviceman.given_name, serviceman.patronymic]
                        )
                    ),
                ),
                (_("date of birth"), _day(serviceman.birth_date)),
                (_("rank"), serviceman.rank),
                (_("unit"), serviceman.unit_number),
                (_("status"), serviceman.get_status_display()),
                (_("captured on"), _rough(serviceman, "captured_on")),
                (_("released on"), _rough(serviceman, "released_on")),
                (_("in hospital since"), _rough(serviceman, "hospitalised_on")),
                (_("sent back to the front on"), _rough(serviceman, "redeployed_on")),
                (
                    _("exchange"),
                    _day(exchange.happened_on) if exchange else "",
                ),
                (_("where he is now"), serviceman.current_location),
                (_("health"), serviceman.health_summary),
            ],
        )
        if applicant is not None:
            document.add_heading(_("Family member"), 1)
            _facts(
                document,
                [
                    (_("legal full name"), applicant.legal_name),
                    (_("relationship"), applicant.get_relationship_display()),
                    (_("address"), applicant.address),
                    (_("phone"), applicant.phone),
                    (_("email"), applicant.email),
                ],
            )
        document.add_heading(_("Chronology"), 1)
        for day, text in _events(case, filings):
            document.add_paragraph(f"{day} — {text}", style="List Bullet")
        document.add_heading(_("Filings"), 1)
        for filing in filings:
            zone = zone_for(
                office_time_zone=filing.office.time_zone, jurisdiction=filing.office.jurisdiction
            )
            document.add_heading(f"{filing.reference}: {filing.get_kind_display()}", 2)
            _facts(
                document,
                [
                    (_("office"), filing.office.name),
                    (_("status"), filing.get_status_display()),
                    (_("sent on"), _day(filing.sent_on)),
                    (_("method"), filing.get_method_display() if filing.method else ""),
                    (_("tracking number"), filing.tracking_number),
                    (_("incoming number"), filing.registration_number),
                    (_("registered on"), _day(filing.registered_on)),
                    (_("response due"), format_due(filing.due_at, zone) if filing.due_at else ""),
                    (_("answered on"), _day(filing.answered_on)),
                    (_("outcome"), filing.get_outcome_display() if filing.outcome else ""),
                ],
            )
        document.add_heading(_("Deadlines"), 1)
        for clock in clocks:
            office = clock.filing.office if clock.filing else None
            zone = zone_for(
                office_time_zone=office.time_zone if office else None,
                jurisdiction=serviceman.jurisdiction,
            )
            document.add_paragraph(
                f"{clock.get_kind_display()}: {format_due(clock.due_at, zone)} "
                f"({clock.get_state_display()})",
                style="List Bullet",
            )
    for name in ("author", "last_modified_by", "title", "comments"):
        setattr(document.core_properties, name, "")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _events(case: Case, filings: list[Filing]) -> list[tuple[str, str]]:
    """Dated events of the case in order: captivity, release, exchange, the intake, each
    filing's steps and answers, and every dated fact the caseworkers recorded (with its source,
    which a lawyer needs and a document to the state never prints). Undated ones are left out."""
    serviceman = case.serviceman
    events: list[tuple[Any, str]] = [
        (serviceman.exchange.happened_on if serviceman.exchange else None, _("exchange")),
        (timezone.localdate(case.created_at), _("the family wrote to the organisation")),
    ]
    for filing in filings:
        what = f"{filing.get_kind_display()} {filing.reference} ({filing.office.name})"
        events += [
            (filing.sent_on, _("sent: %(what)s") % {"what": what}),
            (filing.registered_on, _("registered: %(what)s") % {"what": what}),
            (filing.answered_on, _("answered: %(what)s") % {"what": what}),
        ]
    dated = [(_sortable(day), _day(day), text) for day, text in events if day]
    # His dates as exactly as they are known ("03.2025", "весна 2025"), never a made-up day.
    for name, text in (
        ("captured_on", _("captured")),
        ("released_on", _("released from captivity")),
        ("hospitalised_on", _("in hospital")),
        ("redeployed_on", _("sent back to the front")),
    ):
        rough = serviceman.approximate_date(name)
        if rough is not None:
            dated.append((rough.start.isoformat(), rough.numeric(), text))
    for fact in case_facts(case):
        what = str(CHRONOLOGY_KINDS[CaseFact.Kind(fact.kind)])
        text = " ".join(filter(None, [f"{what}:" if what else "", " ".join(fact.text.split())]))
        source = f" ({fact.source})" if fact.source else ""
        dated.append((fact.happened_on.isoformat(), fact_date(fact), text + source))
    return [(shown, text) for _key, shown, text in sorted(dated, key=lambda row: row[0])]


def _rough(serviceman: Serviceman, name: str) -> str:
    rough = serviceman.approximate_date(name)
    return rough.numeric() if rough else ""


def _facts(document: Any, rows: list[tuple[str, Any]]) -> None:
    for label, value in rows:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(str(value) if value else "—")


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value or "")


def _sortable(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
