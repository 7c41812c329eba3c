"""Staff lifecycle records: enrolment invitations, signed-in sessions, the lockdown switch."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffInvitation(models.Model):
    """A one-time enrolment link: only its token hash is stored; it expires and works once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment invitation")
        verbose_name_plural = _("enrolment invitations")

    def __str__(self) -> str:
        return f"invitation#{self.pk}"


class StaffSession(models.Model):
    """Which session keys belong to which staff member, so offboarding can end them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"session#{self.pk}"


class SiteState(models.Model):
    """One row: the read-only lockdown switch (administrators alone may still write)."""

    lockdown = models.BooleanField(_("read-only lockdown"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("site state")
        verbose_name_plural = _("site state")

    def __str__(self) -> str:
        return "site-state"
