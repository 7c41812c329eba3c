"""Models of the Casework domain; one module per area."""

from casework.models.audit import AuditEvent
from casework.models.cases import RISK_FLAGS, Case, TimelineEntry
from casework.models.people import (
    Applicant,
    Exchange,
    GivenNameEquivalent,
    Jurisdiction,
    Serviceman,
    Team,
)
from casework.models.system import Heartbeat

__all__ = [
    "RISK_FLAGS",
    "Applicant",
    "AuditEvent",
    "Case",
    "Exchange",
    "GivenNameEquivalent",
    "Heartbeat",
    "Jurisdiction",
    "Serviceman",
    "Team",
    "TimelineEntry",
]
