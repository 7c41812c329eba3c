"""Set-based writes for the sweep's batches, without a model instance per row.

Building thousands of model instances for `bulk_create`, and binding thousands of `IN (...)`
parameters one by one, cost the sweep more than the database did (issue 14's benchmark). In
PostgreSQL a batch's ids travel as one array parameter and its rows as one array per column
(`INSERT ... SELECT FROM unnest(...)`); elsewhere (SQLite, the embedded default) the same
statements run through the portable forms. Either way one statement per call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL


def ids_in(field: str, ids: Sequence[int]) -> Q:
    """`field` is one of `ids`: in PostgreSQL one array parameter, not one per id."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))})
    return Q(**{f"{field}__in": list(ids)})


def rows_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert `rows` (values of `fields`, by attribute name: `case_id`, not `case`) in one
    statement; every other column takes its field's default, as a new instance would. With
    `ignore_conflicts`, a row that breaks a unique constraint is skipped (ON CONFLICT DO NOTHING).

    Values are plain Python values (ints, strings, aware datetimes, dicts for JSON): no signal,
    no `save()`, no validation, exactly like `bulk_create`.
    """
    if not rows:
        return
    meta = model._meta
    by_attname = {field.attname: field for field in meta.concrete_fields}
    given = [by_attname[name] for name in fields]
    others = [
        field
        for field in meta.concrete_fields
        if field not in given and not isinstance(field, models.AutoField)
    ]
    defaults = [_default(field) for field in others]
    columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in (*given, *others))
    table = connection.ops.quote_name(meta.db_table)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [
                [json.dumps(value) for value in column] if _is_json(field) else list(column)
                for field, column in zip(given, zip(*rows, strict=True), strict=True)
            ]
            unnest = ", ".join(
                "%s::text[]::jsonb[]" if _is_json(f) else f"%s::{f.db_type(connection)}[]"
                for f in given
            )
            scalars = "".join(f", %s::{f.db_type(connection)}" for f in others)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT v.*{scalars} "  # noqa: S608
                f"FROM unnest({unnest}) AS v{conflict}",
                # The defaults' placeholders come first in the statement, then the arrays'.
                [*[_prepared(f, d) for f, d in zip(others, defaults, strict=True)], *arrays],
            )
            return
        fixed = [_prepared(f, d) for f, d in zip(others, defaults, strict=True)]
        marks = ", ".join(["%s"] * (len(given) + len(others)))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}){conflict}",  # noqa: S608
            [[*(_prepared(f, v) for f, v in zip(given, row, strict=True)), *fixed] for row in rows],
        )


def _is_json(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.JSONField)


def _default(field: models.Field[Any, Any]) -> Any:
    """What a new instance would hold: auto_now_add fields the current moment."""
    if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
        from django.utils import timezone

        return timezone.now()
    return field.get_default()


def _prepared(field: models.Field[Any, Any], value: Any) -> Any:
    if _is_json(field) and connection.vendor == "postgresql":
        return json.dumps(value)  # cast to jsonb by the statement
    return field.get_db_prep_save(value, connection)
