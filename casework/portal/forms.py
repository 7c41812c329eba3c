"""Forms of the family pages: plain words, short help, errors next to their fields.

Every check that can fail for a family is a form error (translated, input kept), never a 500:
the anti-spam checks (honeypot, signed start time) and file checks included.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import date
from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.approximate_dates import ApproximateDateField
from casework.models import Applicant, Serviceman
from casework.references import reference_normalise
from casework.services.access_codes import (
    access_code_is_well_formed,
    access_code_normalise,
)
from casework.services.attachments import Upload
from casework.services.intake import IntakeAnswers, Want
from casework.uploads import MAX_BYTES, MAX_FILES, UploadRejected, validate_upload

_STAMP_SALT = "casework.portal.intake"
_PHONE_DIGITS = re.compile(r"\d")
_PHONE_CHARACTERS = re.compile(r"[\d\s+()\-.]+")
TEXT_LIMIT = 5000

# Which states a family can choose; the others are for caseworkers.
STATUS_CHOICES = [
    ("", _("I don't know / other")),
    (Serviceman.Status.MISSING, _("missing")),
    (Serviceman.Status.CAPTIVE, _("in captivity")),
    (Serviceman.Status.RELEASED, _("released from captivity")),
    (Serviceman.Status.REDEPLOYED, _("sent back to the front")),
    (Serviceman.Status.HOSPITALISED, _("in hospital")),
    (Serviceman.Status.SERVING, _("serving")),
]
SERVICE_TYPE_CHOICES = [
    ("", _("I don't know")),
    (Serviceman.ServiceType.MOBILISED, _("mobilised")),
    (Serviceman.ServiceType.CONTRACT, _("under contract")),
    (Serviceman.ServiceType.CONSCRIPT, _("conscript")),
    (Serviceman.ServiceType.VOLUNTEER, _("volunteer")),
]
JURISDICTION_CHOICES = [
    ("", _("I don't know")),
    ("RU", _("the Russian army")),
    ("UA", _("the Ukrainian army")),
]
RELATIONSHIP_CHOICES = [("", _("Please choose")), *Applicant.Relationship.choices]


def form_stamp(token: str | None = None, *, shown_at: float | None = None) -> str:
    """A signed start time and submission token for a fresh form (a new token unless given)."""
    shown = int(time.time() if shown_at is None else shown_at)
    return signing.dumps({"t": shown, "k": token or secrets.token_urlsafe(24)}, salt=_STAMP_SALT)


def read_stamp(value: str) -> tuple[str, float] | None:
    """(token, seconds since the form was shown), or None if the stamp is not ours."""
    try:
        data = signing.loads(value, salt=_STAMP_SALT)
        return str(data["k"]), time.time() - float(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


class _SharedFields(dict):  # type: ignore[type-arg]
    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)  # a dict of its own per form, holding the same field objects


FormClass = TypeVar("FormClass", bound=type[forms.Form])


def shared_fields(form_class: FormClass) -> FormClass:
    """Let every instance of a form share its declared fields instead of deep-copying them.

    Django copies each field, widget and list of choices (with its translated labels) for every
    form it builds, so that a form may change its own fields; copying the intake form's thirty
    fields was most of the cost of reading a submission. Only for forms that never change a
    field after the class is defined (no per-instance choices, widgets or `required`).
    """
    for name, field in form_class.base_fields.items():
        # Django gives these a copy of their own per form (a fresh queryset, copied sub-fields).
        if isinstance(field, forms.ModelChoiceField | forms.MultiValueField):
            raise TypeError(f"{form_class.__name__}.{name} cannot be shared between forms")
    form_class.base_fields = _SharedFields(form_class.base_fields)
    return form_class


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Up to MAX_FILES files, each checked by its content (the name and type sent are ignored)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"accept": "image/jpeg,image/png,image/heic,image/heif,application/pdf,.heic,.heif"}
        )

    def clean(self, data: Any, initial: Any = None) -> list[Upload]:
        files: list[UploadedFile] = [f for f in (data or []) if f]
        if not files:
            return []
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("Please send at most %(count)d files at a time."), params={"count": MAX_FILES}
            )
        uploads, errors = [], []
        for upload in files:
            name = (upload.name or "")[:80]
            if (upload.size or 0) > MAX_BYTES or getattr(upload, "over_limit", False):
                errors.append(
                    ValidationError(
                        _("%(name)s: this file is larger than 10 MB."), params={"name": name}
                    )
                )
                continue
            data = upload.read()
            try:
                kind = validate_upload(data)
            except UploadRejected as exc:
                errors.append(
                    ValidationError(
                        "%(name)s: %(problem)s", params={"name": name, "problem": exc.message}
                    )
                )
                continue
            uploads.append(Upload(data=data, kind=kind, filename=upload.name or ""))
        if errors:
            raise ValidationError(errors)
        return uploads


def _text(label: Any, help_text: Any = "", max_length: int = 200, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, max_length=max_length, required=False, **kwargs
    )


def _long_text(label: Any, help_text: Any = "", max_length: int = TEXT_LIMIT) -> forms.CharField:
    field = _text(label, help_text, max_length, widget=forms.Textarea(attrs={"rows": 4}))
    # A browser silently cuts a pasted account at `maxlength`; without it the whole text is
    # sent and the form comes back with it kept and an error saying how long it may be. Set
    # here, at class definition: the intake form's fields are shared between instances.
    field.widget.attrs.pop("maxlength", None)
    return field


def _date(label: Any, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=False,
        # A browser without a date picker sends what was typed: accept the usual local forms.
        input_formats=["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@shared_fields
class IntakeForm(forms.Form):
    token = ""  # the submission token, once the signed stamp has been checked

    # About you (the only required block).
    name = forms.CharField(
        label=_("How should we address you?"),
        help_text=_("A first name is enough. It does not have to be your real name."),
        max_length=200,
    )
    legal_name = _text(
        _("Your full name as in your passport (optional)"),
        _(
            "Only needed on a complaint we prepare for you to sign: a state body does not "
            "answer an unsigned or anonymous letter. You can give it to your caseworker later."
        ),
        max_length=300,
    )
    relationship = forms.ChoiceField(label=_("Who are you to him?"), choices=RELATIONSHIP_CHOICES)
    channel = forms.ChoiceField(
        label=_("How can we contact you safely?"),
        choices=Applicant.Channel.choices,
        widget=forms.RadioSelect,
    )
    contact = _text(
        _("Your number, username or email for that"),
        _("Only for the way you chose above. Not needed if we should not contact you."),
    )
    may_call = forms.BooleanField(label=_("You may call me"), required=False)
    safe_hours = _text(
        _("When is it safe to contact you?"),
        _("For example: weekdays after 19:00, Moscow time."),
    )
    # Families who lost their code write again: this lets a caseworker add the new form to the
    # case they have. Never checked here, so the answer is the same whatever is typed.
    given_reference = _text(
        _("I already have a case number (optional)"),
        _(
            "If you have written to us before, give its case number, for example K7M4-QX2P. "
            "A caseworker will add this form to your case instead of opening a new one."
        ),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    # About him.
    surname = _text(_("His surname"), max_length=100)
    given_name = _text(_("His first name"), max_length=100)
    patronymic = _text(_("His patronymic"), max_length=100)
    birth_date = _date(_("His date of birth"), _("Day, month and year, for example 05.03.1999."))
    jurisdiction = forms.ChoiceField(
        label=_("He serves in"), choices=JURISDICTION_CHOICES, required=False
    )
    unit = _text(_("His unit"), _("The unit number, for example в/ч 12345, if you know it."), 100)
    rank = _text(_("His rank"), max_length=100)
    service_type = forms.ChoiceField(
        label=_("How does he serve?"), choices=SERVICE_TYPE_CHOICES, required=False
    )
    status = forms.ChoiceField(
        label=_("Where is he now, as far as you know?"), choices=STATUS_CHOICES, required=False
    )
    # Dates a family rarely knows to the day: a month, a season or a year is kept as such.
    captured_on = ApproximateDateField(label=_("Taken prisoner on"), earliest=2014)
    released_on = ApproximateDateField(label=_("Released or exchanged on"), earliest=2014)
    redeployed_on = ApproximateDateField(label=_("Sent back to the front on"), earliest=2014)
    current_location = _long_text(
        _("Where is he now?"), _("A town, a unit, a hospital. Only if you know."), 1000
    )
    # Health.
    injuries = _long_text(_("Wounds or illness"), max_length=2000)
    hospital = _text(_("Hospital, if he is or was in one"), max_length=300)
    hospitalised_on = ApproximateDateField(label=_("In hospital since"), earliest=2014)
    mental_state = _long_text(_("How is he coping?"), _("Sleep, mood, how he talks to you."), 2000)
    urgent_risk = forms.BooleanField(
        label=_(
            "He has talked about suicide, has hurt himself, or his life is in danger right now"
        ),
        required=False,
    )
    # What happened and what the family wants.
    what_happened = _long_text(
        _("What happened?"), _("In your own words. Dates and places help us most.")
    )
    wants = forms.MultipleChoiceField(
        label=_("What would you like?"),
        choices=Want.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    wants_other = _long_text(_("Anything else he or you want"), max_length=2000)
    uploads = FilesField(
        label=_("Documents or photos"),
        help_text=_("Up to 10 files, 10 MB each: photos (JPEG, PNG, HEIC) or PDF documents."),
    )
    consent = forms.BooleanField(
        label=_("I agree that you keep what I have written to help with this case."),
        error_messages={"required": _("We can only accept the form with your agreement.")},
    )
    consent_collective = forms.BooleanField(
        label=_("We agree to be named in a collective complaint."),
        help_text=_("Not required. You can change your mind at any time on the status page."),
        required=False,
    )
    # Anti-spam: a signed start time (with the submission token) and a field people never see.
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_contact(self) -> str:
        contact: str = self.cleaned_data.get("contact", "")
        channel = self.cleaned_data.get("channel")
        if not channel or channel == Applicant.Channel.NONE:
            return contact
        if not contact:
            raise ValidationError(
                _("Please tell us where to reach you, or choose not to be contacted.")
            )
        if channel == Applicant.Channel.EMAIL:
            try:
                validate_email(contact)
            except ValidationError:
                raise ValidationError(_("This does not look like an email address.")) from None
        elif channel in (Applicant.Channel.PHONE, Applicant.Channel.SMS):
            digits = len(_PHONE_DIGITS.findall(contact))
            if not _PHONE_CHARACTERS.fullmatch(contact) or not 7 <= digits <= 15:
                raise ValidationError(_("This does not look like a phone number."))
        return contact

    def clean_given_reference(self) -> str:
        # Whatever was typed, tidied as the status page tidies a reference; at most 20 letters.
        return reference_normalise(self.cleaned_data.get("given_reference", ""))[:20]

    def clean_birth_date(self) -> date | None:
        return _past_date(self.cleaned_data.get("birth_date"), earliest=1930)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        captured, released = cleaned.get("captured_on"), cleaned.get("released_on")
        # Rough dates overlap unless even the end of one period is before the start of the other.
        if captured and released and released.end < captured.start:
            self.add_error("released_on", _("This date is before the date he was taken prisoner."))
        if cleaned.get("website"):
            raise ValidationError(
                _("We could not accept the form. Please check it and press Send again."),
                code="spam",
            )
        stamp = read_stamp(str(self.data.get("started", "")))
        if stamp is None or stamp[1] > settings.INTAKE_FORM_MAX_AGE_SECONDS:
            raise ValidationError(
                _(
                    "This page was open for a long time. Everything you typed is still here: "
                    "please check it and press Send again."
                ),
                code="stale",
            )
        token, age = stamp
        if age < settings.INTAKE_MIN_SECONDS:
            raise ValidationError(
                _(
                    "That was quicker than we expected. Please check your answers and press "
                    "Send again."
                ),
                code="too_fast",
            )
        self.token = token
        return cleaned

    def data_for_redisplay(self) -> Any:
        """The posted data to show again: a fresh stamp if it went stale, no honeypot value.

        A person whose browser filled the hidden field could never see or clear it otherwise.
        """
        data = cast(QueryDict, self.data).copy()
        data["website"] = ""
        if self.has_error(NON_FIELD_ERRORS, code="stale"):
            data["started"] = form_stamp()
        return data

    def answers(self, language: str) -> IntakeAnswers:
        data = self.cleaned_data
        fields = IntakeAnswers.__dataclass_fields__
        values = {name: data[name] for name in fields if name in data}
        values["wants"] = tuple(data.get("wants") or ())
        return IntakeAnswers(**values, language=language)


def _past_date(value: date | None, *, earliest: int) -> date | None:
    if value is None:
        return None
    if value > timezone.now().date():
        raise ValidationError(_("This date is in the future."))
    if value.year < earliest:
        raise ValidationError(_("Please check the year."))
    return value


class ReceiptConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    written_down = forms.BooleanField(
        label=_("I have written down the reference and the code"),
        error_messages={"required": _("Please tick this once you have written them down.")},
    )


class StatusLoginForm(forms.Form):
    reference = forms.CharField(
        label=_("Case reference"),
        help_text=_("8 letters and digits, for example K7M4-QX2P."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    code = forms.CharField(
        label=_("Access code"),
        help_text=_("16 digits. Spaces do not matter."),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_reference(self) -> str:
        reference = reference_normalise(self.cleaned_data["reference"])
        if not re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", reference):
            raise ValidationError(_("A reference has 8 letters and digits, like K7M4-QX2P."))
        return reference

    def clean_code(self) -> str:
        code = access_code_normalise(self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{16}", code):
            raise ValidationError(_("The access code has 16 digits. Please check it."))
        if not access_code_is_well_formed(code):
            # The Luhn digit catches most typos; this costs the family no attempt.
            raise ValidationError(
                _("There seems to be a typo in the code. Please check each digit.")
            )
        return code


class StatusAddForm(forms.Form):
    text = _long_text(
        _("What would you like to add?"),
        _("New facts, dates, an answer from an authority, a change in how to reach you."),
    )
    uploads = FilesField(
        label=_("Documents or photos"),
        help_text=_("Up to 10 files, 10 MB each: photos (JPEG, PNG, HEIC) or PDF documents."),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("text") and not cleaned.get("uploads"):
            raise ValidationError(_("Please write something or choose a file."))
        return cleaned


class CollectiveConsentForm(forms.Form):
    agrees = forms.BooleanField(required=False)
