"""`Authorization: Token …` for the API, against casework's own tokens (keyed hashes only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from casework.models import ApiToken
from casework.services.api_tokens import api_token_authenticate


class ApiTokenAuthentication(BaseAuthentication):
    """The header DRF's TokenAuthentication read, so clients keep working with a new token.

    Unknown, expired and revoked tokens get the same answer (401): nothing tells them apart.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still authenticate
        if len(parts) != 2:
            raise AuthenticationFailed()
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed() from None
        token = api_token_authenticate(raw=raw)
        if token is None:
            raise AuthenticationFailed()
        return token.user, token

    def authenticate_header(self, request: Request) -> Any:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How /api/schema/ describes the header (drf-spectacular finds this subclass itself)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token, sent as "Token cw_…" (made in the admin).',
        }
