"""The admin's words where Django's own do not fit Russian and Ukrainian: counts and titles.

Django builds "20 дела" from a number and a model's plural name, and "Изменить военнослужащий"
from a verb and the name in the nominative; neither language works that way. Counts here come
from the catalogues' plural forms (ngettext, one phrase per model); Django's titles and notes
that put a model's name into a sentence are worded anew in our catalogues (which come first,
LOCALE_PATHS) so that the name stands alone ("Изменение: военнослужащий"), right in any case.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

# One phrase per model whose list a member of staff opens: "%(count)s" is the number.
COUNTED: dict[str, Callable[[int], str]] = {
    "casework.case": lambda n: ngettext("%(count)s case", "%(count)s cases", n),
    "casework.filing": lambda n: ngettext("%(count)s filing", "%(count)s filings", n),
    "casework.deadline": lambda n: ngettext("%(count)s deadline", "%(count)s deadlines", n),
    "casework.serviceman": lambda n: ngettext("%(count)s serviceman", "%(count)s servicemen", n),
    "casework.applicant": lambda n: ngettext("%(count)s applicant", "%(count)s applicants", n),
    "casework.timelineentry": lambda n: ngettext(
        "%(count)s timeline entry", "%(count)s timeline entries", n
    ),
    "casework.authorityoffice": lambda n: ngettext(
        "%(count)s authority office", "%(count)s authority offices", n
    ),
    "casework.responserule": lambda n: ngettext(
        "%(count)s response rule", "%(count)s response rules", n
    ),
    "casework.jurisdictioncalendar": lambda n: ngettext(
        "%(count)s calendar", "%(count)s calendars", n
    ),
    "casework.calendaroverride": lambda n: ngettext(
        "%(count)s calendar override", "%(count)s calendar overrides", n
    ),
    "casework.escalationstep": lambda n: ngettext(
        "%(count)s escalation step", "%(count)s escalation steps", n
    ),
    "casework.documenttemplate": lambda n: ngettext(
        "%(count)s document template", "%(count)s document templates", n
    ),
    "casework.team": lambda n: ngettext("%(count)s team", "%(count)s teams", n),
    "casework.exchange": lambda n: ngettext("%(count)s exchange", "%(count)s exchanges", n),
    "casework.givennameequivalent": lambda n: ngettext(
        "%(count)s given-name spelling", "%(count)s given-name spellings", n
    ),
    "casework.crisisline": lambda n: ngettext("%(count)s crisis line", "%(count)s crisis lines", n),
    "casework.auditevent": lambda n: ngettext("%(count)s audit event", "%(count)s audit events", n),
    "casework.authenticatordevice": lambda n: ngettext(
        "%(count)s authenticator app", "%(count)s authenticator apps", n
    ),
    "casework.backupcodedevice": lambda n: ngettext(
        "%(count)s set of backup codes", "%(count)s sets of backup codes", n
    ),
    "casework.apitoken": lambda n: ngettext("%(count)s API token", "%(count)s API tokens", n),
    "casework.sitestate": lambda n: ngettext("%(count)s site state", "%(count)s site states", n),
    "auth.user": lambda n: ngettext("%(count)s user", "%(count)s users", n),
    "auth.group": lambda n: ngettext("%(count)s group", "%(count)s groups", n),
}


def counted(model: type[Model], count: int) -> str:
    """ "21 дело", "5 дел": a number of the model's rows in the plural form the language gives
    that number; a model without its phrase says "дела: 5", right whatever the number."""
    phrase = COUNTED.get(model._meta.label_lower)
    if phrase is None:
        return gettext("%(name)s: %(count)s") % {
            "name": model._meta.verbose_name_plural,
            "count": count,
        }
    return phrase(count) % {"count": count}


def boolean_icon(value: bool | None) -> SafeString:
    """Django's yes/no icon with its text alternative in the reader's language (Django writes
    "True" and "False", which a screen reader reads out in English)."""
    name = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: _("yes"), False: _("no"), None: _("unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), text)


def boolean_icon_install() -> None:
    """Use `boolean_icon` for every list and read-only field: Django imports its own at each call
    from this module attribute, so replacing the attribute is enough."""
    from django.contrib.admin.templatetags import admin_list

    admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]


# Django's admin strings that our catalogues word anew (see the module's docstring). Listed here
# so that `makemessages` keeps them in our catalogues; nothing reads this tuple.
DJANGO_REWORDED = (
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Select %s"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    gettext_noop("Add %(name)s"),
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop("Cannot delete %(name)s"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    gettext_noop("Change selected %(model)s"),
    gettext_noop("Add another %(model)s"),
    gettext_noop("Delete selected %(model)s"),
    gettext_noop("View selected %(model)s"),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in deleting related "
        "objects, but your account doesn't have permission to delete the following types of "
        "objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would require deleting the following "
        "protected related objects:"
    ),
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? All of the '
        "following related items will be deleted:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would result in deleting related objects, but "
        "your account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would require deleting the following protected "
        "related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the selected %(objects_name)s? All of the following "
        "objects and their related items will be deleted:"
    ),
    ngettext_lazy("%(total_count)s selected", "All %(total_count)s selected", "total_count"),
    ngettext_lazy(
        "%(count)s %(name)s was changed successfully.",
        "%(count)s %(name)s were changed successfully.",
        "count",
    ),
)
