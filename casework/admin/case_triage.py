"""Finding and triaging cases on the case list: search by reference, "assigned to" (with "my
cases"), and a coordinator's bulk actions (assign, move to a team, set the status, mark
triaged), each one `case_triage` call per case, audited per case.

A reference is not personal data, so it may go in the list's `?q=`; a name never does (the name
search is a POST of its own), so the search box finds references only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from casework import permissions
from casework.admin.base import acting_user
from casework.exceptions import CaseworkError
from casework.models import Case
from casework.references import reference_normalise, reference_typed
from casework.selectors import assignable_users, teams_ordered
from casework.services.cases import TRIAGE_STATUSES, case_triage

SEARCH_HELP = gettext_lazy(
    "A case reference such as K7M4-QX2P, with or without the dash. To find a person by name use "
    "“Search by name”: what is typed here stays in the page's address."
)


def cases_with_reference(queryset: QuerySet[Case], term: str) -> QuerySet[Case]:
    """The case with this reference however it was typed (case, dash, Cyrillic look-alikes)."""
    if not term.strip():
        return queryset
    if not reference_typed(term):  # the browser refuses these already; a crafted address too
        return queryset.none()
    return queryset.filter(reference=reference_normalise(term))


class AssignedToFilter(admin.SimpleListFilter):
    title = gettext_lazy("assigned to")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        people = assignable_users().values_list("pk", "username")
        return [
            ("me", gettext_lazy("me (my cases)")),
            ("none", gettext_lazy("nobody")),
            *((str(pk), username) for pk, username in people),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user.pk)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee=value)
        return queryset


# --- Bulk actions -------------------------------------------------------------------------------


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("assign to"), queryset=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("move to the team"), queryset=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_ordered()  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("set the status to"),
        choices=[(status.value, status.label) for status in TRIAGE_STATUSES],
        help_text=gettext_lazy("A case is closed on its own page, where its open clocks are seen."),
    )


def _triage_each(
    request: HttpRequest, queryset: QuerySet[Case], **change: Any
) -> tuple[int, list[str]]:
    """`case_triage` for each selected case, each in its own transaction: one refusal (a case
    another coordinator just merged) does not undo the others."""
    changed, refused = 0, []
    for case in queryset.order_by("pk"):
        try:
            changed += case_triage(case=case, actor=acting_user(request), **change)
        except CaseworkError:
            refused.append(case.reference)
    return changed, refused


def _report(request: HttpRequest, changed: int, refused: list[str]) -> None:
    messages.success(
        request,
        ngettext("%(count)d case changed.", "%(count)d cases changed.", changed)
        % {"count": changed},
    )
    if refused:
        messages.warning(
            request,
            _("Not changed (no longer yours to change): %(references)s")
            % {"references": ", ".join(refused)},
        )


def _bulk(
    name: str, description: Any, form_class: type[forms.Form], title: Any
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet[Case]], HttpResponse | None]:
    """An action that first asks for its value on a page of its own, then applies it. The form's
    one field is named as `case_triage`'s keyword it sets."""

    def action(
        model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Case]
    ) -> HttpResponse | None:
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _report(request, *_triage_each(request, queryset, **form.cleaned_data))
            return None  # back to the list, which shows the messages
        return TemplateResponse(
            request,
            "admin/casework/case/bulk_action.html",
            {
                **model_admin.admin_site.each_context(request),
                "title": title,
                "subtitle": None,
                "opts": model_admin.opts,
                "form": form,
                "cases": queryset.order_by("pk").values_list("reference", flat=True),
                "selected": queryset.values_list("pk", flat=True),
                "action": request.POST.get("action", ""),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    action.__name__ = name  # the admin tells actions apart by name
    return admin.action(description=description)(action)


assign_selected = _bulk(
    "assign_selected", gettext_lazy("Assign to a person…"), AssignForm, gettext_lazy("Assign cases")
)
move_selected = _bulk(
    "move_selected",
    gettext_lazy("Move to a team…"),
    TeamForm,
    gettext_lazy("Move cases to a team"),
)
set_status_selected = _bulk(
    "set_status_selected",
    gettext_lazy("Set the status…"),
    StatusForm,
    gettext_lazy("Set the status"),
)


@admin.action(description=gettext_lazy("Mark triaged (new → active)"))
def mark_triaged(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Case]
) -> None:
    waiting = queryset.filter(status__in=[Case.Status.NEW, Case.Status.TRIAGE])
    _report(request, *_triage_each(request, waiting, status=Case.Status.ACTIVE))


TRIAGE_ACTIONS = (assign_selected, move_selected, set_status_selected, mark_triaged)


def triage_actions_for(request: HttpRequest, actions: dict[str, Any]) -> dict[str, Any]:
    """The list's actions for this user: the triage ones only for those who may triage."""
    if permissions.may(request.user, permissions.Action.CASE_TRIAGE):
        return actions
    names = {action.__name__ for action in TRIAGE_ACTIONS}
    return {name: value for name, value in actions.items() if name not in names}
