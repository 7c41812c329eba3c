"""What our speed-ups rely on inside Django, checked directly, so that an upgrade that changes it
fails here by name instead of quietly making a family's form slower or, worse, wrong.

Each speed-up, its measured gain and the bench command are in docs/benchmarks.md ("Speed-ups
that lean on Django internals"). If a test here fails after a Django upgrade, either adapt the
speed-up to the new internals or remove it (the bench shows what it costs to go without).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django import forms
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from django.template import engines
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils.datastructures import MultiValueDict

from casework.portal.forms import IntakeForm, shared_fields
from tests.portal_support import intake_post

# --- casework/portal/upload_handlers.py + multipart.py: the one-pass form reader ---------------


def test_a_request_reads_post_and_files_from_the_attributes_the_reader_fills(monkeypatch):
    """memory_uploads sets request._post and request._files; Django must take them as parsed."""

    def refuse(self: MultiPartParser) -> Any:
        raise AssertionError("Django parsed a body whose form was already read")

    monkeypatch.setattr(MultiPartParser, "parse", refuse)
    body = encode_multipart(BOUNDARY, {"name": "Галина"})
    request = RequestFactory().generic("POST", "/ru/intake/", body, content_type=MULTIPART_CONTENT)
    post, files = QueryDict("name=x"), MultiValueDict()
    request._post, request._files = post, files  # type: ignore[attr-defined]
    assert request.POST is post and request.FILES is files
    # And without them Django loads both in the one method the reader stands in for.
    assert callable(HttpRequest._load_post_and_files)  # type: ignore[attr-defined]
    fresh = RequestFactory().generic("POST", "/ru/intake/", body, content_type=MULTIPART_CONTENT)
    with pytest.raises(AssertionError, match="already read"):
        fresh.POST  # noqa: B018


def test_the_boundary_pattern_and_the_immutable_flag_the_reader_uses_are_there():
    assert isinstance(MultiPartParser.boundary_re, re.Pattern)
    assert MultiPartParser.boundary_re.fullmatch("----WebKitFormBoundary7MA4YWxkTrZu0gW")
    # Printable ASCII, not ending in a space: small_form accepts exactly what Django's parser does.
    assert not MultiPartParser.boundary_re.fullmatch("boundary ")
    assert not MultiPartParser.boundary_re.fullmatch("граница")
    post = QueryDict(mutable=True)
    post["name"] = "x"
    post._mutable = False  # as small_form leaves it, like Django's parser
    with pytest.raises(AttributeError, match="immutable"):
        post["name"] = "y"


# --- casework/portal/forms.py: form instances sharing their field objects ----------------------


def test_a_form_gets_its_fields_by_deep_copying_base_fields():
    """shared_fields replaces base_fields with a dict whose deep copy keeps the field objects."""
    copies: list[int] = []

    class Counting(dict):  # type: ignore[type-arg]
        def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
            copies.append(1)
            return dict(self)

    class Probe(forms.Form):
        name = forms.CharField()

    Probe.base_fields = Counting(Probe.base_fields)
    form = Probe({"name": "x"})
    assert copies == [1]
    assert form.fields["name"] is Probe.base_fields["name"]


def _state(field: forms.Field) -> list[dict[str, Any]]:
    """A field's and its widget's attributes, one level of containers copied (not the values)."""

    def level(obj: object) -> dict[str, Any]:
        return {
            name: copy.copy(value) if isinstance(value, dict | list | set) else value
            for name, value in vars(obj).items()
        }

    return [level(field), level(field.widget)]


def test_building_validating_and_rendering_a_form_never_changes_a_field_object():
    """Sharing is safe only while Django keeps every per-form change on the form itself."""
    before = {name: _state(field) for name, field in IntakeForm.base_fields.items()}
    refused = IntakeForm(intake_post(name="", birth_date="31.02.2002", wants=["nonsense"]))
    assert not refused.is_valid() and {"name", "birth_date", "wants"} <= set(refused.errors)
    str(refused)
    accepted = IntakeForm(intake_post())
    accepted.is_valid()
    str(accepted)
    str(IntakeForm(initial={"name": "Галина", "wants": ["vvk"]}))
    after = {name: _state(field) for name, field in IntakeForm.base_fields.items()}
    assert after == before


def test_fields_django_copies_per_form_by_design_are_still_the_ones_refused():
    """ModelChoiceField (its queryset) and MultiValueField (its sub-fields) copy more than the
    field in __deepcopy__; shared_fields refuses both, and must keep doing so."""
    assert forms.ModelChoiceField.__deepcopy__ is not forms.Field.__deepcopy__
    assert forms.MultiValueField.__deepcopy__ is not forms.Field.__deepcopy__

    class Split(forms.Form):
        when = forms.SplitDateTimeField()

    with pytest.raises(TypeError, match="Split.when"):
        shared_fields(Split)


# --- casework/portal/views.py: the blank form and receipt rendered once per process ------------


def test_a_views_csrf_token_wins_over_the_context_processors():
    """The pages are rendered once with a placeholder token (later replaced per request):
    Django must put the view's context above its context processors'."""
    request = RequestFactory().get("/ru/intake/")
    template = engines["django"].from_string("{% csrf_token %}")
    html = template.render({"csrf_token": "csrf-slot-0f1e2d3c4b5a"}, request)
    assert html == (
        '<input type="hidden" name="csrfmiddlewaretoken" value="csrf-slot-0f1e2d3c4b5a">'
    )
