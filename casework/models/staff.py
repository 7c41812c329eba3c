"""Staff lifecycle records: enrolment invitations, API tokens, session generations, the lockdown
switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class StaffInvitation(models.Model):
    """A one-time link: only its keyed token hash is stored; it expires and works once."""

    class Purpose(models.TextChoices):
        # Choose a password and pair a new authenticator (invitation, device reset).
        ENROL = "enrol", _("enrolment")
        # Choose a new password, confirmed with the person's own second factor (devices kept).
        PASSWORD = "password", _("password reset")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.ENROL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment invitation")
        verbose_name_plural = _("enrolment invitations")

    def __str__(self) -> str:
        return f"invitation#{self.pk}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its keyed hash is stored: the token is shown once, when
    made, and a dump alone never yields a working one. It expires and can be revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("owner"),
    )
    # The first characters of the token (its fixed "cw_" and a few random ones), so a person
    # can tell their tokens apart; far too few to be guessed from.
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class StaffProfile(models.Model):
    """What Django's User has no column for: the session generation and an absence."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="staff_profile",
    )
    # Mixed into the session auth hash (StaffUser): adding one ends every session of the person
    # at once, whatever its key. Django rotates a session's key at sign-in and at a password
    # change, so a list of keys taken at sign-in always missed some.
    session_generation = models.PositiveBigIntegerField(default=0)
    # While today is on or before this day, the person's reminders go to their team's
    # coordinators (services/staff.py `staff_away_set`; selectors/staff.py decides recipients).
    away_until = models.DateField(_("away until"), null=True, blank=True)

    def __str__(self) -> str:
        return f"staff-profile#{self.pk}"


# The device models derive from django-otp's untyped Device, so django-stubs cannot name their
# reverse managers on User (authenticator_devices, backup_code_devices); nothing here uses them.
class StaffUser(User):  # type: ignore[django-manager-missing]
    """The signed-in person as sessions see them: Django's User, with the session generation in
    the session auth hash. The auth backend returns this class (casework.auth.StaffBackend), so
    `login()` stores the hash that `get_user()` later checks on every request."""

    class Meta:
        proxy = True
        default_permissions = ()  # nothing to grant: it is the same table as auth.User

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's own hash (an HMAC of the password hash, so a password change ends the other
        # sessions) with the generation added; `secret` serves SECRET_KEY_FALLBACKS as in Django.
        profile = getattr(self, "staff_profile", None)  # None: no profile row yet, generation 0
        generation = profile.session_generation if profile is not None else 0
        return salted_hmac(
            "casework.models.StaffUser.get_session_auth_hash",
            f"{generation}:{self.password}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class SiteState(models.Model):
    """One row: the read-only lockdown switch (administrators alone may still write)."""

    lockdown = models.BooleanField(_("read-only lockdown"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("site state")
        verbose_name_plural = _("site state")

    def __str__(self) -> str:
        return "site-state"
