"""Filings sent to authorities, and the deadlines (legal clocks) they start."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.crypto import EncryptedCharField, EncryptedTextField
from casework.models.cases import Case
from casework.models.people import Team
from casework.models.rules import AuthorityOffice, FilingKind, ResponseRule
from casework.references import new_reference


def filing_reference() -> str:
    return new_reference("F")


class Filing(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")
        REGISTERED = "registered", _("registered")
        EXTENDED = "extended", _("extended")
        ANSWERED = "answered", _("answered")
        OVERDUE = "overdue", _("overdue")
        ESCALATED = "escalated", _("escalated")

    # The rules about states, named once: every module that asks uses these names.
    # Sent and not answered yet, with the authority's clock still running.
    AWAITING_RESPONSE: ClassVar[tuple[str, ...]] = (
        Status.SENT,
        Status.REGISTERED,
        Status.EXTENDED,
    )
    # States an answer may be recorded in (an overdue filing can still be answered late).
    ANSWERABLE: ClassVar[tuple[str, ...]] = (*AWAITING_RESPONSE, Status.OVERDUE)
    EXTENDABLE: ClassVar[tuple[str, ...]] = AWAITING_RESPONSE
    REGISTRABLE: ClassVar[tuple[str, ...]] = (Status.SENT, Status.OVERDUE)

    class Method(models.TextChoices):
        REGISTERED_MAIL = "registered_mail", _("registered mail")
        E_RECEPTION = "e_reception", _("e-reception")
        IN_PERSON = "in_person", _("in person")
        ARMIYA_PLUS = "armiya_plus", _("Армія+")

    # How a filing can reach an office of each jurisdiction (Армія+ is Ukraine's military app).
    METHODS_BY_JURISDICTION: ClassVar[dict[str, tuple[str, ...]]] = {
        "RU": (Method.REGISTERED_MAIL, Method.E_RECEPTION, Method.IN_PERSON),
        "UA": (Method.REGISTERED_MAIL, Method.E_RECEPTION, Method.IN_PERSON, Method.ARMIYA_PLUS),
    }

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("granted")
        REFUSED = "refused", _("refused")
        FORMAL = "formal", _("formal reply")
        FORWARDED = "forwarded", _("forwarded to another office")

    # Answers that open the court limit and may be escalated like a missed clock.
    ESCALATABLE_OUTCOMES: ClassVar[tuple[str, ...]] = (Outcome.REFUSED, Outcome.FORMAL)

    class Signer(models.TextChoices):
        SERVICEMAN = "serviceman", _("serviceman")
        FAMILY = "family", _("family member")

    class Category(models.TextChoices):
        """A medical board's outcome. Russia's boards give a category А–Д; Ukraine's boards
        give their own outcomes: Law 3621-IX (from 04.05.2024) abolished "обмежено придатний"
        (LEGAL.md §5, unverified). Which apply is CATEGORIES_BY_JURISDICTION."""

        A = "А", _("А — fit")
        B = "Б", _("Б — fit with minor limits")
        V = "В", _("В — limited fit")
        G = "Г", _("Г — temporarily unfit")
        D = "Д", _("Д — not fit")
        UA_FIT = "ua_fit", _("fit for military service")
        UA_FIT_SUPPORT = (
            "ua_fit_support",
            _("fit for service in support units, recruitment centres (ТЦК та СП) and similar"),
        )
        UA_TEMPORARILY_UNFIT = (
            "ua_temporarily_unfit",
            _("temporarily unfit (with a re-examination)"),
        )
        UA_UNFIT_REVIEW = "ua_unfit_review", _("unfit, re-examined in 6–12 months")
        UA_UNFIT_EXCLUDED = "ua_unfit_excluded", _("unfit, removed from the military register")

    # The outcomes a board of each jurisdiction gives, in the order a form offers them.
    CATEGORIES_BY_JURISDICTION: ClassVar[dict[str, tuple[str, ...]]] = {
        "RU": (Category.A, Category.B, Category.V, Category.G, Category.D),
        "UA": (
            Category.UA_FIT,
            Category.UA_FIT_SUPPORT,
            Category.UA_TEMPORARILY_UNFIT,
            Category.UA_UNFIT_REVIEW,
            Category.UA_UNFIT_EXCLUDED,
        ),
    }

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=filing_reference
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="filings", verbose_name=_("case")
    )
    office = models.ForeignKey(
        AuthorityOffice, on_delete=models.PROTECT, related_name="filings", verbose_name=_("office")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FilingKind.choices)
    signer = models.CharField(_("signed by"), max_length=12, choices=Signer.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, blank=True)
    tracking_number = EncryptedCharField(_("tracking number"), max_length=60, blank=True)
    proof = models.ForeignKey(
        "casework.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proof of sending"),
    )
    # Sent by registered mail without the receipt's scan: why the proof follows (set when it
    # was marked sent; cleared when the receipt is uploaded). Staff words: encrypted.
    proof_to_follow = EncryptedCharField(_("proof to follow"), max_length=300, blank=True)
    received_on = models.DateField(_("received by the authority on"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at (hour terms)"), null=True, blank=True)
    registration_number = EncryptedCharField(_("incoming number"), max_length=60, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    extension_notice_on = models.DateField(_("extension notice on"), null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    forwarded_to = models.ForeignKey(
        AuthorityOffice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forwarded to"),
    )
    escalates = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalations",
        verbose_name=_("escalates"),
    )
    rule = models.ForeignKey(
        ResponseRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filings",
        verbose_name=_("rule"),
    )
    due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    # Selects a rule's shorter term for threats to life or health (the Military Ombudsman's
    # 3 days instead of 10); the filing says so, the rule row holds the term.
    life_or_health_at_risk = models.BooleanField(_("life or health at risk"), default=False)
    # The new date an extension notice states: the clock takes it, or the rule's longest term
    # when the notice states a later one (the clock may run early, never late).
    extended_to = models.DateField(_("extended until (per the notice)"), null=True, blank=True)
    # VVK referral workflow (kind vvk_request).
    board_date = models.DateField(_("board date"), null=True, blank=True)
    fitness_category = models.CharField(
        _("fitness category"), max_length=24, choices=Category.choices, blank=True
    )
    conclusion = EncryptedTextField(_("board conclusion"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The one-time token of the form that created the draft: a reload or a double tap adds once.
    submission_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return self.reference

    def is_past_due(self, now: datetime | None = None) -> bool:
        """Awaiting an answer after its due moment: overdue now, before the sweep records it."""
        now = now or timezone.now()
        return self.status in self.AWAITING_RESPONSE and bool(self.due_at and self.due_at < now)

    def status_now(self, now: datetime | None = None) -> str:
        """The status as it is at this moment (what every page shows)."""
        if self.is_past_due(now):
            return str(self.Status.OVERDUE.label)
        return str(self.Status(self.status).label)

    def fitness_categories(self) -> tuple[str, ...]:
        """The board outcomes that can be recorded on this filing: those of the case's
        jurisdiction (a Ukrainian board never gives a Russian category, nor the reverse)."""
        return self.CATEGORIES_BY_JURISDICTION.get(self.case.serviceman.jurisdiction, ())

    def clean(self) -> None:
        if self.fitness_category and self.fitness_category not in self.fitness_categories():
            raise ValidationError(
                {"fitness_category": _("A medical board of this country gives no such outcome.")}
            )

    @property
    def is_escalatable(self) -> bool:
        """Overdue, or answered with a refusal or a formal reply: the ladder's next rung applies."""
        return self.status == self.Status.OVERDUE or (
            self.status == self.Status.ANSWERED and self.outcome in self.ESCALATABLE_OUTCOMES
        )


def open_due() -> models.Case:
    """An open clock's due moment, NULL for a closed one: indexed (`deadline_open_due`), so
    "open and past due" is one index range whose size PostgreSQL knows from the index's own
    statistics. Asked as two columns, it multiplies "open" by "due in the past" (most closed
    clocks are) and expects thousands of rows where there are none."""
    return models.Case(
        models.When(state="open", then=models.F("due_at")), output_field=models.DateTimeField()
    )


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def run_out(self, now: datetime) -> DeadlineQuerySet:
        """Open clocks past their due moment (through the `deadline_open_due` index)."""
        return self.alias(open_due=open_due()).filter(open_due__lt=now)

    def response_clocks_run_out(self, now: datetime) -> DeadlineQuerySet:
        """Open response clocks past their due moment: what makes a filing overdue."""
        return self.run_out(now).filter(kind__in=Deadline.RESPONSE_CLOCKS)

    def live(self) -> DeadlineQuerySet:
        """Clocks that are still somebody's work: open ones, and missed ones nothing has settled
        (no filing, or a filing still overdue: neither answered nor escalated). A missed clock
        whose filing was answered late or escalated stays "missed" only as a record.

        Retention never erases a case with one; closing a case asks what becomes of them.
        """
        Q = models.Q
        unsettled = Q(filing__isnull=True) | Q(filing__status=Filing.Status.OVERDUE)
        return self.filter(
            Q(state=Deadline.State.OPEN) | (Q(state=Deadline.State.MISSED) & unsettled)
        )


class Deadline(models.Model):
    class Kind(models.TextChoices):
        RESPONSE_DUE = "response_due", _("response due")
        EARLY_CHECK = "early_check", _("early check")
        COURT_LIMIT = "court_limit", _("court filing limit")
        RAPORT_48H = "raport_48h", _("48-hour рапорт decision")
        CUSTOM = "custom", _("custom")
        # Not a statutory clock: a caseworker's own reminder ("call the mother on Friday").
        FOLLOW_UP = "follow_up", _("follow-up")

    # The clocks that wait for an authority's answer (one open per filing awaiting a response).
    RESPONSE_CLOCKS: ClassVar[tuple[str, ...]] = (Kind.RESPONSE_DUE, Kind.RAPORT_48H)
    # Every clock a filing's rule opens (recomputed together when its dates change).
    FILING_CLOCKS: ClassVar[tuple[str, ...]] = (*RESPONSE_CLOCKS, Kind.EARLY_CHECK)

    class State(models.TextChoices):
        OPEN = "open", _("open")
        MET = "met", _("met")
        MISSED = "missed", _("missed")
        CANCELLED = "cancelled", _("cancelled")

    class ReminderStage(models.TextChoices):
        """How far the reminder sweep has taken a clock; it only ever moves forward."""

        NONE = "", _("not yet")
        WEEK = "week", _("a week before")
        DAY = "day", _("a day before")
        MISSED = "missed", _("missed")
        # Nothing left to remind: escalated to the team, or closed, or an early check that ran out.
        DONE = "done", _("done")

    # The states the reminder sweep looks at (met and cancelled clocks need nobody).
    REMINDED_STATES: ClassVar[tuple[str, ...]] = (State.OPEN, State.MISSED)

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("case")
    )
    filing = models.ForeignKey(
        Filing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("filing"),
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("responsible"),
    )
    backup_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("backup team"),
    )
    rule = models.ForeignKey(
        ResponseRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("rule"),
    )
    provisional = models.BooleanField(_("provisional calendar"), default=False)
    unverified = models.BooleanField(_("unverified rule"), default=False)
    basis = models.CharField(_("how it was computed"), max_length=200, blank=True)
    # A follow-up's words ("call the mother"): may be personal, so encrypted, and never in a
    # reminder email (the digest says "follow-up" and the case reference).
    note = EncryptedTextField(_("what to do"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    # The last reminder stage queued (services/reminders.py): the sweep reads only the clocks
    # whose stage is behind their due moment, through the partial index below, so its cost
    # follows the clocks that changed, not how many there are.
    reminded_stage = models.CharField(
        _("reminded"), max_length=8, choices=ReminderStage.choices, blank=True, default=""
    )

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["case", "state", "due_at"]),
            models.Index(fields=["responsible", "state", "due_at"]),
            models.Index(open_due(), name="deadline_open_due"),
            models.Index(
                fields=["state", "reminded_stage", "due_at"],
                condition=models.Q(state__in=["open", "missed"]) & ~models.Q(reminded_stage="done"),
                name="deadline_reminder_work",
            ),
        ]

    def __str__(self) -> str:
        # No case lookup (lists of deadlines stay one query); the kind in the reader's language.
        return f"{self.get_kind_display()} #{self.pk}"

    def state_now(self, now: datetime | None = None) -> str:
        """The state as it is at this moment: an open clock past its due moment is missed
        already, before the sweep records it."""
        now = now or timezone.now()
        if self.state == self.State.OPEN and self.due_at < now:
            return str(self.State.MISSED.label)
        return str(self.State(self.state).label)
