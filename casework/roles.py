"""Staff roles, defined once: their Django permissions here, their reach in the selectors.

- caseworker: cases of their teams and cases assigned to them;
- coordinator: all cases, triage, assignment, legal rules and templates;
- administrator: staff accounts, devices and settings (no case content by this role alone);
- auditor: the audit log only, no case content.
Data migrations create the groups (`sync_role_groups`); they add up to ROLE_PERMISSIONS.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

AnyUser = User | AnonymousUser


class Role(StrEnum):
    CASEWORKER = "Caseworker"
    COORDINATOR = "Coordinator"
    ADMINISTRATOR = "Administrator"
    AUDITOR = "Auditor"


_CASE_READ_WRITE = {
    "casework.case": ["view", "change"],
    "casework.serviceman": ["view", "change"],
    "casework.applicant": ["view", "change", "add"],
    "casework.timelineentry": ["view", "add"],
    "casework.filing": ["view", "add", "change"],
    # "add" makes a follow-up (services/follow_ups.py); "change" hands a clock to someone else
    # or closes a follow-up; statutory clocks move by their filings only.
    "casework.deadline": ["view", "change", "add"],
    # "add": staff scans and photos (receipts, answers), stored like the family's files.
    "casework.attachment": ["view", "add"],
    "casework.casefact": ["view", "add", "change"],
    "casework.team": ["view"],
    "casework.exchange": ["view"],
    "casework.authorityoffice": ["view"],
    "casework.responserule": ["view"],
    "casework.escalationstep": ["view"],
    "casework.jurisdictioncalendar": ["view"],
    "casework.calendaroverride": ["view"],
    "casework.documenttemplate": ["view"],
    "casework.crisisline": ["view"],
}
ROLE_PERMISSIONS: dict[Role, dict[str, list[str]]] = {
    Role.CASEWORKER: _CASE_READ_WRITE,
    Role.COORDINATOR: {
        **_CASE_READ_WRITE,
        # "delete": a family's deletion request, the same erasure as retention (case_delete).
        "casework.case": ["view", "change", "add", "delete"],
        "casework.serviceman": ["view", "change", "add"],
        "casework.applicant": ["view", "change", "add", "delete"],
        "casework.timelineentry": ["view", "add", "change"],
        "casework.team": ["view", "change", "add"],
        "casework.exchange": ["view", "change", "add"],
        "casework.givennameequivalent": ["view", "change", "add", "delete"],
        "casework.authorityoffice": ["view", "change", "add"],
        "casework.responserule": ["view", "change", "add"],
        "casework.escalationstep": ["view", "change", "add", "delete"],
        "casework.jurisdictioncalendar": ["view", "change"],
        "casework.calendaroverride": ["view", "change", "add", "delete"],
        "casework.documenttemplate": ["view", "change", "add"],
        "casework.crisisline": ["view", "change", "add", "delete"],
        "casework.auditevent": ["view"],
    },
    Role.ADMINISTRATOR: {
        "auth.user": ["view", "change", "add"],
        "auth.group": ["view"],
        "casework.authenticatordevice": ["view", "delete"],
        "casework.backupcodedevice": ["view", "delete"],
        "casework.team": ["view", "change", "add"],
        "casework.sitestate": ["view", "change"],
        "casework.auditevent": ["view"],
    },
    Role.AUDITOR: {"casework.auditevent": ["view"]},
}


def sync_role_groups(
    apps: Any,
    *,
    matrix: dict[str, dict[str, list[str]]] | None = None,
    in_migration: bool = True,
) -> None:
    """Create each role's group and give it exactly the permissions of `matrix` (default above).

    A migration passes the matrix as it was when it was written, so replaying it never applies
    a later one; a later change to ROLE_PERMISSIONS comes with a migration of its own (a test
    checks that the migrations add up to ROLE_PERMISSIONS). In a migration, permissions of
    models created earlier in the same run do not exist yet, so they are made first (the
    historical app registry allows the `models_module` trick).
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs() if in_migration else []:
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, grants in (ROLE_PERMISSIONS if matrix is None else matrix).items():
        group, _ = group_model.objects.get_or_create(name=str(role))
        wanted = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            wanted += list(
                permission_model.objects.filter(
                    content_type__app_label=app_label,
                    content_type__model=model,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )
        group.permissions.set(wanted)


def has_role(user: AnyUser, role: Role) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    # Group names are cached on the user object for the request: selectors ask several times.
    names: set[str] | None = getattr(user, "_casework_roles", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._casework_roles = names  # type: ignore[union-attr,attr-defined]
    return role.value in names


def is_coordinator(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.COORDINATOR)


def is_administrator(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.ADMINISTRATOR)
