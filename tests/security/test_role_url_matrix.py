"""Issue 13: every admin URL and every API route, for every role.

The URLs are not listed by hand: they are walked from the admin site's registry (each model
admin's get_urls: changelist, add, change, delete, history and its own views) and from the API's
URL map, so a view added later is in the matrix at once and must be given an expectation.

Roles: a caseworker of the case's team, a caseworker of another team, a coordinator, an
administrator, an auditor, and nobody signed in. What each may be shown is written here from
the README's promises (roles.py's matrix, "no case content by the administrator role alone",
"the auditor sees the audit log only"), not read back from the admin classes; and whatever a
role may not see answers without any of the case's details, in lists and counts too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern

from casework.admin.site import site
from casework.models import (
    ApiToken,
    AuditEvent,
    AuthenticatorDevice,
    AuthorityOffice,
    BackupCodeDevice,
    CalendarOverride,
    Case,
    CaseImport,
    CrisisLine,
    Deadline,
    DocumentTemplate,
    EscalationStep,
    Exchange,
    Filing,
    GivenNameEquivalent,
    JurisdictionCalendar,
    ResponseRule,
    SiteState,
    TimelineEntry,
)
from casework.roles import ROLE_PERMISSIONS, Role
from casework.services.filings import filing_create, filing_mark_sent
from tests.factories import CaseFactory, TeamFactory, TimelineEntryFactory, UserFactory
from tests.security.staff_support import signed_in

pytestmark = pytest.mark.django_db

SHOWN, DENIED, LOGIN = "shown", "denied", "login"
ROLES = ("own_caseworker", "other_caseworker", "coordinator", "administrator", "auditor", "nobody")
ROLE_OF = {
    "own_caseworker": Role.CASEWORKER,
    "other_caseworker": Role.CASEWORKER,
    "coordinator": Role.COORDINATOR,
    "administrator": Role.ADMINISTRATOR,
    "auditor": Role.AUDITOR,
}
# The rows that belong to one family's case: only its team's caseworkers and coordinators see them.
CASE_BOUND = {
    "casework.case",
    "casework.serviceman",
    "casework.applicant",
    "casework.timelineentry",
    "casework.filing",
    "casework.deadline",
}
SEES_THE_CASE = {"own_caseworker", "coordinator"}


@dataclass(frozen=True)
class World:
    case: Case
    filing: Filing
    deadline: Deadline
    entry: TimelineEntry
    secrets: tuple[str, ...]  # what of the case must never reach anyone who may not see it
    people: dict[str, Any]
    objects: dict[str, Any]


@pytest.fixture
def world(django_capture_on_commit_callbacks) -> World:  # type: ignore[no-untyped-def]
    team, other_team = TeamFactory(name="Team Alpha"), TeamFactory(name="Team Beta")
    people = {
        "own_caseworker": UserFactory(role=Role.CASEWORKER, teams=[team]),
        "other_caseworker": UserFactory(role=Role.CASEWORKER, teams=[other_team]),
        "coordinator": UserFactory(role=Role.COORDINATOR),
        "administrator": UserFactory(role=Role.ADMINISTRATOR),
        "auditor": UserFactory(role=Role.AUDITOR),
    }
    case = CaseFactory(
        team=team,
        status=Case.Status.NEW,
        serviceman__surname="Ознобишин",
        serviceman__unit_number="в/ч 71717",
        applicant__phone="+7 916 555 7171",
    )
    CaseFactory(team=other_team, status=Case.Status.ACTIVE)  # the other team's own work
    entry = TimelineEntryFactory(case=case, text="Сын звонил из госпиталя в Ростове")
    office = AuthorityOffice.objects.filter(kind="ru_mod").order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        filing = filing_create(
            case=case, office=office, kind="complaint", signer="family", actor=None
        )
        filing = filing_mark_sent(
            filing=filing,
            actor=None,
            sent_on=date(2025, 1, 10),
            method=Filing.Method.REGISTERED_MAIL,
            tracking_number="80012345678901",
            proof_to_follow="квитанция у матери",
        )
    deadline = Deadline.objects.filter(filing=filing).order_by("pk").first()
    assert deadline is not None
    objects = {
        "casework.case": case,
        "casework.serviceman": case.serviceman,
        "casework.applicant": case.applicant,
        "casework.timelineentry": entry,
        "casework.filing": filing,
        "casework.deadline": deadline,
        "casework.team": team,
        "casework.exchange": Exchange.objects.create(happened_on=date(2025, 5, 24)),
        "casework.calendaroverride": CalendarOverride.objects.get_or_create(
            jurisdiction="RU", day=date(2031, 3, 10), defaults={"is_working": False}
        )[0],
        "casework.sitestate": SiteState.objects.get_or_create(pk=1)[0],
        "casework.auditevent": AuditEvent.objects.order_by("pk").first(),
        "casework.givennameequivalent": GivenNameEquivalent.objects.order_by("pk").first(),
        "casework.authorityoffice": office,
        "casework.responserule": ResponseRule.objects.order_by("pk").first(),
        "casework.jurisdictioncalendar": JurisdictionCalendar.objects.order_by("pk").first(),
        "casework.escalationstep": EscalationStep.objects.order_by("pk").first(),
        "casework.documenttemplate": DocumentTemplate.objects.order_by("pk").first(),
        "casework.crisisline": CrisisLine.objects.create(name="Линия", phone="112"),
        "auth.user": people["own_caseworker"],
        "auth.group": Group.objects.order_by("pk").first(),
        "casework.authenticatordevice": None,  # made when the people sign in
        "casework.backupcodedevice": BackupCodeDevice.objects.create(
            user=people["own_caseworker"], name="backup"
        ),
        "casework.apitoken": ApiToken.objects.get(pk=_token_of(people["own_caseworker"])),
        # An import whose sheet is gone: its page says so (no file is needed for the matrix).
        "import": CaseImport.objects.create(team=team, file_format="csv"),
    }
    secrets = (
        case.reference,
        filing.reference,
        "Ознобишин",
        "71717",
        "555 7171",
        "госпиталя в Ростове",
        "80012345678901",
    )
    return World(case, filing, deadline, entry, secrets, people, objects)


def _token_of(user: object) -> int:
    """The id of a fresh API token of `user` (its secret is not needed here)."""
    from casework.services.api_tokens import api_token_create

    return api_token_create(user=user, actor=user)[0].pk  # type: ignore[arg-type]


@dataclass(frozen=True)
class Url:
    path: str
    label: str  # the model's label, or "site" / "api" / "download"
    view: str  # changelist, add, change, delete, history, redirect, or the view's own name


def _fill(route: str, object_id: object, action: str = "") -> str:
    route = route.replace("<path:object_id>", str(object_id)).replace("<slug:action>", action)
    return route.lstrip("^").rstrip("$")


def admin_urls(world: World) -> list[Url]:
    """Every URL each registered model admin answers, with the world's object filled in."""
    from casework.admin.filings.transitions import ACTIONS

    urls = []
    for model, model_admin in site._registry.items():
        label = model._meta.label_lower
        obj = world.objects[label]
        prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for pattern in model_admin.get_urls():
            assert isinstance(pattern, URLPattern), pattern
            route = str(pattern.pattern)
            # Unnamed: Django's "<id>/" redirect to the change page, and django-otp's secret
            # pages that the device admins answer with 404 (named by their last part).
            name = pattern.name or route.rstrip("/").rpartition("/")[2] or "redirect"
            if name == "<path:object_id>":
                name = "redirect"
            view = name.removeprefix(f"{model._meta.app_label}_{model._meta.model_name}_")
            if "<slug:action>" in route:
                for action in ACTIONS:
                    urls.append(Url(prefix + _fill(route, obj.pk, action), label, action))
                continue
            urls.append(Url(prefix + _fill(route, obj.pk if obj else 0), label, view))
    return urls


def site_urls(world: World) -> list[Url]:
    registered = {str(p.pattern) for m in site._registry.values() for p in m.get_urls()}
    urls = [
        Url("/admin/", "site", "index"),
        Url("/admin/login/", "site", "login"),
        Url("/admin/logout/", "site", "logout"),
        Url("/admin/password_change/", "site", "password_change"),
        Url("/admin/password_change/done/", "site", "password_change_done"),
        Url("/admin/jsi18n/", "site", "jsi18n"),
        Url(
            "/admin/autocomplete/?app_label=casework&model_name=case&field_name=merged_into",
            "site",
            "autocomplete",
        ),
        Url(f"/admin/r/1/{world.case.pk}/", "site", "view_on_site"),
        Url("/admin/nothing-here/", "site", "catch_all"),
        Url("/admin/statistics/", "site", "statistics"),
        Url("/admin/statistics/csv/", "site", "statistics_csv"),
        Url("/admin/import/", "site", "case_import_upload"),
        Url(f"/admin/import/{world.objects['import'].public_id}/", "site", "case_import"),
        Url("/admin/export/", "site", "case_export"),
        Url("/admin/collective/", "site", "collective"),
    ]
    urls += [Url(f"/admin/{app}/", "site", "app_list") for app in ("auth", "casework")]
    assert registered  # the registry was walked
    return urls


def download_urls(world: World) -> list[Url]:
    from casework.models import Attachment, GeneratedDocument

    attachment = Attachment.objects.get(case=world.case)
    document = GeneratedDocument.objects.filter(filing=world.filing).latest("pk")
    return [
        Url(f"/admin/attachments/{attachment.public_id}/download/", "download", "attachment"),
        Url(
            f"/admin/attachments/{attachment.public_id}/download/?version=original",
            "download",
            "attachment_original",
        ),
        Url(f"/admin/documents/{document.pk}/download/", "download", "document"),
    ]


def api_urls(world: World) -> list[Url]:
    from casework.api.urls import urlpatterns

    urls = []
    for pattern in urlpatterns:
        route = str(pattern.pattern).replace("<str:reference>", world.case.reference)
        urls.append(Url("/api/v1/" + route, "api", pattern.name or ""))
    return urls + [Url("/api/schema/", "api", "schema"), Url("/api/docs/", "api", "docs")]


def client_for(world: World, role: str) -> Client:
    if role == "nobody":
        return Client(headers={"accept-language": "en"})
    client = signed_in(world.people[role])
    world.objects["casework.authenticatordevice"] = AuthenticatorDevice.objects.order_by(
        "pk"
    ).first()
    return client


# --- What each role is shown ---------------------------------------------------------------------


def granted(role: str, label: str, action: str) -> bool:
    """roles.py's matrix: the Django permission the role's group carries."""
    return action in ROLE_PERMISSIONS[ROLE_OF[role]].get(label, [])


def visible(role: str, label: str) -> bool:
    """Whether the object of this model exists for the role at all (the selectors' rule)."""
    if label in CASE_BOUND:
        return role in SEES_THE_CASE
    if label == "casework.auditevent":
        return granted(role, label, "view")  # the audit log: coordinators, admins, auditors
    return True


# Pages no role gets, whatever its permissions say (the README's promises, each with a test of
# its own elsewhere): nobody adds, edits or deletes an audit event; devices are only listed
# (removed by the audited reset); nobody sets another person's password; the lockdown row is
# never added or deleted; timeline entries and clocks are added only by their services (a
# follow-up on the case page); a filing that was sent is a record, never deleted.
NEVER = {
    ("casework.auditevent", "add"),
    ("casework.auditevent", "delete"),
    ("casework.authenticatordevice", "add"),
    ("casework.authenticatordevice", "delete"),
    ("casework.backupcodedevice", "add"),
    ("casework.backupcodedevice", "delete"),
    ("casework.apitoken", "delete"),
    ("auth.user", "password_change"),
    ("casework.sitestate", "add"),
    ("casework.sitestate", "delete"),
    ("casework.timelineentry", "add"),
    # "add" on clocks is for follow-ups, made on the case page (services/follow_ups.py).
    ("casework.deadline", "add"),
}
# Views that only take a POST: a GET is 405 for every staff member, before anything is shown.
POST_ONLY = {"merge", "family", "verify", "legal_hold", "protocol", "scans", "facts", "follow_ups"}
# Model admins' own views and the permission each needs (besides seeing the object).
OWN_VIEWS = {
    "staff_invite": ("auth.user", "add"),
    "name_search": ("casework.case", "view"),
    "new_version": ("casework.responserule", "change"),
    "apply": ("casework.responserule", "change"),
}
SITE = {
    "index": 200,
    "login": 302,  # already signed in: on to the overview
    "logout": 405,  # a POST only
    "password_change": 200,  # one's own
    "password_change_done": 200,
    "jsi18n": 200,
    "autocomplete": 404,  # no admin has autocomplete fields
    "view_on_site": 404,  # no model has a public page
    "catch_all": 404,
}


def expected(role: str, url: Url) -> int:
    if role == "nobody":
        if url.label == "api":
            return 401
        if url.view == "login":
            return 200
        if url.view in ("config", "qrcode"):
            return 404  # answered before the sign-in check: nothing is there for anyone
        if url.label == "download":
            return 302
        return 302  # to the sign-in page (checked below)
    if url.label == "site":
        if url.view == "app_list":
            app = url.path.strip("/").rpartition("/")[2]
            labels = ROLE_PERMISSIONS[ROLE_OF[role]]
            return 200 if any(label.startswith(app + ".") for label in labels) else 404
        if url.view in ("statistics", "statistics_csv"):
            return 200 if role == "coordinator" else 403  # every team's figures
        if url.view in ("case_import_upload", "case_import", "case_export", "collective"):
            return 200 if role == "coordinator" else 403  # every team's cases at once
        return SITE[url.view]
    if url.label == "download":
        if role not in SEES_THE_CASE:
            return 404  # exactly as if there were no such file
        return 409 if url.view == "attachment" else 200  # the cleaned copy is not made yet
    if url.label == "api":
        if url.view in ("case-notes", "case-filings"):
            return 405  # POST only
        if url.view == "case":
            return 200 if role in SEES_THE_CASE else 404
        return 200  # the list (what the selectors give: maybe nothing), schema and docs
    label, view = url.label, url.view
    if view in ("config", "qrcode"):
        return 404
    if view == "redirect":
        return 302  # Django's "<id>/" to "<id>/change/"
    if view in POST_ONLY:
        return 405
    if (label, view) in NEVER:
        return 403
    if label == "casework.apitoken":
        # Every staff member lists and makes their own tokens; administrators see everyone's
        # (to revoke them); nobody sees another person's token otherwise (it is not there).
        if view in ("changelist", "add"):
            return 200
        if view in ("change", "history"):
            return 200 if role in ("own_caseworker", "administrator") else 302
    if view == "staff_away":
        return 200  # everyone says when they are away (their own absence only)
    if view == "file":  # the case file for a lawyer: a coordinator's, for any case they see
        if not visible(role, label):
            return 302
        return 200 if role == "coordinator" else 403
    if view in OWN_VIEWS:
        needed_label, action = OWN_VIEWS[view]
        return 200 if granted(role, needed_label, action) else 403
    if label == "auth.user" and view == "add":
        return 302  # to the invitation: nobody sets another person's password
    if label == "casework.sitestate" and view == "changelist":
        return 302 if granted(role, label, "view") else 403  # one row: straight to it
    if view in ("hand_over", *FILING_ACTIONS):
        return 200 if visible(role, label) else 302  # as if it did not exist
    if view == "changelist":
        return 200 if granted(role, label, "view") else 403
    if view == "add":
        return 200 if granted(role, label, "add") else 403
    if view == "history":
        if not visible(role, label):
            return 302
        return 200 if granted(role, label, "view") else 403
    if view == "change":
        if not granted(role, label, "view"):
            return 403
        return 200 if visible(role, label) else 302
    if view == "delete":
        return 200 if granted(role, label, "delete") and visible(role, label) else 403
    raise AssertionError(f"no expectation for {url}: add one")


def _filing_actions() -> tuple[str, ...]:
    from casework.admin.filings.transitions import ACTIONS

    return tuple(ACTIONS)


FILING_ACTIONS = _filing_actions()
PERSONAL = ("Ознобишин", "71717", "555 7171", "госпиталя в Ростове", "80012345678901")


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_and_api_route_answers_each_role_as_promised(role, world):  # type: ignore[no-untyped-def]
    from casework.services.attachments import Upload
    from casework.services.family import family_information_add
    from tests.portal_support import gps_jpeg

    family_information_add(
        case=world.case, text="", uploads=[Upload(data=gps_jpeg(), kind="jpeg", filename="a.jpg")]
    )
    client = client_for(world, role)
    urls = [*site_urls(world), *admin_urls(world), *download_urls(world), *api_urls(world)]
    assert len(urls) > 150  # the walk found the whole admin
    wrong, leaks = [], []
    for url in urls:
        response = client.get(url.path)
        status = response.status_code
        if status != expected(role, url):
            wrong.append((url.path, status, expected(role, url)))
        location = response.get("Location", "")
        if role == "nobody" and status == 302 and url.view not in ("redirect", "logout"):
            assert location.startswith("/admin/login/"), (url.path, location)
        if status == 302 and url.view in ("change", "history", "hand_over", *FILING_ACTIONS):
            if role not in (*SEES_THE_CASE, "nobody"):
                assert location == "/admin/", (url.path, location)  # "no such record"
        body = b"".join(response) if response.streaming else response.content
        text = body.decode(errors="replace")
        if role not in SEES_THE_CASE:
            leaks += [(url.path, s) for s in PERSONAL if s in text]
            # A reference names the case in the audit log, which is the auditor's job.
            if url.label != "casework.auditevent":
                leaks += [(url.path, s) for s in world.secrets if s in text]
    assert wrong == []
    assert leaks == []


def _rows() -> dict[str, int]:
    """How many rows every table of ours and the staff accounts hold: what a POST could change."""
    from django.apps import apps
    from django.contrib.auth.models import User

    counts = {
        m._meta.label: m.objects.count() for m in apps.get_app_config("casework").get_models()
    }
    counts["auth.User"] = User.objects.count()
    return counts


def _refused_on_get(role: str, url: Url) -> bool:
    """Whether the GET walk above refuses this role here (so a POST must be refused too): a 403
    or 404, a 401 of the API, or "no such record" (302) for a record the role cannot see. A
    view that takes only a POST answers every GET with 405; for those, a role that cannot see the
    case is the refused one."""
    if url.label == "site":
        return False  # the sign-in, the overview, one's own password: every role's
    status = expected(role, url)
    if url.view in POST_ONLY:
        # A merge and a legal hold reach beyond one team's work: coordinators only.
        coordinators_only = url.view in ("merge", "legal_hold") and role != "coordinator"
        return role not in SEES_THE_CASE or coordinators_only
    if status == 302:
        return role == "nobody" or (url.label in CASE_BOUND and role not in SEES_THE_CASE)
    return status in (401, 403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_refused_on_a_get_refuses_a_post_and_changes_nothing(role, world):  # type: ignore[no-untyped-def]
    """The same walk with POSTs (an empty form): wherever a role is refused a page, sending
    that page's form is refused too, and no row anywhere changes (the audit log included)."""
    from casework.services.attachments import Upload
    from casework.services.family import family_information_add
    from tests.portal_support import gps_jpeg

    family_information_add(
        case=world.case, text="", uploads=[Upload(data=gps_jpeg(), kind="jpeg", filename="a.jpg")]
    )
    client = client_for(world, role)
    urls = [*admin_urls(world), *download_urls(world), *api_urls(world)]
    refused = [url for url in urls if _refused_on_get(role, url)]
    if role in ("own_caseworker", "coordinator"):
        assert len(refused) > 5  # even they are refused the audit log's edits, devices …
    else:
        assert len(refused) > 40
    before = _rows()
    answered = []
    for url in refused:
        status = client.post(url.path, {}).status_code
        if status not in (302, 401, 403, 404, 405):
            answered.append((url.path, status))
    assert answered == []
    assert _rows() == before


def test_the_case_pages_do_show_the_case_to_those_who_may_see_it(world):  # type: ignore[no-untyped-def]
    """The leak check above is meaningful: the same pages carry the case for its team."""
    for role in SEES_THE_CASE:
        client = client_for(world, role)
        page = client.get(f"/admin/casework/case/{world.case.pk}/change/").content.decode()
        assert world.case.reference in page and "Ознобишин" in page
        entry = client.get(f"/admin/casework/timelineentry/{world.entry.pk}/change/")
        assert "госпиталя в Ростове" in entry.content.decode()


def test_another_teams_case_is_in_no_list_and_no_count(world):  # type: ignore[no-untyped-def]
    other, own = client_for(world, "other_caseworker"), client_for(world, "own_caseworker")
    # The overview's own numbers: the other team's new intake and its open clock count for its
    # team (and the coordinators), never for anyone else.
    mine = own.get("/admin/").context["dashboard"]["mine"]
    assert mine.new_intakes == 1
    theirs = other.get("/admin/").context["dashboard"]["mine"]
    assert (theirs.overdue, theirs.due_soon, theirs.new_intakes, theirs.awaiting_response) == (
        0,
        0,
        0,
        0,
    )
    # Lists: exactly their own team's case, in the admin and in the API.
    listed = other.get("/admin/casework/case/").context["cl"]
    assert [case.team.name for case in listed.result_list] == ["Team Beta"]
    assert listed.result_count == 1
    api = other.get("/api/v1/cases/").json()
    assert [row["reference"] for row in api] == [Case.objects.get(team__name="Team Beta").reference]
    for path in (
        "/admin/casework/filing/",
        "/admin/casework/deadline/",
        "/admin/casework/timelineentry/",
        "/admin/casework/serviceman/",
        "/admin/casework/applicant/",
    ):
        changelist = other.get(path).context["cl"]
        assert world.case.pk not in {
            getattr(row, "case_id", None) for row in changelist.result_list
        }, path
        assert changelist.result_count == len(changelist.result_list), path
    # A name search for the other team's man finds nothing and says so.
    found = other.post("/admin/casework/case/name-search/", {"query": "Ознобишин"})
    assert found.context["results"] == []


@pytest.mark.parametrize("role", ["administrator", "auditor"])
def test_no_case_content_for_the_administrator_or_the_auditor_in_the_api(role, world):  # type: ignore[no-untyped-def]
    client = client_for(world, role)
    assert client.get("/api/v1/cases/").json() == []
