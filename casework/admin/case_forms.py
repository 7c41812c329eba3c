"""The case page's form: closing asks what becomes of the case's live clocks.

A case closed with an open or missed clock would keep the clock forever (retention never erases
live work) and nobody would be reminded of it either. So when the status is set to closed and
the case has one, the form asks: cancel them, giving the reason, or keep the case open. Without
JavaScript: the choice is on the page for every case that has live clocks, and an unanswered
closing comes back with the question next to it and nothing saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.models import Case
from casework.selectors import case_live_deadlines

CANCEL = "cancel"
KEEP_OPEN = "keep_open"
CLOSING_FIELDS = ("clocks_on_closing", "clocks_cancel_reason")


def closing_question(count: int) -> str:
    return ngettext(
        "This case has %(count)d open or missed clock. If you close the case, choose what "
        "becomes of it.",
        "This case has %(count)d open or missed clocks. If you close the case, choose what "
        "becomes of them.",
        count,
    ) % {"count": count}


class CaseAdminForm(forms.ModelForm):
    clocks_on_closing = forms.ChoiceField(
        label=_("When closing, its clocks"),
        choices=[
            (CANCEL, _("Cancel them, for the reason below")),
            (KEEP_OPEN, _("Keep the case open (the clocks keep running)")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    clocks_cancel_reason = forms.CharField(
        label=_("Why the clocks are cancelled"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        max_length=1000,
        required=False,
    )

    class Meta:
        model = Case
        fields = ("status",)  # the admin passes the page's own fields (its fieldsets)

    # Set by clean(): the user chose to keep the case open, so its status stays as stored.
    kept_open = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        stored = self.instance.status  # the instance takes the form's values only after clean()
        closing = (
            self.instance.pk is not None
            and cleaned.get("status") == Case.Status.CLOSED
            and stored != Case.Status.CLOSED
        )
        if not closing:
            return cleaned
        live = case_live_deadlines(self.instance).count()
        if not live:
            return cleaned
        choice = cleaned.get("clocks_on_closing")
        if choice == KEEP_OPEN:
            cleaned["status"], self.kept_open = stored, True
        elif choice == CANCEL and not cleaned.get("clocks_cancel_reason", "").strip():
            self.add_error("clocks_cancel_reason", _("Give the reason the clocks are cancelled."))
        elif choice != CANCEL:
            self.add_error("clocks_on_closing", closing_question(live))
        return cleaned

    @property
    def cancel_clocks_reason(self) -> str | None:
        """The reason to cancel the live clocks with, when the user chose to."""
        if self.cleaned_data.get("clocks_on_closing") != CANCEL:
            return None
        return str(self.cleaned_data.get("clocks_cancel_reason", "")).strip() or None
