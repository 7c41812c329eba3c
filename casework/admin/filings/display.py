"""How a filing's or a deadline's due moment is shown, with its marks, and which columns stay
encrypted (never loaded) on list pages."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.admin.marks import due_with_marks, is_provisional
from casework.models import Deadline, Filing

# Encrypted columns: loaded only on the filing page itself.
FILING_ENCRYPTED = ("tracking_number", "registration_number", "conclusion", "notes")
# A list shows the case's reference only.
CASE_ENCRYPTED = ("case__summary", "case__wishes")


def filing_due(filing: Filing) -> str:
    rule = filing.rule
    if rule is None and filing.status != Filing.Status.DRAFT:
        # No rule version applied when it was sent: nobody computed a deadline for it.
        return due_with_marks(
            filing.due_at, time_zone=None, unverified=False, provisional=False, has_rule=False
        )
    return due_with_marks(
        filing.due_at,
        time_zone=filing.office.time_zone,
        unverified=rule is not None and not rule.is_verified,
        provisional=is_provisional(
            filing.due_at,
            filing.office.time_zone,
            getattr(filing, "published_through", None),
            filing.due_provisional,
        ),
    )


def deadline_due(deadline: Deadline) -> str:
    filing = deadline.filing
    time_zone = filing.office.time_zone if filing is not None else None
    rule = deadline.rule
    return due_with_marks(
        deadline.due_at,
        time_zone=time_zone,
        unverified=(not rule.is_verified) if rule is not None else deadline.unverified,
        provisional=is_provisional(
            deadline.due_at,
            time_zone,
            getattr(deadline, "published_through", None),
            deadline.provisional,
        ),
    )


@admin.display(description=_("status"))
def filing_status_now(filing: Filing) -> str:
    """Overdue the moment its clock runs out, not only once the sweep has recorded it."""
    return filing.status_now()


@admin.display(description=_("state"))
def deadline_state_now(deadline: Deadline) -> str:
    """Missed the moment it runs out, not only once the sweep has recorded it."""
    return deadline.state_now()
