"""Staff lifecycle: invitations and enrolment, device resets, offboarding, emergency controls.

A stolen password alone is never enough (every account needs a second factor), and a departed
volunteer loses access in one step. Every change to a staff account is audited here, and nobody
changes their own role or access: an administrator manages others, never becomes someone else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.crypto import token_hash
from casework.exceptions import CaseworkError
from casework.models import (
    AuditEvent,
    AuthenticatorDevice,
    BackupCodeDevice,
    Case,
    Deadline,
    SiteState,
    StaffInvitation,
    StaffProfile,
    Team,
)
from casework.models.devices import backup_code_new
from casework.roles import Role, is_administrator
from casework.services.accounts import second_factor_verify
from casework.services.api_tokens import api_tokens_revoke_all
from casework.services.audit import audit_record

BACKUP_CODES = 10


class EnrolmentError(CaseworkError):
    code = "enrolment"


class StaffAccountError(CaseworkError):
    """A change to a staff account that this actor may not make."""

    code = "staff_account"


INVITATION_PURPOSE = "casework.staff-link"


def _token_hash(token: str) -> str:
    # Keyed: a dump alone cannot even confirm a link seen elsewhere (a browser history).
    return token_hash(INVITATION_PURPOSE, token)


def _backup_codes_issue(user: User) -> list[str]:
    """A fresh set of backup codes (replacing any), returned to be shown once."""
    BackupCodeDevice.objects.filter(user=user).delete()
    backup = BackupCodeDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [backup_code_new() for _ in range(BACKUP_CODES)]
    backup.codes_set(codes)
    return codes


def _new_invitation(
    *,
    user: User,
    actor: User | None,
    purpose: StaffInvitation.Purpose = StaffInvitation.Purpose.ENROL,
) -> str:
    """Invalidate earlier links and issue a new one; returns the link's URL (shown once)."""
    now = timezone.now()
    StaffInvitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    token = secrets.token_urlsafe(32)
    StaffInvitation.objects.create(
        user=user,
        token_hash=_token_hash(token),
        purpose=purpose,
        created_by=actor,
        expires_at=now + timedelta(hours=settings.STAFF_INVITATION_HOURS),
    )
    return f"{settings.SITE_URL}/enrol/{token}/"


@transaction.atomic
def staff_invite(
    *, username: str, email: str, role: Role, teams: list[Team], actor: User | None
) -> tuple[User, str]:
    """Create a staff account with no password and no device, and its one-time enrolment link."""
    if User.objects.filter(username__iexact=username).exists():
        raise EnrolmentError(_("That username is taken."))
    user = User(username=username, email=email, is_staff=True, is_active=True)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=role.value))
    for team in teams:
        team.members.add(user)
    link = _new_invitation(user=user, actor=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=user,
        reference=username,
        detail={"role": role.value, "invitation": True},
    )
    return user, link


@dataclass(frozen=True)
class StaffCreated:
    user: User
    team_created: bool
    authenticator_uri: str  # shown once, never stored elsewhere or logged
    backup_codes: list[str]


@transaction.atomic
def staff_create(
    *,
    username: str,
    email: str,
    password: str,
    role: Role,
    team_name: str,
    superuser: bool = False,
    actor: User | None = None,
) -> StaffCreated:
    """An account ready to sign in (password, authenticator, backup codes), for the server's
    `create_caseworker` command; audited like an invitation. The team is made if missing."""
    if User.objects.filter(username__iexact=username).exists():
        raise EnrolmentError(_("That username is taken."))
    validate_password(password, user=User(username=username, email=email))
    user = User.objects.create_user(
        username=username, email=email, password=password, is_staff=True, is_superuser=superuser
    )
    user.groups.add(Group.objects.get(name=role.value))
    team, team_created = Team.objects.get_or_create(name=team_name)
    team.members.add(user)
    totp = AuthenticatorDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    codes = _backup_codes_issue(user)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=user,
        reference=username,
        detail={"role": role.value, "team": team.pk, "superuser": superuser, "by": "command"},
    )
    return StaffCreated(
        user=user,
        team_created=team_created,
        authenticator_uri=totp.config_url,
        backup_codes=codes,
    )


def invitation_get(token: str) -> StaffInvitation | None:
    """A usable invitation for this token, or None (unknown, used, expired or account closed)."""
    return (
        StaffInvitation.objects.select_related("user")
        .filter(
            token_hash=_token_hash(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def enrolment_device(invitation: StaffInvitation) -> AuthenticatorDevice:
    """The unconfirmed authenticator being set up for this invitation (made once, then reused)."""
    device = AuthenticatorDevice.objects.get_or_create(
        user=invitation.user, name="enrolment", confirmed=False
    )[0]
    return device


def _invitation_lock(
    found: StaffInvitation | None, purpose: StaffInvitation.Purpose
) -> StaffInvitation:
    """The invitation, locked, if still unused and for this purpose; else EnrolmentError.

    A password-reset link must never pair a device: it is the administrator who hands it over.
    """
    invitation = (
        StaffInvitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=found.pk, used_at__isnull=True, purpose=purpose)
        .first()
        if found
        else None
    )
    if invitation is None:
        raise EnrolmentError(_("This enrolment link is not valid any more. Ask for a new one."))
    return invitation


@dataclass(frozen=True)
class Enrolled:
    user: User
    backup_codes: list[str]


@transaction.atomic
def staff_enrol(*, token: str, password: str, code: str) -> Enrolled:
    """Set the password and confirm the authenticator; returns backup codes to show once."""
    found = invitation_get(token)
    invitation = _invitation_lock(found, StaffInvitation.Purpose.ENROL)
    user = invitation.user
    validate_password(password, user)  # raises ValidationError with translated messages
    device = enrolment_device(invitation)
    if not device.verify_token(code.replace(" ", "")):
        raise EnrolmentError(
            _("That code is not right. Check the time on your phone and try again.")
        )
    AuthenticatorDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.name, device.confirmed = "authenticator", True
    device.save(update_fields=["name", "confirmed"])
    codes = _backup_codes_issue(user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"enrolled": True},
    )
    return Enrolled(user=user, backup_codes=codes)


def _sessions_end(user_ids: list[int] | None) -> int:
    """End every session of these people (None: of everyone) at once, whatever their keys.

    Adds one to each person's session generation, which is part of the hash every session is
    checked against on each request (StaffUser); returns how many people were signed out.
    """
    users = User.objects.all() if user_ids is None else User.objects.filter(pk__in=user_ids)
    StaffProfile.objects.bulk_create(
        [StaffProfile(user_id=pk) for pk in users.values_list("pk", flat=True)],
        ignore_conflicts=True,  # most people have their row already
    )
    profiles = StaffProfile.objects.filter(user__in=users)
    return profiles.update(session_generation=F("session_generation") + 1)


@transaction.atomic
def staff_device_reset(*, user: User, actor: User) -> str:
    """A lost phone: remove every device, end the sessions, issue a new enrolment link.

    Whoever holds the link can enrol as the person, so only a superuser resets a superuser.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser and not actor.is_superuser:
        raise StaffAccountError(_("Only a superuser can change a superuser's account."))
    AuthenticatorDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    _sessions_end([user.pk])
    link = _new_invitation(user=user, actor=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"device_reset": True},
    )
    return link


@transaction.atomic
def staff_password_reset_link(*, user: User, actor: User) -> str:
    """A one-time link to choose a new password, usable only with the person's own second
    factor: the administrator who passes it on cannot use it. Devices and sessions are kept."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not (
        AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists()
        or BackupCodeDevice.objects.filter(user=user, confirmed=True).exists()
    ):
        raise StaffAccountError(
            _("This person has no second factor yet: reset the second factor instead.")
        )
    link = _new_invitation(user=user, actor=actor, purpose=StaffInvitation.Purpose.PASSWORD)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"password_reset_link": True},
    )
    return link


@transaction.atomic
def staff_password_reset(*, token: str, password: str, code: str) -> User:
    """Set the new password of a password-reset link, given a code from the person's own
    device; ends every other session of the person."""
    invitation = _invitation_lock(invitation_get(token), StaffInvitation.Purpose.PASSWORD)
    user = invitation.user
    validate_password(password, user)  # raises ValidationError with translated messages
    if second_factor_verify(user=user, code=code) is None:
        raise EnrolmentError(
            _("That code is not right. Check the time on your phone and try again.")
        )
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    _sessions_end([user.pk])
    audit_record(
        actor=user,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"password_reset": True},
    )
    return user


def _team_coordinator(team_id: int | None, leaving: User) -> User | None:
    if team_id is None:
        return None
    return (
        User.objects.filter(is_active=True, teams=team_id, groups__name=Role.COORDINATOR.value)
        .exclude(pk=leaving.pk)
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class Offboarded:
    tokens: int
    cases: int
    deadlines: int


@transaction.atomic
def staff_offboard(*, user: User, actor: User) -> Offboarded:
    """Deactivate, end every session, revoke tokens and links, hand work to team coordinators."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk:
        raise CaseworkError(_("You cannot offboard yourself."))
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    _sessions_end([user.pk])
    tokens = api_tokens_revoke_all(user_ids=[user.pk], actor=actor)
    StaffInvitation.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    AuthenticatorDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    cases = 0
    assigned = Case.objects.select_for_update().filter(assignee=user).exclude(status="closed")
    for case in assigned.order_by("pk"):  # pk order, like every other lock on cases
        case.assignee = _team_coordinator(case.team_id, user)
        case.save(update_fields=["assignee", "updated_at"])
        cases += 1
    deadlines = 0
    open_deadlines = Deadline.objects.select_for_update(of=("self",)).filter(
        responsible=user, state=Deadline.State.OPEN
    )
    for deadline in open_deadlines.select_related("case"):
        deadline.responsible = _team_coordinator(deadline.case.team_id, user)
        deadline.save(update_fields=["responsible"])
        deadlines += 1
    user.teams.clear()
    result = Offboarded(tokens=tokens, cases=cases, deadlines=deadlines)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"offboarded": True, **result.__dict__},
    )
    return result


@transaction.atomic
def emergency_sign_out(*, actor: User | None) -> tuple[int, int]:
    """End every session of everyone and revoke every API token, at once.

    Returns (people signed out, tokens revoked).
    """
    people = _sessions_end(None)
    tokens = api_tokens_revoke_all(user_ids=None, actor=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        reference="emergency-sign-out",
        detail={"people": people, "tokens": tokens},
    )
    return people, tokens


def site_state() -> SiteState:
    return SiteState.objects.get_or_create(pk=1)[0]


@transaction.atomic
def lockdown_set(*, enabled: bool, actor: User | None) -> SiteState:
    """Switch the read-only lockdown: while on, only administrators can change anything.

    `actor=None` is the server's own command (`manage.py lockdown`), run without signing in."""
    state = site_state()
    state.lockdown, state.changed_by, state.changed_at = enabled, actor, timezone.now()
    state.save(update_fields=["lockdown", "changed_by", "changed_at"])
    detail: dict[str, object] = {"lockdown": enabled}
    if actor is None:
        detail["by"] = "command"
    audit_record(actor=actor, action=AuditEvent.Action.CHANGE, reference="lockdown", detail=detail)
    return state


def staff_role_of(user: User) -> Role | None:
    """The person's role (their role group), or None."""
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in Role if role.value in names), None)


def staff_account_change_check(*, user: User, actor: User, role: Role, active: bool) -> None:
    """Raise StaffAccountError unless `actor` may give `user` this role and activation.

    Nobody changes their own role or access (an administrator cannot make itself a coordinator
    and read cases), and only a superuser changes a superuser's account.
    """
    changes = role != staff_role_of(user) or active != user.is_active
    if changes and user.pk == actor.pk:
        raise StaffAccountError(_("You cannot change your own role or access."))
    if changes and user.is_superuser and not actor.is_superuser:
        raise StaffAccountError(_("Only a superuser can change a superuser's account."))


def _role_set(*, user: User, role: Role, actor: User) -> None:
    previous = staff_role_of(user)
    if previous == role:
        return
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
    user.groups.add(Group.objects.get(name=role.value))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"role": role.value, "previous_role": previous.value if previous else None},
    )


def _activation_set(*, user: User, active: bool, actor: User) -> None:
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _sessions_end([user.pk])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        detail={"active": active},
    )


@transaction.atomic
def staff_role_set(*, user: User, role: Role, actor: User) -> User:
    """Give `user` exactly this role (audited); refuses a change to one's own role."""
    user = User.objects.select_for_update().get(pk=user.pk)
    staff_account_change_check(user=user, actor=actor, role=role, active=user.is_active)
    _role_set(user=user, role=role, actor=actor)
    return user


@transaction.atomic
def staff_account_update(*, user: User, actor: User, email: str, role: Role, active: bool) -> User:
    """Save the staff change form: email, role and activation, each change audited (field
    names and the role, never the email itself). Deactivating ends every session."""
    user = User.objects.select_for_update().get(pk=user.pk)
    staff_account_change_check(user=user, actor=actor, role=role, active=active)
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=user,
            reference=user.username,
            detail={"fields": ["email"]},
        )
    _role_set(user=user, role=role, actor=actor)
    _activation_set(user=user, active=active, actor=actor)
    return user


@transaction.atomic
def staff_away_set(*, user: User, actor: User, away_until: date | None) -> StaffProfile:
    """Say that `user` is away until a day (inclusive), or back (None); audited.

    Meanwhile their reminders go to their team's coordinators (selectors/staff.py decides).
    The person sets their own absence; an administrator may set anyone's. Anyone else, or a
    day already past, is refused and changes nothing.
    """
    if actor.pk != user.pk and not is_administrator(actor):
        raise StaffAccountError(_("Only the person or an administrator can set an absence."))
    if away_until is not None and away_until < timezone.localdate():
        raise StaffAccountError(_("That day is already past."))
    StaffProfile.objects.get_or_create(user_id=user.pk)
    profile = StaffProfile.objects.select_for_update().get(user_id=user.pk)
    if profile.away_until == away_until:
        return profile
    profile.away_until = away_until
    profile.save(update_fields=["away_until"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=user,
        reference=user.username,
        # The field, not the day: when someone is away is nobody's business in the audit log.
        detail={"fields": ["away_until"], "away": away_until is not None},
    )
    return profile
