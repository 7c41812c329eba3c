"""Helpers for tests of the staff side: the admin's login form with a real second factor.

The fixtures built on them (`verified_client`, `team`, `caseworker`, `coordinator`) are in
conftest.py.
"""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from tests.factories import STAFF_PASSWORD, TOTPDeviceFactory


def totp_token(device: Any) -> str:
    """The current code of a TOTP device, as the authenticator app shows it."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_form(client: Client, user: Any, device: Any, token: str) -> Any:
    """Post the admin's login form: password and second factor together."""
    return client.post(
        reverse("admin:login"),
        {
            "username": user.username,
            "password": STAFF_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": token,
        },
    )


def verified_session(user: Any) -> Client:
    """A session as the admin's login leaves it (password and second factor passed), for a user
    the login form itself refuses (not staff): what a stolen or stale session would hold."""
    device = TOTPDeviceFactory(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
