"""The suicide-risk protocol: crisis lines per jurisdiction and the steps done on a case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.models.cases import Case, TimelineEntry
from casework.models.people import Jurisdiction


class CrisisLine(models.Model):
    """A crisis line the family is shown when they tick the urgent-risk box.

    Kept as data, not code: numbers change, and an organisation checks them itself. A line
    stays marked "unverified" on every page until somebody has called it and ticked the box.
    """

    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40)
    hours = models.CharField(_("hours"), max_length=100, blank=True)
    is_verified = models.BooleanField(_("checked by calling it"), default=False)
    verified_on = models.DateField(_("checked on"), null=True, blank=True)

    class Meta:
        verbose_name = _("crisis line")
        verbose_name_plural = _("crisis lines")
        ordering = ["jurisdiction", "name"]

    def __str__(self) -> str:
        return self.name


class ProtocolStep(models.Model):
    """One step of the suicide-risk protocol done on a case; its timeline entry says what."""

    class Step(models.TextChoices):
        CALL = "call", _("Call the family now: the assigned caseworker, or the coordinator if none")
        CRISIS_LINE = (
            "crisis_line",
            _("Give the family the crisis line and what to do if he is in danger now"),
        )
        COORDINATOR = "coordinator", _("Tell the coordinator on duty")
        FOLLOW_UP = "follow_up", _("Agree the next call within 24 hours")  # fmt: skip

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="protocol_steps", verbose_name=_("case")
    )
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    entry = models.OneToOneField(
        TimelineEntry, on_delete=models.CASCADE, related_name="+", verbose_name=_("timeline entry")
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"))

    class Meta:
        verbose_name = _("protocol step")
        verbose_name_plural = _("protocol steps")
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], name="protocol_step_once_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.step}#{self.pk}"
