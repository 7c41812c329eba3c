"""Create the four staff roles' groups with the permissions they had when this was written.

The matrix is frozen here, not read from casework/roles.py: replaying this migration later
must not apply a newer matrix (later changes come with migrations of their own, e.g. 0012).
"""

from django.db import migrations

_CASE_READ_WRITE = {
    "casework.case": ["view", "change"],
    "casework.serviceman": ["view", "change"],
    "casework.applicant": ["view", "change", "add"],
    "casework.timelineentry": ["view", "add"],
    "casework.filing": ["view", "add", "change"],
    "casework.deadline": ["view"],
    "casework.attachment": ["view"],
    "casework.team": ["view"],
    "casework.exchange": ["view"],
    "casework.authorityoffice": ["view"],
    "casework.responserule": ["view"],
    "casework.escalationstep": ["view"],
    "casework.jurisdictioncalendar": ["view"],
    "casework.calendaroverride": ["view"],
}
ROLES = {
    "Caseworker": _CASE_READ_WRITE,
    "Coordinator": {
        **_CASE_READ_WRITE,
        "casework.case": ["view", "change", "add"],
        "casework.serviceman": ["view", "change", "add"],
        "casework.applicant": ["view", "change", "add", "delete"],
        "casework.timelineentry": ["view", "add", "change"],
        "casework.deadline": ["view", "change"],
        "casework.team": ["view", "change", "add"],
        "casework.exchange": ["view", "change", "add"],
        "casework.givennameequivalent": ["view", "change", "add", "delete"],
        "casework.authorityoffice": ["view", "change", "add"],
        "casework.responserule": ["view", "change", "add"],
        "casework.escalationstep": ["view", "change", "add", "delete"],
        "casework.jurisdictioncalendar": ["view", "change"],
        "casework.calendaroverride": ["view", "change", "add", "delete"],
        "casework.auditevent": ["view"],
    },
    "Administrator": {
        "auth.user": ["view", "change", "add"],
        "auth.group": ["view"],
        "otp_totp.totpdevice": ["view", "delete"],
        "otp_static.staticdevice": ["view", "delete"],
        "casework.team": ["view", "change", "add"],
        "casework.sitestate": ["view", "change"],
        "casework.auditevent": ["view"],
    },
    "Auditor": {"casework.auditevent": ["view"]},
}


def forwards(apps, schema_editor):
    from casework.roles import sync_role_groups

    sync_role_groups(apps, matrix=ROLES)


class Migration(migrations.Migration):
    dependencies = [
        # django-otp's device plugins and DRF's authtoken were installed when this was
        # written; 0020 moved their rows into casework's own tables and dropped them, so they
        # are no longer dependencies (their permissions above simply match nothing now).
        ("casework", "0007_staff"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
