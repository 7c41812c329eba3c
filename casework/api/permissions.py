"""Who may use the API: active staff; a browser session also needs its verified second factor.

API tokens are issued by administrators to integrations and revoked by offboarding or the
emergency sign-out; what a token may read is still decided by the selectors.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsVerifiedStaff(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return bool(getattr(user, "is_verified", lambda: False)())
        return True
