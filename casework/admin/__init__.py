"""The caseworker side: the Django admin site, its dashboard and actions.

Importing this package (Django's admin autodiscovery does) registers every model on `site`.
"""

from casework.admin import (  # noqa: F401
    accounts,
    audit,
    cases,
    documents,
    filings,
    legal,
    people,
    risk,
)
from casework.admin.site import site

__all__ = ["site"]
