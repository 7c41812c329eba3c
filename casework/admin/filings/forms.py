"""The forms of the filing and deadline pages: one per transition, each a plain Django form."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from casework.admin.base import OnceForm
from casework.models import (
    Attachment,
    AuthorityOffice,
    Case,
    DocumentShare,
    Filing,
    FilingKind,
    GeneratedDocument,
)
from casework.selectors import (
    document_shares_of_filing,
    offices_active,
)
from casework.services.attachments import Upload
from casework.uploads import MAX_BYTES, UploadRejected, validate_upload


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _secret_input() -> forms.TextInput:
    # The browser must not remember or suggest these numbers.
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 30})


class OfficeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()} ({obj.jurisdiction})"


class ScanField(forms.FileField):
    """One scan or photo (JPEG, PNG, HEIC or PDF), checked by its content as a family's file
    is; cleans to an `Upload`, or None when no file was chosen. The view reads the body with
    the bounded memory handler (portal/upload_handlers.py): a scan never lands in a plain
    temporary file."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"accept": "image/jpeg,image/png,image/heic,image/heif,application/pdf,.heic,.heif"}
        )

    def clean(self, data: Any, initial: Any = None) -> Upload | None:
        if not data:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        if (data.size or 0) > MAX_BYTES or getattr(data, "over_limit", False):
            raise ValidationError(_("This file is larger than 10 MB."))
        content = data.read()
        try:
            kind = validate_upload(content)
        except UploadRejected as exc:
            raise ValidationError(exc.message) from exc
        return Upload(data=content, kind=kind, filename=data.name or "")


class ScanUploadForm(forms.Form):
    """A staff upload to a case or a filing: what the paper is, and its scan."""

    document_kind = forms.ChoiceField(label=_("document"), choices=Attachment.DocumentKind.choices)
    scan = ScanField(label=_("scan or photo"), required=True)


# --- Forms, one per transition ----------------------------------------------------------------


class FilingCreateForm(OnceForm):
    case_reference = forms.CharField(
        label=_("case"), max_length=12, help_text=_("The case reference, e.g. K7M4-QX2P.")
    )
    office = OfficeChoiceField(label=_("office"), queryset=AuthorityOffice.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=FilingKind.choices)
    signer = forms.ChoiceField(label=_("signed by"), choices=Filing.Signer.choices)
    life_or_health_at_risk = forms.BooleanField(
        label=_("life or health at risk"),
        required=False,
        help_text=_(
            "Tick when the filing says his life or health is threatened: an office that must "
            "then answer sooner (the Military Ombudsman: 3 days instead of 10) gets that term."
        ),
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(
        self, *args: Any, cases: QuerySet[Case], jurisdiction: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cases = cases
        offices = offices_active()
        if jurisdiction:  # the case is known: only its country's authorities are offered
            offices = offices.filter(jurisdiction=jurisdiction)
        self.fields["office"].queryset = offices  # type: ignore[attr-defined]

    def clean_case_reference(self) -> Case:
        reference = self.cleaned_data["case_reference"].strip().upper()
        case = self.cases.filter(reference=reference).first()
        if case is None:
            raise ValidationError(_("No case with this reference."))
        return case


class SentForm(forms.Form):
    sent_on = forms.DateField(label=_("sent on"), widget=_date_input())
    method = forms.ChoiceField(label=_("method"), choices=Filing.Method.choices)
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=60,
        required=False,
        widget=_secret_input(),
        help_text=_("Required for registered mail."),
    )
    received_on = forms.DateField(
        label=_("received by the authority on"),
        required=False,
        widget=_date_input(),
        help_text=_("If known. Until then the clock assumes receipt on the sending day."),
    )
    at_time = forms.TimeField(
        label=_("at (time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "For a term in hours (a Ukrainian рапорт: 48 hours): when it was handed in or "
            "submitted in Армія+, in the office's local time, on the day received (or sent). "
            "Without it, a past day counts from its start, so the clock runs early, never late."
        ),
    )
    proof = ScanField(
        label=_("scan of the post office receipt"),
        help_text=_("Registered mail needs it, or the reason below. A photo will do."),
    )
    proof_to_follow = forms.CharField(
        label=_("or: why the proof follows later"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
        help_text=_("e.g. the receipt is with the mother; upload it on the filing page later."),
    )

    def for_filing(self, filing: Filing) -> None:
        """Only the ways this office can be reached (Армія+ is for Ukrainian offices)."""
        allowed = Filing.METHODS_BY_JURISDICTION.get(filing.office.jurisdiction, ())
        field = cast(forms.ChoiceField, self.fields["method"])
        field.choices = [(m.value, m.label) for m in Filing.Method if m.value in allowed]


class RegistrationForm(forms.Form):
    registration_number = forms.CharField(
        label=_("incoming number"), max_length=60, widget=_secret_input()
    )
    registered_on = forms.DateField(label=_("registered on"), widget=_date_input())


class ExtensionForm(forms.Form):
    notice_on = forms.DateField(label=_("extension notice dated"), widget=_date_input())
    extended_to = forms.DateField(
        label=_("new date the notice names"),
        widget=_date_input(),
        help_text=_(
            "The answer is now due on this day. A date later than the rule allows is not "
            "taken: the clock stays at the longest term the rule gives."
        ),
    )


class CourtLimitForm(forms.Form):
    known_on = forms.DateField(
        label=_("the violation became known on"),
        widget=_date_input(),
        help_text=_(
            "The day he learned of the refusal or of the missed answer: the claim must be "
            "filed within the limit that runs from it (KAS art. 219: 3 months)."
        ),
    )


class ResponseForm(forms.Form):
    answered_on = forms.DateField(label=_("answered on"), widget=_date_input())
    outcome = forms.ChoiceField(label=_("outcome"), choices=Filing.Outcome.choices)
    forwarded_to = OfficeChoiceField(
        label=_("forwarded to"),
        queryset=AuthorityOffice.objects.none(),
        required=False,
        help_text=_("Only when the authority forwarded it: a new clock starts there."),
    )
    answer = ScanField(
        label=_("scan of the answer letter"),
        help_text=_("Keep the answer on file: a complaint or a court asks for it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forwarded_to"].queryset = offices_active()  # type: ignore[attr-defined]


class UploadForm(ScanUploadForm):
    """A scan added to the filing afterwards (a receipt that followed, a delivery notice)."""


class EscalateForm(forms.Form):
    """Posting it is the confirmation; the page shows what would be proposed."""


class VvkResultForm(forms.Form):
    board_date = forms.DateField(label=_("board date"), widget=_date_input())
    category = forms.ChoiceField(label=_("fitness category"), choices=Filing.Category.choices)
    conclusion = forms.CharField(
        label=_("board conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    def for_filing(self, filing: Filing) -> None:
        """Only the outcomes a board of the case's country gives (Ukraine has no А–Д)."""
        allowed = filing.fitness_categories()
        field = cast(forms.ChoiceField, self.fields["category"])
        field.choices = [(c.value, c.label) for c in Filing.Category if c.value in allowed]


class DiscardForm(forms.Form):
    """Posting it is the confirmation."""


class DocumentForm(OnceForm):
    """Posting it asks for a new draft from the template in force now (a repeat asks once)."""


class ShareForm(forms.Form):
    """A ready draft of this filing to the family's status page for some days."""

    document = forms.IntegerField(widget=forms.HiddenInput)
    days = forms.IntegerField(
        label=_("days on the family's page"),
        min_value=1,
        initial=14,
        widget=forms.NumberInput(attrs={"size": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = cast(forms.IntegerField, self.fields["days"])
        days.max_value = settings.SHARE_MAX_DAYS
        days.validators.append(MaxValueValidator(settings.SHARE_MAX_DAYS))
        days.widget.attrs["max"] = settings.SHARE_MAX_DAYS
        self.filing: Filing | None = None

    def for_filing(self, filing: Filing) -> None:
        self.filing = filing

    def clean_document(self) -> GeneratedDocument:
        assert self.filing is not None
        document = self.filing.documents.filter(
            pk=self.cleaned_data["document"], state=GeneratedDocument.State.READY
        ).first()
        if document is None:
            raise ValidationError(_("Choose a ready draft of this filing."))
        return document


class WithdrawShareForm(forms.Form):
    """Posting it takes the draft off the family's page at once."""

    share = forms.UUIDField(widget=forms.HiddenInput)

    def for_filing(self, filing: Filing) -> None:
        self.filing = filing

    def clean_share(self) -> DocumentShare:
        share = (
            document_shares_of_filing(filing=self.filing)
            .filter(public_id=self.cleaned_data["share"])
            .first()
        )
        if share is None:
            raise ValidationError(_("This draft is no longer on the family's page."))
        return share


class HandOverForm(forms.Form):
    responsible: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Who answers for it now"),
        queryset=None,
        help_text=_("Only people who can open this case are listed."),
    )

    def __init__(self, *args: Any, candidates: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = candidates
