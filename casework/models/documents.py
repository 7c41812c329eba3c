"""Uploaded files (encrypted originals and cleaned copies) and intake submissions."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.crypto import EncryptedCharField
from casework.models.cases import Case, TimelineEntry


class Attachment(models.Model):
    """A file from a family or a caseworker.

    Both the original and the cleaned copy are stored encrypted on disk (MEDIA_ROOT), named by a
    random id; the original's SHA-256 proves what was received. The cleaned copy (metadata removed)
    is made by a Celery task, off the request path.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("being cleaned")
        CLEAN = "clean", _("cleaned")
        FAILED = "failed", _("could not be cleaned")

    class Source(models.TextChoices):
        FAMILY = "family", _("family")
        STAFF = "staff", _("staff")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    timeline_entry = models.ForeignKey(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    filename = EncryptedCharField(_("file name"), max_length=255, blank=True)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FAMILY)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    cleaned_content_type = models.CharField(max_length=40, blank=True)
    cleaned_extension = models.CharField(max_length=8, blank=True)
    metadata_found = models.JSONField(_("metadata found"), default=list, blank=True)
    failure = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    cleaned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"file-{str(self.public_id)[:8]}"


class IntakeSubmission(models.Model):
    """A single-use token for one intake form: a reload or double tap returns the same receipt.

    The access code is kept encrypted only until the family confirms they wrote it down (or it
    expires), so the receipt can be shown again without a second case.
    """

    token = models.CharField(max_length=64, unique=True)
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="submission"
    )
    access_code = EncryptedCharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"submission#{self.pk}"


class RateCounter(models.Model):
    """Counters for rate limits and lockouts when Redis is absent (embedded default).

    Keys are keyed hashes: never an address, a reference or a username in clear.
    """

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """An email to staff: pending -> sending (claimed) -> sent; a sweep retries stale rows.

    `dedupe_key` makes queuing idempotent: the same notice is never created twice. Sending is
    at least once (see services/notifications.py): nothing is lost, and a repeat sends nothing.
    """

    class Kind(models.TextChoices):
        NEW_INTAKE = "new_intake", _("new intake")
        DEADLINE_REMINDER = "deadline_reminder", _("deadline reminder")
        FAMILY_MESSAGE = "family_message", _("new information from a family")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    deadline = models.ForeignKey(
        "casework.Deadline", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a sender claimed the row (state "sending"); a claim older than the timeout is retried.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"
