"""Writes for servicemen and applicants: blind indexes kept in step, merges, audit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from casework import permissions
from casework.crypto import (
    blind_index,
    current_index_key_id,
    keyed_hash,
    name_skeleton,
    unit_skeleton,
)
from casework.exceptions import MergeError
from casework.models import RISK_FLAGS, AuditEvent, Case, Serviceman, TimelineEntry
from casework.selectors import GivenNameTable, given_name_groups, given_name_key
from casework.services.audit import audit_record
from casework.services.document_shares import document_shares_withdraw_all
from casework.services.records import update_fields_for

INDEX_FIELDS = [
    "index_version",
    "surname_index",
    "surname_initial_index",
    "surname_year_index",
    "unit_index",
]
# Personal fields of a serviceman, in the order a merge compares them.
SERVICEMAN_FIELDS = [
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "unit_number",
    "rank",
    "captured_on",
    "released_on",
    "redeployed_on",
    "hospitalised_on",
    "places",
    "current_location",
    "health_summary",
]


def serviceman_index_values(
    *, surname: str, given_name: str, birth_year: int | None, groups: GivenNameTable | None = None
) -> dict[str, str]:
    """Blind-index values for a name; never an index of a given name alone."""
    skeleton = name_skeleton(surname)
    if not skeleton:
        return {"surname_index": "", "surname_initial_index": "", "surname_year_index": ""}
    initial = given_name_key(given_name, groups)[:1]
    return {
        "surname_index": blind_index("surname", skeleton),
        "surname_initial_index": blind_index("surname_initial", f"{skeleton}:{initial}")
        if initial
        else "",
        "surname_year_index": blind_index("surname_year", f"{skeleton}:{birth_year}")
        if birth_year
        else "",
    }


def index_version(groups: GivenNameTable) -> str:
    """What indexes are computed with: the newest index key and the given-name table. A row
    with another version is re-indexed (`servicemen_reindex`): after a key rotation, or after
    a coordinator edits the table (which changes the initial some names are indexed under)."""
    made_with = f"{current_index_key_id()}\x00{groups.digest}"
    return hashlib.sha256(made_with.encode()).hexdigest()[:8]


def given_names_changed() -> None:
    """The given-name table was edited: re-index every serviceman once it is committed."""
    from casework.tasks import reindex_servicemen

    transaction.on_commit(reindex_servicemen.delay, robust=True)


def serviceman_reindex(serviceman: Serviceman, groups: GivenNameTable | None = None) -> list[str]:
    """Recompute the blind indexes in memory under the newest version; returns fields to save.

    Bulk callers pass `groups` (the given-name table) so it is read once, not once per row.
    """
    groups = given_name_groups() if groups is None else groups
    values = serviceman_index_values(
        surname=serviceman.surname,
        given_name=serviceman.given_name,
        birth_year=serviceman.birth_date.year if serviceman.birth_date else None,
        groups=groups,
    )
    for field, value in values.items():
        setattr(serviceman, field, value)
    # The number, not the words: a skeleton of letters alone made every unit one group.
    unit = unit_skeleton(serviceman.unit_number) or serviceman.unit_number.strip()
    serviceman.unit_index = keyed_hash("unit", unit) if unit else ""
    serviceman.index_version = index_version(groups)
    return INDEX_FIELDS


@transaction.atomic
def serviceman_save(
    *, serviceman: Serviceman, actor: User | None, changed: list[str] | None = None
) -> Serviceman:
    """Create or update a serviceman with fresh indexes, audited (field names only)."""
    creating = serviceman.pk is None
    indexes = serviceman_reindex(serviceman)
    serviceman.save(
        update_fields=None
        if creating
        else [*update_fields_for(Serviceman, changed or []), *indexes]
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.CHANGE,
        obj=serviceman,
        detail={"fields": sorted(changed or [])},
    )
    return serviceman


def _move_related(source: models.Model, target: models.Model, *, skip: set[str]) -> dict[str, int]:
    """Point every row that refers to `source` at `target`; counts per model for the audit."""
    moved: dict[str, int] = {}
    for relation in source._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one) or relation.name in skip:
            continue
        field_name = relation.field.name
        count = relation.related_model._default_manager.filter(**{field_name: source}).update(
            **{field_name: target}
        )
        if count:
            moved[str(relation.related_model._meta.model_name)] = count
    return moved


def _merge_note(conflicts: dict[str, tuple[Any, Any]], other_reference: str) -> str:
    lines = [
        f"Merged with {other_reference}. Values that differed (kept / from the merged record):"
    ]
    lines += [f"- {field}: {kept} / {other}" for field, (kept, other) in conflicts.items()]
    return "\n".join(lines)


@transaction.atomic
def serviceman_merge(*, survivor: Serviceman, merged: Serviceman, actor: User) -> Serviceman:
    """Fold `merged` into `survivor`: cases, applicants and every value move; nothing is lost.

    Empty fields of the survivor take the merged record's values; values that differ are kept in
    an (encrypted) timeline note on each case, so a caseworker can still see both spellings.
    """
    if survivor.pk == merged.pk:
        raise MergeError("A record cannot be merged with itself.")
    # Lock both rows in primary-key order so two concurrent merges cannot deadlock.
    locked = {
        s.pk: s
        for s in Serviceman.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeError("One of the records no longer exists.")
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    conflicts: dict[str, tuple[Any, Any]] = {}
    filled: list[str] = []
    for field in SERVICEMAN_FIELDS:
        kept, other = getattr(survivor, field), getattr(merged, field)
        if other in (None, ""):
            continue
        if kept in (None, ""):
            if field in Serviceman.APPROXIMATE_DATES:  # with its precision and words
                filled += survivor.approximate_date_set(field, merged.approximate_date(field))
                continue
            setattr(survivor, field, other)
            filled.append(field)
        elif kept != other:
            conflicts[field] = (kept, other)
    for field in ("exchange_id",):
        if getattr(survivor, field) is None and getattr(merged, field) is not None:
            setattr(survivor, field, getattr(merged, field))
            filled.append(field)
    moved = _move_related(merged, survivor, skip=set())
    indexes = serviceman_reindex(survivor)
    filled_columns = ["exchange" if field == "exchange_id" else field for field in filled]
    survivor.save(update_fields=[*filled_columns, *indexes, "updated_at"])
    if conflicts:
        note = _merge_note(conflicts, merged.reference)
        TimelineEntry.objects.bulk_create(
            TimelineEntry(case=case, kind=TimelineEntry.Kind.MERGE, text=note, author=actor)
            for case in Case.objects.filter(serviceman=survivor)
        )
    merged_reference = merged.reference
    merged.delete()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.MERGE,
        obj=survivor,
        detail={
            "merged": merged_reference,
            "moved": moved,
            "filled": filled,
            "conflicts": sorted(conflicts),
        },
    )
    return survivor


@transaction.atomic
def case_merge(*, survivor: Case, merged: Case, actor: User) -> Case:
    """Move everything from `merged` to `survivor`; `merged` stays as a closed pointer.

    The pointer keeps a family's old reference and access code leading somewhere.
    """
    for case in (survivor, merged):
        permissions.case_act_check(user=actor, case=case, action=permissions.Action.CASE_MERGE)
    if survivor.pk == merged.pk:
        raise MergeError("A case cannot be merged with itself.")
    locked = {
        c.pk: c
        for c in Case.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeError("One of the cases no longer exists.")
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.merged_into_id is not None or survivor.merged_into_id is not None:
        raise MergeError("That case was already merged into another.")
    if merged.applicant_id != survivor.applicant_id:
        # Two relatives wrote in separately: what staff showed one family must not appear on
        # the other's status page once the timelines are joined.
        merged.timeline.filter(visible_to_family=True).update(visible_to_family=False)
        if survivor.applicant_id is not None:
            # Nor what one family wrote or was given to download (their words, file names and
            # drafts): those pages show the survivor's family what is on the survivor's case.
            merged.timeline.filter(by_family=True).update(by_family=False)
            document_shares_withdraw_all(case=merged, actor=actor)
    moved = _move_related(merged, survivor, skip=set())
    texts = []
    for field in ("summary", "wishes"):
        kept, other = getattr(survivor, field), getattr(merged, field)
        if other and other not in kept:
            setattr(survivor, field, f"{kept}\n\n[{merged.reference}] {other}".strip())
            texts.append(field)
    for flag in RISK_FLAGS:
        setattr(survivor, flag, getattr(survivor, flag) or getattr(merged, flag))
    survivor.priority = max(survivor.priority, merged.priority)
    if survivor.applicant_id is None:
        survivor.applicant_id = merged.applicant_id
    survivor.save(update_fields=[*texts, *RISK_FLAGS, "priority", "applicant", "updated_at"])
    TimelineEntry.objects.create(
        case=survivor,
        kind=TimelineEntry.Kind.MERGE,
        text=f"Merged from {merged.reference}.",
        author=actor,
    )
    merged.merged_into = survivor
    merged.status = Case.Status.CLOSED
    merged.outcome = Case.Outcome.OTHER
    merged.closed_at = timezone.now()
    merged.save(update_fields=["merged_into", "status", "outcome", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.MERGE,
        obj=survivor,
        detail={"merged": merged.reference, "moved": moved, "texts": texts},
    )
    return survivor
