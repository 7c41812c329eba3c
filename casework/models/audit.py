"""Audit events: who did what to which object, when. No personal data and no address, ever."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Append-only: the database refuses UPDATE and DELETE (migration 0021) except for the
    retention purge's own path (services/audit.py, `audit_events_purge`)."""

    class Action(models.TextChoices):
        VIEW = "view", _("view")
        CREATE = "create", _("create")
        CHANGE = "change", _("change")
        DELETE = "delete", _("delete")
        MERGE = "merge", _("merge")
        SEARCH = "search", _("search")
        EXPORT = "export", _("export")
        DOWNLOAD = "download", _("download")
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        ROTATE = "rotate", _("key rotation")

    # PROTECT: a row never changes (a database trigger refuses it, migration 0021), so a staff
    # member with a history is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_reference = models.CharField(_("object"), max_length=40, blank=True, db_index=True)
    # Non-personal detail only (field names changed, counts, the other side of a merge).
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_reference}"
