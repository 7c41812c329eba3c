"""Crisis lines in the admin: data an organisation keeps up to date and checks by calling."""

from __future__ import annotations

from django.contrib import admin

from casework.admin.base import AuditedModelAdmin
from casework.admin.site import site
from casework.models import CrisisLine


@admin.register(CrisisLine, site=site)
class CrisisLineAdmin(AuditedModelAdmin):
    list_display = ("name", "jurisdiction", "phone", "hours", "is_verified", "verified_on")
    list_filter = ("jurisdiction", "is_verified")
    ordering = ("jurisdiction", "name")
