"""Issue 13, item 1: an administrator cannot become someone else.

No page shows a second-factor secret or a backup code, nobody sets another person's password,
and an administrator cannot change its own role or activation. Every change to a staff account
goes through an audited service, and the auditor sees it.
"""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from casework.models import AuditEvent, AuthenticatorDevice, BackupCodeDevice
from casework.roles import Role
from tests.factories import TeamFactory, TOTPDeviceFactory, UserFactory
from tests.security.staff_support import PASSWORD, signed_in

pytestmark = pytest.mark.django_db


def roles_of(user: User) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def change_post(client: Client, user: User, **fields: object) -> object:
    """Post the staff change form with every field either the old or the new form knows."""
    data: dict[str, object] = {
        "username": user.username,
        "email": "",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-01-05",
        "initial-date_joined_1": "10:00:00",
        **fields,
    }
    return client.post(reverse("admin:auth_user_change", args=[user.pk]), data)


def test_sensitive_device_data_is_hidden(settings):
    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


def test_no_page_shows_another_persons_authenticator_secret():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(administrator)
    device = TOTPDeviceFactory(user=UserFactory(role=Role.COORDINATOR))
    secrets = (device.key, base64.b32encode(device.bin_key).decode().rstrip("="))

    for view in ("config", "qrcode"):
        url = f"/admin/casework/authenticatordevice/{device.pk}/{view}/"
        response = client.get(url)
        assert response.status_code == 404, url
        assert not any(secret in response.content.decode() for secret in secrets)
    for url in (
        reverse("admin:casework_authenticatordevice_change", args=[device.pk]),
        reverse("admin:casework_authenticatordevice_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert not any(secret in page for secret in secrets), url
        assert "/config/" not in page and "/qrcode/" not in page, url


def test_no_page_shows_another_persons_backup_codes():
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    backup = BackupCodeDevice.objects.create(
        user=UserFactory(role=Role.CASEWORKER), name="backup codes", confirmed=True
    )
    backup.codes_set(["q7rs2k4m"])
    page = client.get(reverse("admin:casework_backupcodedevice_change", args=[backup.pk]))
    assert page.status_code == 200
    assert "q7rs2k4m" not in page.content.decode()


def test_a_missing_device_id_never_answers_500():
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    for view in ("config", "qrcode"):
        assert client.get(f"/admin/casework/authenticatordevice/987654/{view}/").status_code == 404
    missing = client.get(reverse("admin:casework_authenticatordevice_change", args=[987654]))
    assert missing.status_code == 302  # the admin's "no such object" answer
    assert missing["Location"] == reverse("admin:index")


def test_devices_are_removed_only_by_the_audited_reset():
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    device = TOTPDeviceFactory(user=UserFactory(role=Role.CASEWORKER))
    url = reverse("admin:casework_authenticatordevice_delete", args=[device.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:casework_authenticatordevice_changelist"),
        {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # "no action selected": the action does not exist
    assert AuthenticatorDevice.objects.filter(pk=device.pk).exists()


def test_nobody_sets_another_persons_password():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    target = UserFactory(role=Role.COORDINATOR)
    client = signed_in(administrator)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(url).status_code == 403
    new = "an administrator's chosen password 9"
    refused = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert refused.status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not target.check_password(new)
    change_page = client.get(reverse("admin:auth_user_change", args=[target.pk]))
    assert url not in change_page.content.decode()


def test_an_administrator_cannot_promote_itself():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(administrator)
    coordinator_group = Group.objects.get(name=Role.COORDINATOR.value)
    events = AuditEvent.objects.count()

    response = change_post(
        client,
        administrator,
        role=Role.COORDINATOR.value,
        groups=[coordinator_group.pk, Group.objects.get(name=Role.ADMINISTRATOR.value).pk],
        is_superuser="on",
    )

    assert response.status_code == 200
    assert "You cannot change your own role or access." in response.content.decode()
    administrator.refresh_from_db()
    assert roles_of(administrator) == {Role.ADMINISTRATOR.value}
    assert not administrator.is_superuser
    assert AuditEvent.objects.count() == events


def test_the_role_service_refuses_self_promotion_and_changes_nothing():
    from casework.services.staff import StaffAccountError, staff_role_set

    administrator = UserFactory(role=Role.ADMINISTRATOR)
    with pytest.raises(StaffAccountError):
        staff_role_set(user=administrator, role=Role.COORDINATOR, actor=administrator)
    assert roles_of(administrator) == {Role.ADMINISTRATOR.value}
    assert not AuditEvent.objects.exists()


def test_a_role_change_is_audited_and_grants_nothing_beyond_the_role():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    target = UserFactory(role=Role.CASEWORKER, teams=[TeamFactory()])
    client = signed_in(administrator)

    response = change_post(client, target, role=Role.COORDINATOR.value, is_superuser="on")

    assert response.status_code == 302
    target.refresh_from_db()
    assert roles_of(target) == {Role.COORDINATOR.value}
    assert not target.is_superuser
    event = AuditEvent.objects.get(object_reference=target.username)
    assert (event.actor, event.action, event.object_type) == (administrator, "change", "user")
    assert event.detail == {"role": "Coordinator", "previous_role": "Caseworker"}


def test_every_staff_account_change_is_audited_and_the_auditor_sees_it():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    target = UserFactory(role=Role.CASEWORKER, email="old@example.org")
    client = signed_in(administrator)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    change_post(client, target, role=Role.CASEWORKER.value, email="new@example.org")
    change_post(client, target, role=Role.CASEWORKER.value, email="new@example.org", is_active="")
    change_post(client, target, role=Role.CASEWORKER.value, email="new@example.org")
    reset = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [target.pk]},
    )
    assert reset.status_code == 200
    link = reset.context["links"][0][1]
    assert "/enrol/" in link and link in reset.content.decode()

    events = AuditEvent.objects.exclude(pk__in=before).filter(object_reference=target.username)
    details = [event.detail for event in events.order_by("pk")]
    assert details == [
        {"fields": ["email"]},
        {"active": False},
        {"active": True},
        {"device_reset": True},
    ]
    assert {event.actor for event in events} == {administrator}
    assert "new@example.org" not in str(details) and "old@example.org" not in str(details)

    auditor = signed_in(UserFactory(role=Role.AUDITOR))
    shown = auditor.get(reverse("admin:casework_auditevent_changelist"))
    listed = {event.pk for event in shown.context["cl"].result_list}
    assert set(events.values_list("pk", flat=True)) <= listed


def test_an_administrator_cannot_deactivate_itself():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    client = signed_in(administrator)
    response = change_post(client, administrator, role=Role.ADMINISTRATOR.value, is_active="")
    assert response.status_code == 200
    administrator.refresh_from_db()
    assert administrator.is_active
    assert client.get(reverse("admin:index")).status_code == 200


def test_only_a_superuser_changes_a_superusers_account():
    administrator = UserFactory(role=Role.ADMINISTRATOR)
    superuser = UserFactory(is_superuser=True, role=Role.COORDINATOR)
    client = signed_in(administrator)
    response = change_post(client, superuser, role=Role.COORDINATOR.value, is_active="")
    assert response.status_code == 200
    assert "Only a superuser can change a superuser" in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active and roles_of(superuser) == {Role.COORDINATOR.value}


def test_only_a_superuser_resets_a_superusers_second_factor():
    superuser = UserFactory(is_superuser=True)
    device = TOTPDeviceFactory(user=superuser)
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [superuser.pk]},
    )
    assert response.status_code == 200 and response.context["links"] == []
    assert list(AuthenticatorDevice.objects.filter(user=superuser)) == [device]
    assert not AuditEvent.objects.filter(object_reference=superuser.username).exists()


def test_a_password_reset_link_needs_the_persons_own_second_factor():
    from tests.security.staff_support import wrong_code_for

    administrator = UserFactory(role=Role.ADMINISTRATOR)
    person = UserFactory(role=Role.COORDINATOR)
    old_browser = signed_in(person)
    device = AuthenticatorDevice.objects.get(user=person)  # the one the person just signed in with
    client = signed_in(administrator)
    issued = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "issue_password_link", "_selected_action": [person.pk]},
    )
    assert issued.status_code == 200
    path = issued.context["links"][0][1].split("127.0.0.1:8000", 1)[1]
    event = AuditEvent.objects.get(
        object_reference=person.username, detail__has_key="password_reset_link"
    )
    assert (event.actor, event.detail) == (administrator, {"password_reset_link": True})

    # The link alone (all the administrator has) neither shows a secret nor sets the password.
    page = Client().get(path)
    assert page.status_code == 200
    assert "<img" not in page.content.decode() and device.key not in page.content.decode()
    new = "the person's own new passphrase 8"
    data = {"password": new, "password_again": new, "code": wrong_code_for(device)}
    refused = Client(headers={"accept-language": "en"}).post(path, data)
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert list(AuthenticatorDevice.objects.filter(user=person)) == [device]

    # The app's current code was just used to sign in (and is throttled): a backup code.
    backup = BackupCodeDevice.objects.create(user=person, name="backup codes", confirmed=True)
    backup.codes_set(["m2q7rsk4"])
    done = Client().post(path, {**data, "code": "m2q7rsk4"})
    assert done.status_code == 200
    person.refresh_from_db()
    assert person.check_password(new)
    assert list(AuthenticatorDevice.objects.filter(user=person)) == [device]  # devices kept
    assert AuditEvent.objects.filter(
        actor=person, object_reference=person.username, detail={"password_reset": True}
    ).exists()
    assert old_browser.get(reverse("admin:index")).status_code == 302
    assert Client().get(path).status_code == 404  # used once


def test_a_password_reset_link_cannot_pair_a_new_device():
    from casework.services.staff import EnrolmentError, staff_enrol, staff_password_reset_link

    person = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=person)
    link = staff_password_reset_link(user=person, actor=UserFactory(role=Role.ADMINISTRATOR))
    token = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(EnrolmentError):
        staff_enrol(token=token, password="some other passphrase 77", code="123456")
    assert list(AuthenticatorDevice.objects.filter(user=person)) == [device]
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
