"""Issue 13, item 4: emergency sign-out, device reset and offboarding end every session.

A session whose key rotated (Django rotates it when a person changes their password) must end
too: each person has a session generation mixed into the session's auth hash, and ending
their sessions bumps it, whatever the session keys are.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from casework.roles import Role
from casework.services.staff import emergency_sign_out, staff_device_reset, staff_offboard
from tests.factories import TeamFactory, UserFactory
from tests.security.staff_support import PASSWORD, signed_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different long passphrase 42"


def change_password(browser: Client) -> None:
    """*Change password* in the admin: Django rotates the session key and keeps the browser in."""
    old_key = browser.session.session_key
    response = browser.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert browser.session.session_key != old_key
    assert browser.get(reverse("admin:index")).status_code == 200


def signed_out(browser: Client) -> bool:
    """Sent to the sign-in page as nobody (not merely as someone without a second factor)."""
    response = browser.get(reverse("admin:index"))
    sent_away = response.status_code == 302
    return (
        sent_away
        and response["Location"].startswith(reverse("admin:login"))
        and (not response.wsgi_request.user.is_authenticated)
    )


def test_emergency_sign_out_ends_a_session_whose_key_rotated():
    person = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    browser = signed_in(person)
    change_password(browser)

    emergency_sign_out(actor=None)

    assert signed_out(browser)


def test_the_emergency_command_ends_every_session_of_everyone():
    people = [UserFactory(role=role) for role in (Role.CASEWORKER, Role.ADMINISTRATOR)]
    browsers = [signed_in(person) for person in people]
    change_password(browsers[0])

    call_command("emergency_sign_out", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert all(signed_out(browser) for browser in browsers)


def test_device_reset_ends_every_session_of_that_person_only():
    person = UserFactory(role=Role.CASEWORKER)
    colleague = UserFactory(role=Role.CASEWORKER)
    browser, other_browser = signed_in(person), signed_in(person)
    colleague_browser = signed_in(colleague)
    change_password(browser)  # also ends other_browser: Django's hash covers the password

    staff_device_reset(user=person, actor=UserFactory(role=Role.ADMINISTRATOR))

    assert signed_out(browser) and signed_out(other_browser)
    assert not signed_out(colleague_browser)


def test_offboarding_ends_a_session_whose_key_rotated():
    person = UserFactory(role=Role.CASEWORKER)
    browser = signed_in(person)
    change_password(browser)

    staff_offboard(user=person, actor=UserFactory(role=Role.ADMINISTRATOR))

    assert signed_out(browser)


def test_api_session_ends_with_the_emergency_sign_out():
    person = UserFactory(role=Role.COORDINATOR)
    browser = signed_in(person)
    change_password(browser)
    assert browser.get("/api/v1/cases/").status_code == 200

    emergency_sign_out(actor=None)

    response = browser.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_signing_in_again_after_the_emergency_works():
    person = UserFactory(role=Role.CASEWORKER)
    signed_in(person)
    emergency_sign_out(actor=None)
    assert signed_in(person).get(reverse("admin:index")).status_code == 200


def test_no_side_table_of_session_keys_is_kept():
    assert "casework_staffsession" not in connection.introspection.table_names()
