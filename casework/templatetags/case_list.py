"""The case list's rows, written out by CaseAdmin.list_rows instead of cell by cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.views.main import ChangeList

from casework.references import REFERENCE_INPUT_PATTERN

if TYPE_CHECKING:
    from casework.admin.cases import CaseAdmin

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def case_result_list(cl: ChangeList) -> dict[str, Any]:
    """What Django's `result_list` tag gives its template, with each row as one ready cell run."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [[row] for row in cast("CaseAdmin", cl.model_admin).list_rows(cl)],
    }


@register.simple_tag
def reference_pattern() -> str:
    """The pattern the case list's search box accepts (references only, never a name)."""
    return REFERENCE_INPUT_PATTERN
