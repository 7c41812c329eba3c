"""Helpers for the staff-side security tests: sign in through the real admin form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from casework.models import AuthenticatorDevice  # noqa: F401  (the device model of code_for)
from tests.factories import STAFF_PASSWORD as PASSWORD
from tests.factories import TOTPDeviceFactory
from tests.staff_support import totp_token as code_for


def wrong_code_for(device: AuthenticatorDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 10**6:06d}"


def sign_in_post(client: Client, username: str, password: str, code: str, **extra: Any) -> Any:
    """One post of the sign-in form: username, password and code together."""
    data = {"username": username, "password": password, "otp_token": code, **extra}
    return client.post(reverse("admin:login"), data)


def signed_in(user: User, **client_options: Any) -> Client:
    """A browser signed in as `user` (password and authenticator code).

    `otp_device` is sent as well so that these tests also sign in on the old two-round form
    and fail there for what they test, not for the sign-in; the one-step form ignores it
    (it takes the newest confirmed authenticator of the account).
    """
    device = TOTPDeviceFactory(user=user)  # a fresh one: a code is accepted once per device
    client = Client(headers={"accept-language": "en"}, **client_options)
    response = sign_in_post(
        client, user.username, PASSWORD, code_for(device), otp_device=device.persistent_id
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get(reverse("admin:index")).status_code == 200
    return client
