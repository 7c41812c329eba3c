"""Reads for the suicide-risk protocol."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.models import Case, CrisisLine, ProtocolStep


def crisis_lines_for(*, jurisdiction: str) -> QuerySet[CrisisLine]:
    """The lines for the man's jurisdiction and those for anywhere; every line when the family
    did not say where he serves (better one line too many than none)."""
    lines = CrisisLine.objects.order_by("jurisdiction", "name")
    if jurisdiction:
        lines = lines.filter(Q(jurisdiction=jurisdiction) | Q(jurisdiction=""))
    return lines


def protocol_checklist(*, case: Case) -> list[tuple[str, str, ProtocolStep | None]]:
    """Every step of the protocol in order, with the record of it once done."""
    done = {
        step.step: step
        for step in ProtocolStep.objects.filter(case=case).select_related("done_by", "entry")
    }
    return [(value, str(label), done.get(value)) for value, label in ProtocolStep.Step.choices]
