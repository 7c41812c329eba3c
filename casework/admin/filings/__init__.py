"""Filings and deadlines in the admin, one module per job: forms, transitions (what each step
calls), display (due moments and their marks), filters, inlines on the case page, and the two
model admins.

Every write is one call to a filing service. A refusal (CaseworkError) comes back as an error
message above the same form, with what was typed kept; nothing is half-done because each service
runs in its own transaction. Lists come from the selectors, so another team's filing answers
like a missing one. Tracking and registration numbers are encrypted: they are shown on the
filing page only, never in a list, a filter, a search or a URL.
"""

from casework.admin.filings import deadline_admin, filing_admin  # noqa: F401  (registers)
from casework.admin.filings.inlines import DeadlineInline, FilingInline

__all__ = ["DeadlineInline", "FilingInline"]
