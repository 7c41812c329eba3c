"""The case page's working boxes after its main form: the dated facts (the chronology) and the
follow-ups. Each box posts to a view of its own, which calls one service; the case page's own
view is what is audited as a read (the boxes show nothing the page does not).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from casework import permissions
from casework.admin.base import DATE_INPUT_FORMATS, AuditedModelAdmin, acting_user
from casework.admin.dashboard import dashboard_forget
from casework.exceptions import CaseworkError
from casework.formats import JURISDICTION_TIME_ZONES, format_due, zone
from casework.models import Case, CaseFact
from casework.selectors import (
    case_current_place,
    case_facts,
    case_follow_ups,
    users_who_see_case,
)
from casework.services.facts import fact_add, fact_use_set
from casework.services.follow_ups import follow_up_add, follow_up_close


class FactForm(forms.Form):
    """One line: what, when (and how exact), the fact, where it comes from, for documents?"""

    kind = forms.ChoiceField(label=_("what"), choices=CaseFact.Kind.choices)
    happened_on = forms.DateField(
        label=_("when"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    precision = forms.ChoiceField(
        label=_("date is"), choices=CaseFact.Precision.choices, initial=CaseFact.Precision.DAY
    )
    text = forms.CharField(
        label=_("fact"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 40}),
        help_text=_("As it should read in a document: a place, a hospital, a board's finding."),
    )
    source = forms.CharField(
        label=_("source"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 24}),
        help_text=_("e.g. from the mother, by phone"),
    )
    use_in_documents = forms.BooleanField(label=_("use in documents"), required=False, initial=True)


def fact_date_shown(fact: CaseFact) -> str:
    """The date as exact as it is known, for the case page."""
    day = fact.happened_on
    if fact.precision == CaseFact.Precision.MONTH:
        return day.strftime("%m.%Y")
    if fact.precision == CaseFact.Precision.YEAR:
        return str(day.year)
    if fact.precision == CaseFact.Precision.ABOUT:
        return f"~{day:%d.%m.%Y}"
    return day.strftime("%d.%m.%Y")


class FollowUpForm(forms.Form):
    """A follow-up: what, when (in the zone of his country's offices), and who answers for it."""

    text = forms.CharField(
        label=_("what to do"),
        max_length=1000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 40}),
        help_text=_('Reminder emails never carry these words: only "follow-up" and the case.'),
    )
    due_on = forms.DateField(
        label=_("on"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    due_time = forms.TimeField(
        label=_("at"),
        initial=time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    responsible: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("who"), queryset=None, required=False, empty_label=_("me")
    )

    def __init__(self, *args: Any, candidates: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = candidates

    def due_at(self, time_zone: str | None) -> datetime:
        """The moment asked for, in the zone of the case's offices."""
        local = datetime.combine(self.cleaned_data["due_on"], self.cleaned_data["due_time"])
        return local.replace(tzinfo=zone(time_zone))


class CaseWorkbenchAdmin(AuditedModelAdmin):
    """CaseAdmin's base: the boxes' context and their views (kept apart from the case list and
    the main form, which are long enough)."""

    def facts_extra(self, request: HttpRequest, obj: Case) -> dict[str, Any]:
        place = case_current_place(obj)
        may_add = self.may_act(request, obj, permissions.Action.FACT_ADD)
        return {
            "facts": [(fact, fact_date_shown(fact)) for fact in case_facts(obj)],
            "current_place": place,
            "current_place_date": fact_date_shown(place) if place else "",
            "fact_form": FactForm() if may_add else None,
            "may_change_facts": self.may_act(request, obj, permissions.Action.FACT_CHANGE),
            "facts_url": reverse("admin:casework_case_facts", args=[obj.pk]),
        }

    def follow_ups_extra(self, request: HttpRequest, obj: Case) -> dict[str, Any]:
        time_zone = JURISDICTION_TIME_ZONES.get(obj.serviceman.jurisdiction)
        may_add = self.may_act(request, obj, permissions.Action.FOLLOW_UP_ADD)
        return {
            "follow_ups": [
                (deadline, format_due(deadline.due_at, time_zone), deadline.state_now())
                for deadline in case_follow_ups(obj)
            ],
            "follow_up_form": FollowUpForm(candidates=users_who_see_case(obj)) if may_add else None,
            "may_close_follow_ups": self.may_act(request, obj, permissions.Action.FOLLOW_UP_CLOSE),
            "follow_ups_url": reverse("admin:casework_case_follow_ups", args=[obj.pk]),
            "follow_up_zone": time_zone or "UTC",
        }

    def may_act(self, request: HttpRequest, obj: Case, action: permissions.Action) -> bool:
        return self.has_change_permission(request, obj) and permissions.may(request.user, action)

    @method_decorator(sensitive_post_parameters("text", "source"))
    @method_decorator(csrf_protect)
    def facts_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add a fact (the inline form) or mark one for documents or not."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        action = request.POST.get("action", "")
        needed = permissions.Action.FACT_ADD if action == "add" else permissions.Action.FACT_CHANGE
        case, answer = self.object_or_answer(
            request, object_id, lambda case: self.may_act(request, case, needed)
        )
        if answer is not None:
            return answer
        actor = acting_user(request)
        try:
            if action == "add":
                form = FactForm(request.POST)
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            self.message_user(request, str(error), messages.ERROR)
                else:
                    fact_add(case=case, actor=actor, **form.cleaned_data)
                    self.message_user(request, _("The fact is recorded."), messages.SUCCESS)
            elif action in ("use", "unuse"):
                fact_id = request.POST.get("fact", "")
                fact = case_facts(case).filter(pk=fact_id).first() if fact_id.isdigit() else None
                if fact is None:
                    self.message_user(request, _("No such fact."), messages.ERROR)
                else:
                    fact_use_set(fact=fact, actor=actor, use_in_documents=action == "use")
            else:
                return HttpResponseNotAllowed(["POST"])
        except CaseworkError as error:
            self.message_user(request, error.message, messages.ERROR)
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        return HttpResponseRedirect(f"{change_url}#case-facts")

    @method_decorator(sensitive_post_parameters("text"))
    @method_decorator(csrf_protect)
    def follow_ups_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add a follow-up, or close one (done, or no longer needed)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        action = request.POST.get("action", "")
        needed = (
            permissions.Action.FOLLOW_UP_ADD
            if action == "add"
            else permissions.Action.FOLLOW_UP_CLOSE
        )
        case, answer = self.object_or_answer(
            request, object_id, lambda case: self.may_act(request, case, needed)
        )
        if answer is not None:
            return answer
        actor = acting_user(request)
        try:
            if action == "add":
                form = FollowUpForm(request.POST, candidates=users_who_see_case(case))
                if not form.is_valid():
                    for errors in form.errors.values():
                        for error in errors:
                            self.message_user(request, str(error), messages.ERROR)
                else:
                    time_zone = JURISDICTION_TIME_ZONES.get(case.serviceman.jurisdiction)
                    follow_up_add(
                        case=case,
                        actor=actor,
                        due_at=form.due_at(time_zone),
                        text=form.cleaned_data["text"],
                        responsible=form.cleaned_data["responsible"],
                    )
                    dashboard_forget(form.cleaned_data["responsible"] or actor)
                    self.message_user(request, _("The follow-up is set."), messages.SUCCESS)
            elif action in ("done", "cancel"):
                deadline_id = request.POST.get("deadline", "")
                deadline = (
                    case_follow_ups(case).filter(pk=deadline_id).first()
                    if deadline_id.isdigit()
                    else None
                )
                if deadline is None:
                    self.message_user(request, _("No such follow-up."), messages.ERROR)
                else:
                    follow_up_close(deadline=deadline, actor=actor, done=action == "done")
                    dashboard_forget(deadline.responsible or actor)
            else:
                return HttpResponseNotAllowed(["POST"])
        except CaseworkError as error:
            self.message_user(request, error.message, messages.ERROR)
        change_url = reverse("admin:casework_case_change", args=[case.pk])
        return HttpResponseRedirect(f"{change_url}#case-follow-ups")
