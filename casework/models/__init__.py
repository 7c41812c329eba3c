"""Models of the Casework domain; one module per area."""

from casework.models.audit import AuditEvent
from casework.models.cases import RISK_FLAGS, Case, CaseFact, TimelineEntry
from casework.models.devices import AuthenticatorDevice, BackupCode, BackupCodeDevice
from casework.models.documents import (
    Attachment,
    DocumentShare,
    DocumentTemplate,
    GeneratedDocument,
    IntakeSubmission,
    Notification,
    RateCounter,
)
from casework.models.filings import Deadline, Filing
from casework.models.imports import CaseImport
from casework.models.people import (
    Applicant,
    Exchange,
    GivenNameEquivalent,
    Jurisdiction,
    Serviceman,
    Team,
)
from casework.models.risk import CrisisLine, ProtocolStep
from casework.models.rules import (
    AuthorityOffice,
    CalendarOverride,
    EscalationStep,
    FilingKind,
    JurisdictionCalendar,
    OfficeKind,
    ResponseRule,
    Verification,
)
from casework.models.staff import ApiToken, SiteState, StaffInvitation, StaffProfile, StaffUser
from casework.models.system import Heartbeat

__all__ = [
    "RISK_FLAGS",
    "ApiToken",
    "Applicant",
    "Attachment",
    "AuditEvent",
    "AuthenticatorDevice",
    "AuthorityOffice",
    "BackupCode",
    "BackupCodeDevice",
    "CalendarOverride",
    "Case",
    "CaseFact",
    "CaseImport",
    "CrisisLine",
    "Deadline",
    "DocumentTemplate",
    "EscalationStep",
    "Exchange",
    "Filing",
    "FilingKind",
    "DocumentShare",
    "GeneratedDocument",
    "GivenNameEquivalent",
    "Heartbeat",
    "IntakeSubmission",
    "Jurisdiction",
    "JurisdictionCalendar",
    "Notification",
    "ProtocolStep",
    "OfficeKind",
    "RateCounter",
    "ResponseRule",
    "Serviceman",
    "SiteState",
    "StaffInvitation",
    "StaffProfile",
    "StaffUser",
    "Team",
    "TimelineEntry",
    "Verification",
]
