"""People: teams, servicemen, the family members who write in, exchanges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.approximate_dates import ApproximateDate, DatePrecision, approximate_date_numeric
from casework.crypto import EncryptedCharField, EncryptedDateField, EncryptedTextField
from casework.references import new_reference


def serviceman_reference() -> str:
    return new_reference("S")


def applicant_reference() -> str:
    return new_reference("A")


class Jurisdiction(models.TextChoices):
    RU = "RU", _("Russia")
    UA = "UA", _("Ukraine")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    receives_intake = models.BooleanField(
        _("receives new intakes"), default=False, help_text=_("New family intakes land here.")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name  # a team name is organisational, not personal


class Exchange(models.Model):
    """A prisoner exchange; recording one wakes the matching "in captivity" cases."""

    happened_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The one-time token of the recording form: a double submit records (and wakes cases) once.
    # Not the date: two exchanges on one day happen.
    submission_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        ordering = ["-happened_on"]

    def __str__(self) -> str:
        return gettext("exchange of %(date)s") % {"date": self.happened_on.strftime("%d.%m.%Y")}


class Serviceman(models.Model):
    class ServiceType(models.TextChoices):
        MOBILISED = "mobilised", _("mobilised")
        CONTRACT = "contract", _("contract")
        CONSCRIPT = "conscript", _("conscript")
        VOLUNTEER = "volunteer", _("volunteer")
        UNKNOWN = "unknown", _("unknown")

    class Status(models.TextChoices):
        SERVING = "serving", _("serving")
        MISSING = "missing", _("missing")
        CAPTIVE = "captive", _("in captivity")
        RELEASED = "released", _("released")
        REDEPLOYED = "redeployed", _("sent back to the front")
        HOSPITALISED = "hospitalised", _("in hospital")
        DISCHARGED = "discharged", _("discharged")
        DECEASED = "deceased", _("deceased")
        UNKNOWN = "unknown", _("unknown")

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=serviceman_reference
    )
    surname = EncryptedCharField(_("surname"), max_length=100, blank=True)
    given_name = EncryptedCharField(_("given name"), max_length=100, blank=True)
    patronymic = EncryptedCharField(_("patronymic"), max_length=100, blank=True)
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True)
    unit_number = EncryptedCharField(_("unit"), max_length=100, blank=True)
    rank = EncryptedCharField(_("rank"), max_length=100, blank=True)
    service_type = models.CharField(
        _("service type"), max_length=12, choices=ServiceType.choices, default=ServiceType.UNKNOWN
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNKNOWN
    )
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, default=Jurisdiction.RU
    )
    # Dates a family may know only roughly: the first day of the period (encrypted, so it still
    # sorts and compares once read), its precision, and the words as typed (encrypted). See
    # casework/approximate_dates.py; APPROXIMATE_DATES names them.
    captured_on = EncryptedDateField(_("captured on"), null=True, blank=True)
    captured_on_precision = models.CharField(
        max_length=6, choices=DatePrecision.choices, default=DatePrecision.DAY, editable=False
    )
    captured_on_text = EncryptedCharField(max_length=60, blank=True, editable=False)
    released_on = EncryptedDateField(_("released on"), null=True, blank=True)
    released_on_precision = models.CharField(
        max_length=6, choices=DatePrecision.choices, default=DatePrecision.DAY, editable=False
    )
    released_on_text = EncryptedCharField(max_length=60, blank=True, editable=False)
    redeployed_on = EncryptedDateField(_("sent back to the front on"), null=True, blank=True)
    redeployed_on_precision = models.CharField(
        max_length=6, choices=DatePrecision.choices, default=DatePrecision.DAY, editable=False
    )
    redeployed_on_text = EncryptedCharField(max_length=60, blank=True, editable=False)
    hospitalised_on = EncryptedDateField(_("in hospital since"), null=True, blank=True)
    hospitalised_on_precision = models.CharField(
        max_length=6, choices=DatePrecision.choices, default=DatePrecision.DAY, editable=False
    )
    hospitalised_on_text = EncryptedCharField(max_length=60, blank=True, editable=False)
    places = EncryptedTextField(_("places"), blank=True)
    current_location = EncryptedTextField(_("where he is now"), blank=True)
    health_summary = EncryptedTextField(_("health"), blank=True)
    exchange = models.ForeignKey(
        Exchange, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("exchange")
    )
    # Keyed hashes (casework.crypto): lookups and grouping without plaintext. The key id sits
    # beside them so a key rotation knows which rows still need re-indexing.
    # The index key and given-name table the indexes were computed with (services/people.py).
    index_version = models.CharField(
        max_length=8,
        blank=True,
        editable=False,
        db_column="index_key_id",  # its first name
    )
    surname_index = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    surname_initial_index = models.CharField(
        max_length=16, blank=True, editable=False, db_index=True
    )
    surname_year_index = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    unit_index = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("serviceman")
        verbose_name_plural = _("servicemen")

    # The dates kept with a precision (each has `<name>_precision` and `<name>_text` beside it).
    APPROXIMATE_DATES = ("captured_on", "released_on", "redeployed_on", "hospitalised_on")

    def __str__(self) -> str:
        return self.reference

    def approximate_date(self, name: str) -> ApproximateDate | None:
        """One of APPROXIMATE_DATES with its precision and the words typed; None if unknown."""
        start = getattr(self, name)
        if start is None:
            return None
        precision = getattr(self, f"{name}_precision") or DatePrecision.DAY
        return ApproximateDate(start, precision, getattr(self, f"{name}_text"))

    def approximate_date_set(self, name: str, value: ApproximateDate | None) -> list[str]:
        """Set one of APPROXIMATE_DATES; the columns to save."""
        setattr(self, name, value.start if value else None)
        setattr(self, f"{name}_precision", value.precision if value else DatePrecision.DAY)
        setattr(self, f"{name}_text", value.text if value else "")
        return [name, f"{name}_precision", f"{name}_text"]

    @property
    def approximate_dates_shown(self) -> list[tuple[str, str]]:
        """(label, how it reads) for each known approximate date, for caseworkers: the words
        as the family typed them, and for a rough one its precision and period in digits."""
        shown = []
        for name in self.APPROXIMATE_DATES:
            value = self.approximate_date(name)
            if value is None:
                continue
            label = str(Serviceman._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
            digits = approximate_date_numeric(value.start, value.precision)
            if value.is_exact:
                shown.append((label, digits))
            else:
                precision = DatePrecision(value.precision).label
                typed = value.text or digits
                shown.append((label, f"{typed} ({_('approximately')}: {precision}, {digits})"))
        return shown

    @property
    def short_name(self) -> str:
        """Surname and initials, for lists where a full name is more than the task needs."""
        initials = "".join(f"{part[0]}." for part in (self.given_name, self.patronymic) if part)
        return f"{self.surname} {initials}".strip()


class Applicant(models.Model):
    """A family member who writes in, with how (and whether) it is safe to contact them."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("mother")
        FATHER = "father", _("father")
        WIFE = "wife", _("wife or partner")
        SISTER = "sister", _("sister")
        BROTHER = "brother", _("brother")
        CHILD = "child", _("son or daughter")
        OTHER = "other", _("other relative or friend")
        SELF = "self", _("the serviceman himself")

    class Channel(models.TextChoices):
        SIGNAL = "signal", _("Signal")
        TELEGRAM = "telegram", _("Telegram")
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone call")
        SMS = "sms", _("text message")
        NONE = "none", _("do not contact me; I will check the status page")

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=applicant_reference
    )
    serviceman = models.ForeignKey(
        Serviceman,
        on_delete=models.CASCADE,
        related_name="applicants",
        null=True,
        blank=True,
        verbose_name=_("serviceman"),
    )
    name = EncryptedCharField(_("name or how to address you"), max_length=200, blank=True)
    # The name a document to the state carries (59-FZ art. 7; Law 393/96 art. 5). Separate from
    # `name`, which the family may give as a nickname and which is never printed as a signature.
    legal_name = EncryptedCharField(
        _("full legal name for documents"),
        max_length=300,
        blank=True,
        help_text=_(
            "Surname, first name and patronymic as in the passport. Documents to the state are "
            "signed with this name; while it is empty, a draft leaves a line to fill in."
        ),
    )
    relationship = models.CharField(
        _("relationship"), max_length=10, choices=Relationship.choices, blank=True
    )
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    telegram = EncryptedCharField(_("Telegram"), max_length=100, blank=True)
    signal = EncryptedCharField(_("Signal"), max_length=100, blank=True)
    email = EncryptedCharField(_("email"), max_length=200, blank=True)
    address = EncryptedTextField(_("postal address"), blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, blank=True
    )
    may_call = models.BooleanField(_("may we call?"), default=False)
    safe_hours = EncryptedCharField(_("safe hours to contact"), max_length=200, blank=True)
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_collective = models.BooleanField(
        _("agrees to be named in a collective complaint"), default=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")

    def __str__(self) -> str:
        return self.reference


class GivenNameEquivalent(models.Model):
    """Spellings of one given name across Russian, Ukrainian and Latin (editable by staff)."""

    group = models.CharField(_("group"), max_length=40, db_index=True)
    spelling = models.CharField(_("spelling"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("given-name equivalent")
        verbose_name_plural = _("given-name equivalents")
        ordering = ["group", "spelling"]

    def __str__(self) -> str:
        return f"{self.group}: {self.spelling}"  # a dictionary word, not a person
