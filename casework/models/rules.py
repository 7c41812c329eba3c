"""Legal data a lawyer edits: authority offices, versioned term rules, calendars, ladders."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.models.people import Jurisdiction
from casework.rules.calendar import MAX_AMOUNT, MAX_EXTENSIONS, MAX_OFFSET_DAYS


class OfficeKind(models.TextChoices):
    RU_UNIT_COMMANDER = "ru_unit_commander", _("RU unit commander")
    RU_HIGHER_COMMANDER = "ru_higher_commander", _("RU higher commander")
    RU_PROSECUTOR_GARRISON = "ru_prosecutor_garrison", _("RU garrison military prosecutor")
    RU_PROSECUTOR_DISTRICT = "ru_prosecutor_district", _("RU district military prosecutor")
    RU_PROSECUTOR_MAIN = "ru_prosecutor_main", _("RU Main Military Prosecutor's Office")
    RU_MOD = "ru_mod", _("RU Ministry of Defence")
    RU_HEALTH_AUTHORITY = "ru_health_authority", _("RU regional health authority")
    RU_OMBUDSMAN = "ru_ombudsman", _("RU Human Rights Commissioner")
    RU_MILITARY_COURT = "ru_military_court", _("RU garrison military court")
    RU_VVK = "ru_vvk", _("RU military medical board")
    UA_COMMANDER = "ua_commander", _("UA commander")
    UA_HIGHER_COMMANDER = "ua_higher_commander", _("UA next-level commander")
    UA_MOD_RIGHTS = "ua_mod_rights", _("UA MoD directorate for servicemen's rights")
    UA_POW_HQ = "ua_pow_hq", _("UA Coordination Headquarters for POWs")
    UA_OMBUDSMAN = "ua_ombudsman", _("UA Parliamentary Commissioner for Human Rights")
    UA_COURT = "ua_court", _("UA administrative court")
    UA_MILITARY_OMBUDSMAN = "ua_military_ombudsman", _("UA Military Ombudsman")
    RU_INDEPENDENT_EXPERTISE = (
        "ru_independent_vve",
        _("RU independent military-medical expertise organisation"),
    )


class FilingKind(models.TextChoices):
    RAPORT = "raport", _("рапорт on health or leave (serviceman)")
    DISCHARGE_RAPORT = "discharge_raport", _("рапорт on discharge (serviceman)")
    VVK_REQUEST = "vvk_request", _("medical board referral request")
    COMPLAINT = "complaint", _("complaint")
    APPEAL = "appeal", _("appeal")
    REPEAT_COMPLAINT = "repeat_complaint", _("repeat complaint")
    RECORDS_REQUEST = "records_request", _("request for medical records")
    COURT_CLAIM = "court_claim", _("court claim")


class Verification(models.TextChoices):
    VERIFIED = "verified", _("verified by a lawyer")
    SOURCED = "sourced", _("sourced, not yet checked by a lawyer")
    UNVERIFIED = "unverified", _("unverified — check with a lawyer")


class AuthorityOffice(models.Model):
    # The commander of the man's own unit: a draft names the unit from his (encrypted) record,
    # so an office row never has to hold a unit number in clear (services/documents.py).
    OWN_UNIT_KINDS = (OfficeKind.RU_UNIT_COMMANDER, OfficeKind.UA_COMMANDER)

    kind = models.CharField(_("kind"), max_length=32, choices=OfficeKind.choices)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    name = models.CharField(
        _("name"),
        max_length=300,
        help_text=_(
            "An institution, never a person's unit: for a unit commander leave the unit number "
            "out, drafts take it from the serviceman's record."
        ),
    )
    # A document names the official, in the dative ("Военному прокурору ___ гарнизона"), not the
    # body in the nominative: a lawyer's wording, so data on the row rather than code.
    addressee = models.CharField(
        _("addressee line"),
        max_length=300,
        blank=True,
        help_text=_(
            'How a document names the official, in the dative, e.g. "Военному прокурору ___ '
            'гарнизона". For a unit commander leave the unit out: drafts add it from the '
            "serviceman's record. Empty: documents use the name."
        ),
    )
    address = models.TextField(_("address"), blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent office (for escalation)"),
    )
    time_zone = models.CharField(_("time zone"), max_length=40, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("authority office")
        verbose_name_plural = _("authority offices")
        ordering = ["jurisdiction", "kind", "name"]

    def __str__(self) -> str:
        return self.name  # a state body, not a person


class ResponseRule(models.Model):
    """One version of a statutory response term. Filings record the version they used."""

    class Unit(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", _("calendar days")
        WORKING_DAYS = "working_days", _("working days")
        HOURS = "hours", _("hours")
        MONTHS = "months", _("months")

    class StartFrom(models.TextChoices):
        REGISTRATION = "registration", _("registration by the authority")
        RECEIPT = "receipt", _("receipt by the authority")

    class Signer(models.TextChoices):
        ANYONE = "anyone", _("anyone, including family")
        SERVICEMAN = "serviceman", _("the serviceman only")

    class Clock(models.TextChoices):
        RESPONSE = "response", _("the authority's (or court's) answer")
        FILING_LIMIT = "filing_limit", _("the limit for filing a claim, from learning of it")

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    office_kinds = models.JSONField(_("office kinds"), default=list, blank=True)
    filing_kinds = models.JSONField(_("filing kinds"), default=list, blank=True)
    unit = models.CharField(_("unit"), max_length=14, choices=Unit.choices)
    amount = models.PositiveIntegerField(_("term"))
    start_from = models.CharField(_("counts from"), max_length=12, choices=StartFrom.choices)
    registration_lag_days = models.PositiveIntegerField(
        _("days from receipt to assumed registration"), default=0
    )
    ceiling_days = models.PositiveIntegerField(_("ceiling (days)"), null=True, blank=True)
    extension_amount = models.PositiveIntegerField(_("extension"), default=0)
    extension_unit = models.CharField(
        _("extension unit"), max_length=14, choices=Unit.choices, default=Unit.CALENDAR_DAYS
    )
    max_extensions = models.PositiveIntegerField(_("extensions allowed"), default=0)
    early_check_days = models.PositiveIntegerField(_("early check (days)"), null=True, blank=True)
    roll_forward = models.BooleanField(_("a term ending on a day off moves forward"), default=True)
    # The Military Ombudsman answers in 3 days instead of 10 when life or health is threatened
    # (LEGAL.md §5): the shorter term is its own row, chosen for a filing that says so.
    life_or_health_at_risk = models.BooleanField(
        _("only when the filing says life or health is at risk"),
        default=False,
        help_text=_(
            "Tick for the shorter term a law gives when life or health is threatened: it applies "
            "to filings marked so, and other filings to the same office get the rule without it."
        ),
    )

    # KAS art. 219 is a limit for filing a claim, which runs from learning of the violation; it
    # is not the court's answer term (LEGAL.md §5), so it never gives a filing its response due.
    clock = models.CharField(
        _("what the term limits"), max_length=12, choices=Clock.choices, default=Clock.RESPONSE
    )
    who_may_file = models.CharField(
        _("who may file"), max_length=12, choices=Signer.choices, default=Signer.ANYONE
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.TextField(_("source"), blank=True)
    verification = models.CharField(
        _("verification"),
        max_length=12,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("response rule")
        verbose_name_plural = _("response rules")
        ordering = ["jurisdiction", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rule_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def clean(self) -> None:
        """Terms within what the calendar engine computes (casework.rules.calendar bounds): a
        typo such as 99,999,999 days is shown next to its field instead of failing every
        filing that uses the rule."""
        errors: dict[str, ValidationError] = {}
        for field, unit in (("amount", self.unit), ("extension_amount", self.extension_unit)):
            value, limit = getattr(self, field), MAX_AMOUNT.get(unit)
            if value is not None and limit is not None and value > limit:
                errors[field] = ValidationError(
                    _("A term in %(unit)s can be at most %(limit)d."),
                    code="max_value",
                    params={"unit": self.Unit(unit).label, "limit": limit},
                )
        if self.max_extensions is not None and self.max_extensions > MAX_EXTENSIONS:
            errors["max_extensions"] = ValidationError(
                _("At most %(limit)d extensions."),
                code="max_value",
                params={"limit": MAX_EXTENSIONS},
            )
        for field in ("registration_lag_days", "ceiling_days", "early_check_days"):
            value = getattr(self, field)
            if value is not None and value > MAX_OFFSET_DAYS:
                errors[field] = ValidationError(
                    _("At most %(limit)d days."),
                    code="max_value",
                    params={"limit": MAX_OFFSET_DAYS},
                )
        if errors:
            raise ValidationError(errors)

    @property
    def is_verified(self) -> bool:
        return self.verification == Verification.VERIFIED


class JurisdictionCalendar(models.Model):
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, unique=True
    )
    public_holidays_observed = models.BooleanField(_("public holidays are days off"), default=True)
    published_through_year = models.PositiveIntegerField(
        _("official calendar published through year")
    )

    class Meta:
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")

    def __str__(self) -> str:
        return self.jurisdiction


class CalendarOverride(models.Model):
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    day = models.DateField(_("day"))
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "day"], name="override_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.day.isoformat()}"


class EscalationStep(models.Model):
    """One rung of a ladder (LEGAL.md section 3): what to file next, and with whom."""

    class Trigger(models.TextChoices):
        OVERDUE = "overdue", _("no answer by the deadline")
        REFUSED = "refused", _("refused or formal reply")
        ANY = "any", _("overdue or refused")
        # The first rung: proposed when an exchange brings the man back (no filing before it).
        RELEASED = "released", _("when he comes back from captivity")

    ladder = models.CharField(_("ladder"), max_length=4)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=Jurisdiction.choices)
    position = models.PositiveIntegerField(_("step"))
    from_office_kind = models.CharField(
        _("after a filing to"),
        max_length=32,
        choices=OfficeKind.choices,
        blank=True,
        help_text=_("Empty for a first rung, proposed when he comes back from captivity."),
    )
    to_office_kind = models.CharField(_("file with"), max_length=32, choices=OfficeKind.choices)
    filing_kind = models.CharField(_("filing kind"), max_length=20, choices=FilingKind.choices)
    signer = models.CharField(
        _("signed by"),
        max_length=12,
        choices=[("serviceman", _("serviceman")), ("family", _("family member"))],
    )
    trigger = models.CharField(
        _("when"), max_length=8, choices=Trigger.choices, default=Trigger.ANY
    )
    description = models.TextField(_("description"), blank=True)
    verification = models.CharField(
        _("verification"),
        max_length=12,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["jurisdiction", "ladder", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "from_office_kind", "to_office_kind", "filing_kind"],
                name="ladder_step_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ladder}.{self.position}"
