"""The public intake: one form becomes a case, its people, files and a notice to coordinators.

A single-use token (signed into the form) makes a reload or a double tap return the first
receipt instead of a second case. The access code is shown on the receipt; the case keeps only
its keyed hash, and the submission keeps the code (encrypted) only until the family confirms
they wrote it down, or for INTAKE_RECEIPT_HOURS. The token, which re-shows that receipt, is
stored only as a keyed hash (TOKEN_HASH_KEY): a dump cannot bring the code back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.approximate_dates import ApproximateDate
from casework.crypto import token_hash
from casework.models import (
    Applicant,
    AuditEvent,
    Case,
    IntakeSubmission,
    Notification,
    Serviceman,
    Team,
    TimelineEntry,
)
from casework.selectors import GivenNameTable, given_name_groups, notice_recipients_for_team
from casework.services.access_codes import access_code_hash, access_code_new
from casework.services.attachments import (
    StoredUpload,
    Upload,
    attachments_record,
    uploads_discard,
    uploads_store,
)
from casework.services.audit import audit_record
from casework.services.notifications import notifications_queue
from casework.services.people import serviceman_reindex

DEFAULT_TEAM_NAME = "Intake"
# A hash purpose, not a secret; migration 0020 holds a frozen copy.
RECEIPT_TOKEN_PURPOSE = "casework.receipt-token"  # noqa: S105


def _receipt_token_hash(token: str) -> str:
    return token_hash(RECEIPT_TOKEN_PURPOSE, token)


class Want(models.TextChoices):
    """What the family asks for, in the family's words."""

    VVK = "vvk", gettext_lazy("A military medical board (VVK)")
    DISCHARGE = "discharge", gettext_lazy("Discharge from the army")
    LEAVE = "leave", gettext_lazy("Leave, time to recover")
    FIND = "find", gettext_lazy("Find out where he is")
    ADVICE = "advice", gettext_lazy("Advice on what we can do")


# Where the contact detail goes, by the channel the family chose.
_CONTACT_FIELD = {
    Applicant.Channel.PHONE: "phone",
    Applicant.Channel.SMS: "phone",
    Applicant.Channel.TELEGRAM: "telegram",
    Applicant.Channel.SIGNAL: "signal",
    Applicant.Channel.EMAIL: "email",
}


@dataclass(frozen=True)
class IntakeAnswers:
    """What the family told us; only the first block is required."""

    name: str
    relationship: str
    channel: str
    legal_name: str = ""
    contact: str = ""
    may_call: bool = False
    safe_hours: str = ""
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    birth_date: date | None = None
    jurisdiction: str = ""
    unit: str = ""
    rank: str = ""
    service_type: str = ""
    status: str = ""
    # Dates the family may know only roughly (Serviceman.APPROXIMATE_DATES).
    captured_on: ApproximateDate | None = None
    released_on: ApproximateDate | None = None
    redeployed_on: ApproximateDate | None = None
    hospitalised_on: ApproximateDate | None = None
    current_location: str = ""
    injuries: str = ""
    hospital: str = ""
    mental_state: str = ""
    urgent_risk: bool = False
    what_happened: str = ""
    wants: Sequence[str] = field(default_factory=tuple)
    wants_other: str = ""
    consent_collective: bool = False
    given_reference: str = ""  # "I already have a case number": unchecked, for a caseworker
    language: str = "ru"


@dataclass(frozen=True)
class Receipt:
    reference: str
    token: str
    access_code: str  # empty once confirmed as written down, or expired
    repeated: bool = False  # the token had been used: nothing new was saved
    confirmed: bool = False
    urgent_risk: bool = False  # the family ticked the urgent-risk box: show the crisis lines
    jurisdiction: str = ""


def intake_receipt_get(*, token: str) -> Receipt | None:
    """The receipt of an earlier submission with this token, if there was one."""
    submission = (
        IntakeSubmission.objects.filter(token_hash=_receipt_token_hash(token), case__isnull=False)
        .select_related("case")
        .select_related("case__serviceman")
        .only(
            "token_hash",
            "access_code",
            "confirmed_at",
            "case__reference",
            "case__suicide_risk",
            "case__serviceman__jurisdiction",
        )
        .first()
    )
    if submission is None or submission.case is None:
        return None
    return Receipt(
        reference=submission.case.reference,
        token=token,
        access_code=submission.access_code,
        repeated=True,
        confirmed=submission.confirmed_at is not None,
        urgent_risk=submission.case.suicide_risk,
        jurisdiction=submission.case.serviceman.jurisdiction,
    )


def intake_submit(*, token: str, answers: IntakeAnswers, uploads: Sequence[Upload]) -> Receipt:
    """Create the case once per token and return its receipt (the first one on a repeat).

    The token is inserted last: a repeat (a reload, a double tap, even one running at the same
    moment) fails on its unique index, rolls all of its work back and returns the receipt of the
    first. Repeats are rare, so the usual path pays no query to look for one first. Files are
    written (encrypted) before the transaction and removed again if it fails.

    Call it outside any transaction (the view does): foreign keys are checked at commit, and
    only a commit of its own lets a failure from a stale cached row be retried here.
    """
    code = access_code_new()
    stored = uploads_store(uploads)
    try:
        for attempt in range(2):
            try:
                case = _submit_once(token=token, answers=answers, code=code, stored=stored)
                break
            except IntegrityError:
                earlier = intake_receipt_get(token=token)
                if earlier is not None:
                    uploads_discard(stored)
                    return earlier
                if attempt:
                    raise
                # Not a repeat: a row kept by _read_now_and_then (the intake team, a
                # coordinator to notify) was deleted meanwhile. Read afresh and try once more,
                # so the family's answers are not lost to a staff edit.
                intake_cache_clear()
    except BaseException:
        uploads_discard(stored)
        raise
    return Receipt(
        reference=case.reference,
        token=token,
        access_code=code,
        urgent_risk=case.suicide_risk,
        jurisdiction=case.serviceman.jurisdiction,
    )


def _submit_once(
    *, token: str, answers: IntakeAnswers, code: str, stored: Sequence[StoredUpload]
) -> Case:
    with transaction.atomic():
        case = _case_create(answers=answers, code=code)
        entry = TimelineEntry.objects.create(
            case=case, kind=TimelineEntry.Kind.INTAKE, text=_intake_note(answers, len(stored))
        )
        # The rows only; cleaning is queued after commit.
        attachments_record(case=case, entry=entry, stored=stored, source="family")
        audit_record(
            actor=None,
            action=AuditEvent.Action.CREATE,
            obj=case,
            detail={"source": "intake", "files": len(stored)},
        )
        notifications_queue(
            kind=Notification.Kind.NEW_INTAKE,
            key=str(case.pk),
            recipients=_notice_recipients(case.team),
            case=case,
            urgent=case.suicide_risk,  # the family ticked the urgent-risk box
        )
        # Last: a repeat fails here on the unique token (a twin waits for the first to commit).
        IntakeSubmission.objects.create(
            token_hash=_receipt_token_hash(token), case=case, access_code=code
        )
    return case


@transaction.atomic
def intake_receipt_confirm(*, token: str) -> Receipt | None:
    """The family wrote the code down: forget it (only its hash stays, on the case)."""
    submission = (
        IntakeSubmission.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(token_hash=_receipt_token_hash(token), case__isnull=False)
        .first()
    )
    if submission is None or submission.case is None:
        return None
    if submission.confirmed_at is None:
        submission.confirmed_at, submission.access_code = timezone.now(), ""
        submission.save(update_fields=["confirmed_at", "access_code"])
    return Receipt(reference=submission.case.reference, token=token, access_code="", confirmed=True)


def intake_receipts_expire() -> int:
    """Forget access codes never confirmed within INTAKE_RECEIPT_HOURS (the sweep calls this)."""
    cutoff = timezone.now() - timedelta(hours=settings.INTAKE_RECEIPT_HOURS)
    # Length, not a comparison: an encrypted column only answers "is it empty" by its length.
    return (
        IntakeSubmission.objects.filter(created_at__lt=cutoff)
        .annotate(stored=Length("access_code"))
        .filter(stored__gt=0)
        .update(access_code="")
    )


# Rows staff edit rarely but every intake reads: kept per process for ten seconds, so an edit
# (another intake team, a new coordinator) reaches new intakes within ten seconds, while under
# load a read serves hundreds of intakes. Profiling the intake load showed the given-name table
# at a third of the request, the coordinators to notify at a tenth of a worker's time and the
# intake team at a twentieth. A cached row deleted meanwhile costs one retry (intake_submit).
T = TypeVar("T")
_CACHE_SECONDS = 10.0
_cache: dict[object, tuple[float, Any]] = {}


def _read_now_and_then(key: object, load: Callable[[], T]) -> T:
    read_at, value = _cache.get(key, (-_CACHE_SECONDS - 1, None))
    if time.monotonic() - read_at > _CACHE_SECONDS:
        value = load()
        _cache[key] = (time.monotonic(), value)
    return cast(T, value)


def intake_cache_clear() -> None:
    """Forget the rows kept for _CACHE_SECONDS (after a failed insert; tests after a rollback)."""
    _cache.clear()


def _given_name_groups() -> GivenNameTable:
    return _read_now_and_then("given-names", given_name_groups)


def _notice_recipients(team: Team) -> list[User]:
    """Who hears of a new intake (the team's coordinators, else all)."""
    return _read_now_and_then(
        ("recipients", team.pk), lambda: notice_recipients_for_team(team=team)
    )


def _intake_team() -> Team:
    return _read_now_and_then("intake-team", _intake_team_read)


def _intake_team_read() -> Team:
    # The intake team if marked, else the first team by name; created on a fresh install.
    team = Team.objects.order_by("-receives_intake", "name", "pk").first()
    if team is None:
        team, _created = Team.objects.get_or_create(
            name=DEFAULT_TEAM_NAME, defaults={"receives_intake": True}
        )
    return team


def _case_create(*, answers: IntakeAnswers, code: str) -> Case:
    status = answers.status or Serviceman.Status.UNKNOWN
    serviceman = Serviceman(
        surname=answers.surname,
        given_name=answers.given_name,
        patronymic=answers.patronymic,
        birth_date=answers.birth_date,
        unit_number=answers.unit,
        rank=answers.rank,
        service_type=answers.service_type or Serviceman.ServiceType.UNKNOWN,
        status=status,
        current_location=answers.current_location,
        health_summary=_health_summary(answers),
    )
    for name in Serviceman.APPROXIMATE_DATES:
        serviceman.approximate_date_set(name, getattr(answers, name))
    if answers.jurisdiction:
        serviceman.jurisdiction = answers.jurisdiction
    # Blind indexes for duplicate detection on the staff side.
    serviceman_reindex(serviceman, groups=_given_name_groups())
    serviceman.save()
    applicant = Applicant(
        serviceman=serviceman,
        name=answers.name,
        legal_name=answers.legal_name,
        relationship=answers.relationship,
        preferred_channel=answers.channel,
        may_call=answers.may_call,
        safe_hours=answers.safe_hours,
        consent_given_at=timezone.now(),
        consent_collective=answers.consent_collective,
    )
    contact_field = _CONTACT_FIELD.get(Applicant.Channel(answers.channel))
    if contact_field and answers.contact:
        setattr(applicant, contact_field, answers.contact)
    applicant.save()
    injured = bool(answers.injuries or answers.hospital) or status == Serviceman.Status.HOSPITALISED
    if answers.urgent_risk:
        priority = Case.Priority.URGENT
    elif injured:
        priority = Case.Priority.HIGH
    else:
        priority = Case.Priority.NORMAL
    return Case.objects.create(
        serviceman=serviceman,
        applicant=applicant,
        team=_intake_team(),
        status=Case.Status.NEW,
        family_status=Case.FamilyStatus.RECEIVED,
        source=Case.Source.INTAKE,
        priority=priority,
        injured=injured,
        under_25=_under_25(answers.birth_date),
        suicide_risk=answers.urgent_risk,
        # A family who says they have a case already: a caseworker attaches this form to it.
        given_reference=answers.given_reference,
        needs_attention=bool(answers.given_reference),
        in_captivity=status == Serviceman.Status.CAPTIVE,
        summary=answers.what_happened,
        wishes=_wishes(answers),
        access_code_hash=access_code_hash(code),
        access_code_issued_at=timezone.now(),
    )


def _under_25(birth_date: date | None) -> bool:
    if birth_date is None:
        return False
    today = timezone.now().date()
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    return age < 25


def _labelled(lines: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in lines if value)


# Free text is stored with labels in the staff's language (LANGUAGE_CODE), whatever the form's.


def _health_summary(answers: IntakeAnswers) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _labelled(
            [
                (_("Injuries or illness"), answers.injuries),
                (_("Hospital"), answers.hospital),
                (_("State of mind"), answers.mental_state),
            ]
        )


def _wishes(answers: IntakeAnswers) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        wanted = ", ".join(str(Want(value).label) for value in answers.wants)
        return _labelled([(_("Asks for"), wanted), (_("In their words"), answers.wants_other)])


def _intake_note(answers: IntakeAnswers, files: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _labelled(
            [
                (_("Intake form, language"), answers.language),
                (_("Files"), str(files) if files else ""),
                (_("Says they already have case number"), answers.given_reference),
                (_("Consent to keep the information"), _("given")),
                (
                    _("Agrees to be named in a collective complaint"),
                    _("yes") if answers.consent_collective else _("no"),
                ),
            ]
        )
