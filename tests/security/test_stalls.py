"""No request stalls the site (issue 13, item 7).

- The status page's per-reference measure is "next attempt allowed at T": a busy reference is
  answered at once (429, "try again in N seconds"), never by sleeping in a worker.
- Document templates render under a step and output budget, in the admin and in the worker;
  loops over literals and loops nested deeper than two are refused when saving.
- Response-rule terms are bounded: the admin refuses absurd terms, and a row that holds one
  anyway is refused by the calendar engine at once (no 500, no loop for hours).
"""

from __future__ import annotations

import re
import signal
import threading
import time
import tracemalloc
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY

from casework.drafting import draft_render, facts_of, template_check
from casework.exceptions import RuleError
from casework.models import (
    AuditEvent,
    AuthorityOffice,
    Case,
    DocumentTemplate,
    Filing,
    GeneratedDocument,
    ResponseRule,
)
from casework.portal.views import STATUS_SESSION_KEY
from casework.roles import Role
from casework.rules import calendar as engine
from casework.services import ratelimit
from casework.services.access_codes import (
    access_code_format,
    access_code_hash,
    access_code_new,
)
from casework.services.documents import document_generate
from casework.services.filings import filing_create, filing_mark_sent
from tests.factories import CaseFactory, ServicemanFactory, TOTPDeviceFactory, UserFactory
from tests.security.gunicorn_support import gunicorn, send

pytestmark = pytest.mark.django_db

PROBE_CONFIG = "tests/security/sleep_probe_gunicorn.py"


# --- Helpers ----------------------------------------------------------------------------------


@pytest.fixture
def no_sleep(monkeypatch):  # type: ignore[no-untyped-def]
    """Any time.sleep in this process fails the test: a request must never wait in a worker."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"a request slept for {seconds} s")

    monkeypatch.setattr(time, "sleep", refuse)


@contextmanager
def at_most_seconds(seconds: int) -> Iterator[None]:
    """Abort (fail) a call that runs away instead of hanging the test run: not a timing
    assertion, a guard, since the old code looped for hours here."""

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def staff_client(user) -> Client:  # type: ignore[no-untyped-def]
    """A staff browser signed in with a verified second factor."""
    device = TOTPDeviceFactory(user=user)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def case_with_code() -> tuple[Case, str]:
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    return case, code


def wrong_code(code: str) -> str:
    other = access_code_new()
    return other if other != code else wrong_code(code)


def earlier_failures(reference: str, count: int) -> None:
    """As if `count` wrong codes had been tried on `reference` by strangers."""
    for _ in range(count):
        ratelimit.hit("status_fail_reference", reference, window=3600)


def sign_in(client: Client, reference: str, code: str, address: str, lang: str = "ru", **extra):  # type: ignore[no-untyped-def]
    data = {"reference": reference, "code": access_code_format(code), **extra}
    return client.post(f"/{lang}/status/", data, REMOTE_ADDR=address)


# --- Status page: "next attempt allowed at T", never a sleep ----------------------------------


@pytest.mark.usefixtures("no_sleep")
def test_a_busy_reference_answers_at_once_and_keeps_what_was_typed(settings):
    case, code = case_with_code()
    earlier_failures(case.reference, 7)  # well past the free failures: the full 2 s measure
    stranger = sign_in(Client(), case.reference, wrong_code(code), "198.51.100.66")
    assert stranger.status_code == 200  # checked (and wrong): the next turn is 2 s away
    family = Client()
    kept = "Сын позвонил 3 июня, его снова отправляют на передовую."
    response = sign_in(family, case.reference, code, "203.0.113.10", kept_text=kept)
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    body = response.content.decode()
    assert "Пожалуйста, попробуйте снова через 2 секунды." in body
    # Nothing typed is lost: the reference, the code and the text kept from a lapsed session.
    assert f'value="{case.reference}"' in body
    assert f'value="{access_code_format(code)}"' in body
    assert kept in body
    # Not checked at all: no session, no sign-in in the audit trail, no failure counted.
    assert STATUS_SESSION_KEY not in family.session
    assert not AuditEvent.objects.filter(action="login", object_reference=case.reference).exists()
    assert ratelimit.count("status_fail_reference", case.reference) == 8


@pytest.mark.usefixtures("no_sleep")
def test_once_its_turn_comes_the_right_code_opens_the_case(settings):
    # A window long enough that a loaded machine still asks before it ends (this is about
    # order, not speed): the family's first try falls inside it, the second after it.
    settings.STATUS_DELAY_MAX_SECONDS = 1.0
    case, code = case_with_code()
    earlier_failures(case.reference, 9)
    assert sign_in(Client(), case.reference, wrong_code(code), "198.51.100.66").status_code == 200
    family = Client()
    assert sign_in(family, case.reference, code, "203.0.113.10").status_code == 429
    threading.Event().wait(1.1)  # the family waits as asked (not time.sleep: that is refused)
    assert sign_in(family, case.reference, code, "203.0.113.10").status_code == 303
    assert family.session[STATUS_SESSION_KEY]["case"] == case.pk


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize(
    ("lang", "max_seconds", "failures", "expected"),
    [
        ("ru", 1.0, 7, "Пожалуйста, попробуйте снова через 1 секунду."),
        ("ru", 2.0, 7, "Пожалуйста, попробуйте снова через 2 секунды."),
        ("ru", 5.0, 9, "Пожалуйста, попробуйте снова через 5 секунд."),
        ("uk", 1.0, 7, "Будь ласка, спробуйте ще раз через 1 секунду."),
        ("uk", 2.0, 7, "Будь ласка, спробуйте ще раз через 2 секунди."),
        ("uk", 5.0, 9, "Будь ласка, спробуйте ще раз через 5 секунд."),
        ("en", 1.0, 7, "Please try again in 1 second."),
        ("en", 2.0, 7, "Please try again in 2 seconds."),
    ],
)
def test_try_again_in_n_seconds_is_said_in_the_pages_language(
    settings, lang, max_seconds, failures, expected
):
    settings.STATUS_DELAY_MAX_SECONDS = max_seconds
    case, code = case_with_code()
    earlier_failures(case.reference, failures)
    sign_in(Client(), case.reference, wrong_code(code), "198.51.100.66", lang=lang)
    response = sign_in(Client(), case.reference, code, "203.0.113.10", lang=lang)
    assert response.status_code == 429
    assert expected in response.content.decode()


def test_attempts_on_a_busy_reference_get_one_turn_each_window(settings, no_sleep):
    """Twenty wrong codes in a row from twenty clients: one is checked, the rest are told to
    come back, at once. (A sleep let every one of them be checked, only later.)"""
    settings.STATUS_DELAY_MAX_SECONDS = 30.0  # one window for the whole test, however slow
    case, code = case_with_code()
    earlier_failures(case.reference, 11)
    statuses = [
        sign_in(Client(), case.reference, wrong_code(code), f"192.0.2.{n}").status_code
        for n in range(20)
    ]
    assert statuses == [200] + [429] * 19
    assert ratelimit.count("status_fail_reference", case.reference) == 12


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_a_turn_is_held_until_it_runs_out_in_either_store(settings, backend, no_sleep):
    """The "next attempt allowed at T" store, in Redis and in the embedded default's table."""
    settings.RATE_LIMIT_BACKEND = backend
    assert ratelimit.turn("status_turn_reference", "K7M4-QX2P", seconds=30) == 0.0
    left = ratelimit.turn("status_turn_reference", "K7M4-QX2P", seconds=30)
    assert 29 < left <= 30  # nobody else gets it meanwhile, and is told how long to wait
    assert ratelimit.turn("status_turn_reference", "ZZZZ-ZZZZ", seconds=30) == 0.0  # per key
    assert ratelimit.turn("status_turn_reference", "QX2P-K7M4", seconds=0.05) == 0.0
    threading.Event().wait(0.1)
    assert ratelimit.turn("status_turn_reference", "QX2P-K7M4", seconds=0.05) == 0.0  # ran out


def _csrf(base: str) -> tuple[str, str]:
    status, headers, page = send(f"{base}/ru/status/")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    return cookie, token.group(1).decode()


@pytest.mark.integration
def test_twenty_wrong_codes_never_make_a_real_worker_sleep(test_database_url, tmp_path):
    """Real gunicorn, two sync workers: 20 wrong codes at once for a reference that does not
    exist, each from another client behind the proxy, while /healthz is asked all along.

    The server runs with a probe (sleep_probe_gunicorn.py) that writes down every time.sleep
    in a worker; the assertion is that there is none, not a latency figure."""
    probe = tmp_path / "sleeps.txt"
    probe.touch()
    with gunicorn(
        test_database_url,
        tmp_path / "gunicorn.log",
        config=PROBE_CONFIG,
        workers=2,
        env={"SLEEP_PROBE_FILE": str(probe), "TRUSTED_PROXY_DEPTH": "1"},
    ) as server:
        cookie, token = _csrf(server.base)
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "reference": "ZZZZ-ZZZZ", "code": "4111 1111 1111 1111"}
        ).encode()

        def attempt(number: int) -> int:
            headers = {
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"192.0.2.{number + 1}",
            }
            url = f"{server.base}/ru/status/"
            return send(url, method="POST", body=body, headers=headers)[0]

        health: list[tuple[int, float]] = []
        done = threading.Event()

        def watch_health() -> None:
            while not done.is_set():
                started = time.monotonic()
                status = send(f"{server.base}/healthz")[0]
                health.append((status, time.monotonic() - started))
                done.wait(0.05)

        watcher = threading.Thread(target=watch_health)
        watcher.start()
        try:
            with ThreadPoolExecutor(max_workers=20) as pool:
                statuses = list(pool.map(attempt, range(20)))
        finally:
            done.set()
            watcher.join()
    assert sorted(set(statuses)) <= [200, 429] and statuses.count(200) >= 4
    assert health and all(status == 200 for status, _seconds in health)
    print(f"/healthz: {len(health)} answers, slowest {max(s for _, s in health):.3f} s")
    sleeps = probe.read_text()
    assert sleeps == "", f"a worker slept:\n{sleeps}"


def test_the_sleep_probe_sees_a_sleep(tmp_path, monkeypatch):
    """The probe above would see a sleep if there were one (so its silence means something)."""
    import importlib

    probe = tmp_path / "sleeps.txt"
    monkeypatch.setenv("SLEEP_PROBE_FILE", str(probe))
    module = importlib.import_module("tests.security.sleep_probe_gunicorn")
    real = time.sleep
    try:
        module.post_fork(None, None)
        time.sleep(0.001)
    finally:
        time.sleep = real
    assert "test_stalls.py" in probe.read_text()


# --- Document templates: a budget, and loops refused when saving ------------------------------

LITERAL_LOOPS = (
    '{% for a in "abcdefghij" %}{% for b in "abcdefghij" %}{% for c in "abcdefghij" %}x'
    "{% endfor %}{% endfor %}{% endfor %}"
)


def template_form(template: DocumentTemplate, body: str) -> dict[str, object]:
    return {
        "code": template.code,
        "name": template.name,
        "jurisdiction": template.jurisdiction,
        "filing_kinds": template.filing_kinds,
        "office_kinds": template.office_kinds,
        "signers": template.signers,
        "heading": template.heading,
        "title": template.title,
        "body": body,
        "signature": template.signature,
        "verification": "unverified",
        "source": template.source,
        "is_active": "on",
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{% for c in "abcdefghij" %}{{ c }}{% endfor %}', "loops over text written here"),
        ("{% for c in 12345 %}{{ c }}{% endfor %}", "loops over text written here"),
        (
            '{% with s="abcdefghij" %}{% for c in s %}{{ c }}{% endfor %}{% endwith %}',
            "loops over text written here",
        ),
        (
            '{% for c in serviceman.rank|default:"abcdefghijklmnop" %}{{ c }}{% endfor %}',
            "loops over text written here",
        ),
        (
            "{% for a in serviceman.surname %}{% for b in serviceman.rank %}"
            "{% for c in serviceman.unit %}x{% endfor %}{% endfor %}{% endfor %}",
            "more than two loops inside each other",
        ),
    ],
)
def test_loops_over_literals_and_deep_nesting_are_refused_when_saving(body, problem):
    parts = {"heading": "{{ office.name }}", "title": "T", "body": body, "signature": "s"}
    with translation.override("en"):
        assert problem in template_check(parts)["body"]


def test_loops_over_facts_two_deep_are_still_fine():
    parts = {
        "heading": "{{ office.name }}",
        "title": "T",
        "body": "{% for a in serviceman.surname %}{% for b in serviceman.rank %}{{ a }}{{ b }}"
        "{% endfor %}{% endfor %}",
        "signature": "s",
    }
    assert template_check(parts) == {}


def test_the_admin_refuses_a_template_that_loops_over_a_literal():
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = staff_client(coordinator)
    template = DocumentTemplate.objects.get(code="ru-appeal-command")
    before = (template.body, template.version)
    url = f"/admin/casework/documenttemplate/{template.pk}/change/"
    response = client.post(url, template_form(template, LITERAL_LOOPS))
    assert response.status_code == 200  # the form again, with the problem next to the body
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        expected = template_check({"body": LITERAL_LOOPS})["body"]
    assert response.context["adminform"].form.errors["body"] == [expected]
    assert "{% for %}" in expected
    template.refresh_from_db()
    assert (template.body, template.version) == before
    assert DocumentTemplate.objects.filter(code="ru-appeal-command").count() == 1


@pytest.fixture
def long_named_case() -> Case:
    serviceman = ServicemanFactory(
        surname="Загорулько-Подберезский", given_name="Матвей", patronymic="Игоревич"
    )
    return CaseFactory(serviceman=serviceman)


def test_the_worker_stops_a_template_that_loops_without_end(long_named_case):
    """A template that slipped past the save check (edited in the database) cannot keep a
    worker busy: four loops over a 40-letter name are 2.5 million steps that print nothing."""
    body = (
        "{% for a in serviceman.full_name %}{% for b in serviceman.full_name %}"
        "{% for c in serviceman.full_name %}{% for d in serviceman.full_name %}"
        "{% endfor %}{% endfor %}{% endfor %}{% endfor %}Текст."
    )
    template = DocumentTemplate.objects.get(code="ru-complaint-prosecutor")
    DocumentTemplate.objects.filter(pk=template.pk).update(body=body)
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    filing = filing_create(
        case=long_named_case, office=office, kind="complaint", signer="family", actor=None
    )
    document = GeneratedDocument.objects.get(filing=filing)
    with at_most_seconds(60):
        document = document_generate(document_id=document.pk)
    assert (document.state, document.failure, document.content) == ("failed", "body: too_long", "")


def test_a_filter_chain_is_stopped_before_it_grows_to_megabytes():
    """`join` on a text puts the separator between its letters: chained, it multiplies the
    length each time. The budget refuses the step that would pass it, before building it."""
    chain = '|join:"__________"' * 5  # 26 letters -> over four million characters
    parts = {
        "heading": "",
        "title": "",
        "body": "{{ serviceman.full_name" + chain + " }}",
        "signature": "",
    }
    facts = facts_of({"serviceman": {"full_name": "Загорулько Матвей Игоревич"}})
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="body"):
            draft_render(parts, facts)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak} bytes were built for a refused part"


# --- Response-rule terms: bounded in the admin and in the engine ------------------------------


def test_the_admin_refuses_an_absurd_term_and_creates_nothing():
    coordinator = UserFactory(role=Role.COORDINATOR)
    client = staff_client(coordinator)
    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    url = reverse("admin:casework_responserule_new_version", args=[rule.pk])
    initial = client.get(url).context["form"].initial
    data = {k: v for k, v in initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        office_kinds=rule.office_kinds,
        filing_kinds=rule.filing_kinds,
        valid_from=rule.valid_from.isoformat(),
        roll_forward="on",
        amount=99_999_999,
    )
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "amount" in errors, errors
    assert "3660" in errors["amount"][0]
    assert ResponseRule.objects.filter(code=rule.code).count() == 1


@pytest.mark.parametrize(
    ("unit", "amount", "message"),
    [
        ("calendar_days", 99_999_999, "3660"),
        ("working_days", 100_000_000, "2520"),
        ("hours", 10**9, "8784"),
        ("months", 50_000, "120"),
    ],
)
def test_the_model_bounds_each_unit(unit, amount, message):
    from django.core.exceptions import ValidationError

    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    rule.pk, rule.version, rule.unit, rule.amount = None, 2, unit, amount
    if unit == "hours":
        rule.start_from, rule.ceiling_days = "receipt", None
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert message in str(refused.value.message_dict["amount"])  # the number, any language


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("max_extensions", 11, "10"),
        ("extension_amount", 3661, "3660"),
        ("registration_lag_days", 3661, "3660"),
        ("ceiling_days", 3661, "3660"),
        ("early_check_days", 3661, "3660"),
    ],
)
def test_the_model_bounds_extensions_and_offsets(field, value, limit):
    from django.core.exceptions import ValidationError

    rule = ResponseRule.objects.get(code="ru-59fz-general", version=1)
    rule.pk, rule.version = None, 2
    setattr(rule, field, value)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert list(refused.value.message_dict) == [field]
    assert limit in refused.value.message_dict[field][0]
    setattr(rule, field, int(limit))
    rule.full_clean()  # the bound itself is allowed


@pytest.mark.parametrize(
    ("unit", "amount"), [("calendar_days", 99_999_999), ("working_days", 100_000_000)]
)
def test_mark_sent_under_an_absurd_stored_term_is_refused_not_a_500(unit, amount):
    """A row saved before the bounds (or written by hand) is refused by the engine at once."""
    case = CaseFactory()
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    ResponseRule.objects.filter(pk=filing.rule_id).update(unit=unit, amount=amount)
    assert filing.rule is not None
    with at_most_seconds(20), pytest.raises(RuleError) as refused:
        filing_mark_sent(
            filing=filing, actor=None, sent_on=timezone.localdate(), method="e_reception"
        )
    assert str(filing.rule) in refused.value.message  # which rule a coordinator must correct
    filing.refresh_from_db()
    assert (filing.status, filing.sent_on, filing.due_at) == (Filing.Status.DRAFT, None, None)
    assert not filing.deadlines.exists()


def test_mark_sent_in_the_admin_under_an_absurd_term_shows_why_and_changes_nothing():
    caseworker = UserFactory(role=Role.COORDINATOR)
    case = CaseFactory()
    office = AuthorityOffice.objects.filter(kind="ru_prosecutor_garrison").order_by("pk").first()
    filing = filing_create(case=case, office=office, kind="complaint", signer="family", actor=None)
    ResponseRule.objects.filter(pk=filing.rule_id).update(amount=99_999_999)
    client = staff_client(caseworker)
    response = client.post(
        reverse("admin:casework_filing_action", args=[filing.pk, "sent"]),
        {"sent_on": timezone.localdate().isoformat(), "method": "e_reception"},
    )
    assert response.status_code == 200  # the form again, as typed, with the reason
    messages = [str(message) for message in response.context["messages"]]
    assert any(str(filing.rule) in message for message in messages), messages
    filing.refresh_from_db()
    assert (filing.status, filing.sent_on) == (Filing.Status.DRAFT, None)


def test_the_engine_refuses_huge_counts_and_dates_past_the_calendar():
    calendar = engine.working_calendar("RU")
    with at_most_seconds(10):
        with pytest.raises(ValueError, match="at most"):
            engine.add_working_days(date(2026, 1, 1), 100_000_000, calendar)
        with pytest.raises(ValueError, match="at most"):
            engine.TermRule(
                unit="working_days", amount=100_000_000, start_from="receipt", time_zone="UTC"
            )
        rule = engine.TermRule(
            unit="calendar_days", amount=30, start_from="receipt", time_zone="UTC"
        )
        with pytest.raises(ValueError, match="calendar"):
            engine.compute_due(
                rule,
                registered_on=None,
                received_on=date.max - timedelta(days=3),
                calendar=calendar,
            )
