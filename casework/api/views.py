"""REST API v1: thin views over selectors (reads, visibility) and services (writes)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.models import Case, Filing, FilingKind
from casework.selectors import (
    case_filings,
    case_get_by_reference_for_user,
    case_open_deadlines,
    cases_visible_to,
    offices_active,
)
from casework.services.cases import case_view_record, timeline_entry_add
from casework.services.filings import filing_create
from casework.services.submissions import submission_token_for_client

PAGE = 50
# A retried request with the same key changes nothing (keys are per API user).
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="A key of your choice per request: a retry with it changes nothing.",
)


class IdempotentInput(serializers.Serializer):
    idempotency_key = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Optional, like the Idempotency-Key header: a repeat changes nothing.",
    )


def _client_token(request: Request, values: dict[str, Any]) -> str | None:
    """The stored one-time token for the client's key (body or header), or None without one."""
    key = values.get("idempotency_key") or request.headers.get("Idempotency-Key")
    if not key:
        return None
    return submission_token_for_client(actor=cast(User, request.user), key=key)


class CaseListApi(APIView):
    @extend_schema_serializer(component_name="CaseListQuery")
    class QuerySerializer(serializers.Serializer):
        offset = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)

    @extend_schema_serializer(component_name="CaseListItem")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        status = serializers.CharField()
        family_status = serializers.CharField()
        priority = serializers.IntegerField()
        risk_flags = serializers.ListField(child=serializers.CharField())
        team = serializers.CharField(source="team.name")
        assignee = serializers.CharField(source="assignee.username", default=None)
        next_deadline = serializers.DateTimeField(allow_null=True)
        created_at = serializers.DateTimeField()

    @extend_schema(parameters=[QuerySerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Visible cases, most urgent first; no personal data (open one case for that)."""
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        offset = query.validated_data["offset"]
        cases = (
            cases_visible_to(request.user)
            .select_related("team", "assignee")
            .order_by(*Case.TRIAGE_ORDER)[offset : offset + PAGE]
        )
        return Response(self.OutputSerializer(cases, many=True).data)


class CaseDetailApi(APIView):
    @extend_schema_serializer(component_name="CaseFiling")
    class FilingSerializer(serializers.Serializer):
        reference = serializers.CharField()
        office = serializers.CharField(source="office.name")
        kind = serializers.CharField()
        status = serializers.CharField()
        due_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_serializer(component_name="CaseDeadline")
    class DeadlineSerializer(serializers.Serializer):
        kind = serializers.CharField()
        due_at = serializers.DateTimeField()
        state = serializers.CharField()
        unverified = serializers.BooleanField()
        provisional = serializers.BooleanField()

    @extend_schema_serializer(component_name="CaseDetail")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        status = serializers.CharField()
        family_status = serializers.CharField()
        priority = serializers.IntegerField()
        risk_flags = serializers.ListField(child=serializers.CharField())
        serviceman = serializers.CharField(source="serviceman.short_name")
        summary = serializers.CharField()
        next_deadline = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, reference: str) -> Response:
        """One case (audited as a read), with its filings and open deadlines."""
        case = _case(request, reference)
        case_view_record(case=case, actor=cast(User, request.user))
        data = dict(self.OutputSerializer(case).data)
        data["filings"] = self.FilingSerializer(case_filings(case), many=True).data
        data["deadlines"] = self.DeadlineSerializer(case_open_deadlines(case), many=True).data
        return Response(data)


class CaseNoteAddApi(APIView):
    @extend_schema_serializer(component_name="CaseNoteInput")
    class InputSerializer(IdempotentInput):
        text = serializers.CharField(max_length=20000)

    @extend_schema(request=InputSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: None})
    def post(self, request: Request, reference: str) -> Response:
        """Add a note to the case timeline; a repeat with the same idempotency key adds none."""
        case = _case(request, reference)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        timeline_entry_add(
            case=case,
            actor=cast(User, request.user),
            kind="note",
            text=data.validated_data["text"],
            token=_client_token(request, data.validated_data),
        )
        return Response(status=201)


class CaseFilingAddApi(APIView):
    @extend_schema_serializer(component_name="CaseFilingInput")
    class InputSerializer(IdempotentInput):
        # DRF calls .all() on it for each request, so directory edits count at once.
        office = serializers.PrimaryKeyRelatedField(queryset=offices_active())
        kind = serializers.ChoiceField(choices=FilingKind.choices)
        signer = serializers.ChoiceField(choices=Filing.Signer.choices)
        notes = serializers.CharField(max_length=5000, required=False, default="")
        # Selects an office's shorter term for threats to life or health, where a rule has one.
        life_or_health_at_risk = serializers.BooleanField(required=False, default=False)

    @extend_schema_serializer(component_name="CaseFilingCreated")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        status = serializers.CharField()

    @extend_schema(
        request=InputSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: OutputSerializer}
    )
    def post(self, request: Request, reference: str) -> Response:
        """A draft filing on the case (its document is drafted when a template fits)."""
        case = _case(request, reference)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        filing = filing_create(
            case=case,
            office=values["office"],
            kind=values["kind"],
            signer=values["signer"],
            notes=values["notes"],
            life_or_health_at_risk=values["life_or_health_at_risk"],
            actor=cast(User, request.user),
            token=_client_token(request, values),
        )
        return Response(self.OutputSerializer(filing).data, status=201)


def _case(request: Request, reference: str) -> Case:
    return case_get_by_reference_for_user(user=request.user, reference=reference)
