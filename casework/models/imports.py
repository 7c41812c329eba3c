"""Imports of cases from the spreadsheets organisations keep: one row per uploaded sheet.

The sheet itself is never in the database and never on disk in plain: it is stored encrypted
under MEDIA_ROOT/imports/ (services/imports.py), named by `public_id`, and deleted when the
import is committed or abandoned (by the coordinator, or by the portal sweep once stale).
The row keeps only what is not personal: the column mapping (field names by column position),
counts, who and when.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models.people import Team
from casework.references import new_reference


def import_reference() -> str:
    return new_reference("I")


class CaseImport(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("being prepared")
        COMMITTED = "committed", _("imported")
        ABANDONED = "abandoned", _("abandoned")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=12, unique=True, default=import_reference)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    file_format = models.CharField(max_length=4, choices=Format.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The field each column goes to, by column position ("" = not imported); never a header.
    mapping = models.JSONField(default=list, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_cases = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.reference
