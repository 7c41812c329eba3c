"""Staff roles, defined once; groups are created by a data migration and checked by selectors."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User

AnyUser = User | AnonymousUser


class Role(StrEnum):
    CASEWORKER = "Caseworker"
    COORDINATOR = "Coordinator"


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
