"""Cases (one appeal each) and their timelines."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.crypto import EncryptedCharField, EncryptedTextField
from casework.models.people import Applicant, Serviceman, Team
from casework.references import new_reference

RISK_FLAGS = ("injured", "under_25", "suicide_risk", "in_captivity", "exchange_imminent")


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("new")
        TRIAGE = "triage", _("in triage")
        ACTIVE = "active", _("active")
        WAITING = "waiting", _("waiting for an authority")
        ON_HOLD = "on_hold", _("on hold")
        CLOSED = "closed", _("closed")

    class FamilyStatus(models.TextChoices):
        RECEIVED = "received", _("We have received your message")
        IN_PROGRESS = "in_progress", _("A caseworker is working on it")
        WAITING_AUTHORITY = (
            "waiting_authority",
            _("We are waiting for an answer from the authorities"),
        )
        NEED_INFORMATION = "need_information", _("We need more information from you")
        ANSWERED = "answered", _("An answer has arrived")
        CLOSED = "closed", _("The case is closed")

    class Priority(models.IntegerChoices):
        LOW = 1, _("low")
        NORMAL = 2, _("normal")
        HIGH = 3, _("high")
        URGENT = 4, _("urgent")

    class Source(models.TextChoices):
        INTAKE = "intake", _("intake form")
        PHONE = "phone", _("phone")
        IMPORT = "import", _("import")
        API = "api", _("API")

    class Outcome(models.TextChoices):
        DISCHARGED = "discharged", _("discharged")
        LEAVE = "leave", _("leave granted")
        VVK_REFERRAL = "vvk_referral", _("medical board referral obtained")
        FOUND = "found", _("whereabouts found")
        ADVICE = "advice", _("advice given")
        NO_CONTACT = "no_contact", _("family stopped responding")
        WITHDRAWN = "withdrawn", _("withdrawn by the family")
        OTHER = "other", _("other")

    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference)
    serviceman = models.ForeignKey(
        Serviceman, on_delete=models.PROTECT, related_name="cases", verbose_name=_("serviceman")
    )
    applicant = models.ForeignKey(
        Applicant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("applicant"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="cases", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    family_status = models.CharField(
        _("status shown to the family"),
        max_length=20,
        choices=FamilyStatus.choices,
        default=FamilyStatus.RECEIVED,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    injured = models.BooleanField(_("injured"), default=False)
    under_25 = models.BooleanField(_("under 25"), default=False)
    suicide_risk = models.BooleanField(_("suicide risk"), default=False)
    in_captivity = models.BooleanField(_("in captivity"), default=False)
    exchange_imminent = models.BooleanField(_("exchange imminent"), default=False)
    needs_attention = models.BooleanField(
        _("needs attention"), default=False, help_text=_("New information from the family.")
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.INTAKE
    )
    summary = EncryptedTextField(_("what happened"), blank=True)
    wishes = EncryptedTextField(_("what he and the family want"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    # A default rather than auto_now_add, so imports and the demo can carry the real opening date.
    created_at = models.DateTimeField(
        _("opened"), default=timezone.now, editable=False, db_index=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Family access: only a keyed hash of the 16-digit code (ACCESS_CODE_KEY) is stored.
    access_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    access_code_issued_at = models.DateTimeField(
        _("access code issued"), null=True, blank=True, editable=False
    )
    # The case number the family says they already have (intake form, optional; as normalised,
    # unchecked): a caseworker attaches this intake to that case. Never checked in front of the
    # family, so the receipt says nothing about whether it exists.
    given_reference = models.CharField(
        _("case number the family gave"), max_length=20, blank=True, editable=False
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("merged into"),
    )
    # Denormalised earliest open deadline (maintained by the deadline services) for sorting.
    next_deadline = models.DateTimeField(_("next deadline"), null=True, blank=True, db_index=True)
    # A legal hold (a court case, an investigation) keeps the case from any erasure, the retention
    # purge and a deletion alike, until a coordinator lifts it. Set and lifted only through
    # services.cases.case_legal_hold_set / case_legal_hold_lift, which audit both.
    legal_hold_at = models.DateTimeField(
        _("legal hold since"), null=True, blank=True, editable=False
    )
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("legal hold set by"),
    )
    legal_hold_reason = EncryptedTextField(
        _("reason for the legal hold"), blank=True, editable=False
    )

    # The case list's order, the admin's and the API's alike: most urgent first, then the nearest
    # clock (none last), then the newest; the primary key makes it total, so paging by offset
    # never skips or repeats a case. The index `case_triage_order` serves its first two keys.
    TRIAGE_ORDER: ClassVar[tuple[str | models.OrderBy, ...]] = (
        "-priority",
        models.F("next_deadline").asc(nulls_last=True),
        "-created_at",
        "-id",
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(fields=["assignee", "status"]),
            # The case list's order: most urgent first, then the nearest deadline. An ascending
            # PostgreSQL index keeps NULLs last, as the list's order does (SQLite, the embedded
            # default, cannot declare NULLS LAST in an index).
            models.Index(
                models.F("priority").desc(),
                models.F("next_deadline").asc(),
                name="case_triage_order",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def risk_flags(self) -> list[str]:
        return [flag for flag in RISK_FLAGS if getattr(self, flag)]

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_at is not None


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("note")
        CALL = "call", _("call")
        MESSAGE_IN = "message_in", _("message from the family")
        MESSAGE_OUT = "message_out", _("message to the family")
        STATUS = "status", _("status change")
        DOCUMENT = "document", _("document")
        UPLOAD = "upload", _("upload")
        INTAKE = "intake", _("intake")
        MERGE = "merge", _("merge")
        FILING = "filing", _("filing")
        PROTOCOL = "protocol", _("suicide-risk protocol")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NOTE)
    text = EncryptedTextField(_("text"), blank=True)
    visible_to_family = models.BooleanField(_("visible to the family"), default=False)
    # Written by the family themselves (status page): shown back to them there. Only
    # services/family.py sets it; a caseworker's note of a call from the family is not theirs.
    by_family = models.BooleanField(_("sent by the family"), default=False, editable=False)
    visible_until = models.DateTimeField(_("visible to the family until"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # The one-time token of the family's status-page form: a reload or a double tap adds once.
    submission_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case.reference}#{self.pk}" if self.case_id else f"entry#{self.pk}"


class CaseFact(models.Model):
    """A dated fact a caseworker established (where he was moved, a hospital, a board, a call
    with him): the case's chronology. The latest "moved to a place" says where he is now; the
    facts marked for documents are printed in date order into the drafts (services/documents).

    Written by staff, never copied from what the family typed, so a document to the state
    carries only what a caseworker chose to state. The text and its source are encrypted.
    """

    class Kind(models.TextChoices):
        MOVED = "moved", _("moved to a place")
        HOSPITALISED = "hospitalised", _("hospitalised")
        BOARD = "board", _("examined by a medical board")
        CONTACT = "contact", _("contact with him")
        EXCHANGE = "exchange", _("exchange")
        FILING = "filing", _("filing event")
        OTHER = "other", _("other")

    class Precision(models.TextChoices):
        DAY = "day", _("exact day")
        ABOUT = "about", _("approximately")
        MONTH = "month", _("month only")
        YEAR = "year", _("year only")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="facts")
    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    happened_on = models.DateField(_("when"))
    precision = models.CharField(
        _("date is"), max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    text = EncryptedTextField(_("fact"), blank=True)
    source = EncryptedCharField(
        _("source"), max_length=300, blank=True, help_text=_("e.g. from the mother, by phone")
    )
    use_in_documents = models.BooleanField(_("use in documents"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # The chronology's order, named once: the case page and the drafts list facts in it.
    ORDER: ClassVar[tuple[str, ...]] = ("happened_on", "created_at", "id")

    class Meta:
        verbose_name = _("dated fact")
        verbose_name_plural = _("dated facts")
        ordering = ["happened_on", "created_at", "id"]
        indexes = [models.Index(fields=["case", "kind", "happened_on"])]

    def __str__(self) -> str:
        return f"fact#{self.pk}"
