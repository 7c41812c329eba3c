"""Seed a realistic demo organisation: teams, staff, cases with invented names, timelines.

Idempotent: it tops the demo up to `--cases` cases and never duplicates teams, staff or cases.
`--once` does nothing when demo data exists (used by `make run`). New demo cases get a few
draft filings (`--sample-filings`, default 12) through the same service a caseworker uses
(audit event, timeline entry, draft document). `--filings-per-case N` instead writes N filings
per new case directly in bulk, each with its clock, in every state from draft to escalated:
benchmark data at 100k cases, where going through the service per row would take hours.
`--timeline N` sets the timeline entries per new case.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections, transaction
from django.utils import timezone

from casework import demo
from casework.approximate_dates import ApproximateDate, DatePrecision
from casework.models import (
    Applicant,
    AuthorityOffice,
    Case,
    CaseFact,
    Deadline,
    Exchange,
    Filing,
    ResponseRule,
    Serviceman,
    Team,
    TimelineEntry,
    Verification,
)
from casework.roles import Role
from casework.selectors import given_name_groups, office_of_kind
from casework.services.audit import audit_record
from casework.services.filings import filing_create
from casework.services.people import serviceman_reindex

DEMO_TEAMS = ["Demo: North", "Demo: South", "Demo: Legal"]
DEMO_STAFF = [  # username, role, team index (None: coordinator of all)
    ("demo", Role.COORDINATOR, None),
    ("demo.north", Role.CASEWORKER, 0),
    ("demo.south", Role.CASEWORKER, 1),
    ("demo.legal", Role.CASEWORKER, 2),
]
BATCH = 2000
STATUSES = list(Case.Status.values)
SOURCES = list(Case.Source.values)
SERVICE_TYPES = list(Serviceman.ServiceType.values)
# What the demo files, and with whom (the demo's men are in the RU jurisdiction): office kind,
# filing kind, signer, and the rule code whose newest version computes its clock.
FILING_PLANS = [
    ("ru_mod", "complaint", "family", "ru-59fz-general"),
    ("ru_prosecutor_garrison", "complaint", "family", "ru-prosecutor"),
    ("ru_unit_commander", "vvk_request", "serviceman", "ru-raport"),
    ("ru_higher_commander", "raport", "serviceman", "ru-raport"),
    ("ru_health_authority", "records_request", "family", "ru-59fz-general"),
]
# Filing states and their weights: most are waiting or answered, some ran out of time.
FILING_STATES = {"draft": 5, "sent": 25, "registered": 20, "extended": 5, "answered": 30,
                 "overdue": 10, "escalated": 5}  # fmt: skip
END_OF_DAY = clock_time(23, 59, 59)


@dataclass(frozen=True)
class BatchSpec:
    seed: int
    size: int
    team_ids: list[int]
    staff_ids: list[int]
    exchange_ids: list[int]
    entries_per_case: int
    filings_per_case: int = 0
    # (office id, office time zone, filing kind, signer, rule id, rule unverified)
    filing_plans: tuple[tuple[int, str, str, str, int, bool], ...] = ()


class Command(BaseCommand):
    help = "Create or top up the demo organisation (invented names only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300, help="total demo cases wanted")
        parser.add_argument("--once", action="store_true", help="skip if demo data exists")
        parser.add_argument("--timeline", type=int, default=3, help="entries per new case")
        parser.add_argument(
            "--filings-per-case",
            type=int,
            default=0,
            help="filings (each with its deadline) per new case",
        )
        parser.add_argument(
            "--sample-filings",
            type=int,
            default=12,
            help="draft filings made through the filing service (without --filings-per-case)",
        )
        parser.add_argument("--seed", type=int, default=20250524)
        parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        teams = [Team.objects.get_or_create(name=name)[0] for name in DEMO_TEAMS]
        existing = Case.objects.filter(team__in=teams).count()
        if options["once"] and existing:
            self.stdout.write(f"Demo data present ({existing} cases); nothing to do.")
            self._print_login(created=False)
            return
        self._staff(teams)
        wanted = options["cases"] - existing
        exchange_ids = [e.pk for e in self._exchanges()]
        staff_ids = list(
            User.objects.filter(username__in=[u for u, _, _ in DEMO_STAFF]).values_list(
                "pk", flat=True
            )
        )
        plans = _filing_plans() if options["filings_per_case"] > 0 else ()
        chunks = [
            BatchSpec(
                seed=options["seed"] + existing + start,  # a top-up continues, it does not repeat
                size=min(BATCH, wanted - start),
                team_ids=[t.pk for t in teams],
                staff_ids=staff_ids,
                exchange_ids=exchange_ids,
                entries_per_case=options["timeline"],
                filings_per_case=options["filings_per_case"] if plans else 0,
                filing_plans=plans,
            )
            for start in range(0, max(wanted, 0), BATCH)
        ]
        made = 0
        results: Iterable[int]
        jobs = max(1, min(options["jobs"], len(chunks)))
        if jobs == 1 or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            results = map(seed_batch, chunks)
        else:
            # Encryption is CPU-bound Python: one process per core. Children open their own
            # database connections, so the parent's must not be shared across the fork.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(jobs)
            results = pool.imap_unordered(seed_batch, chunks)
        for size in results:
            made += size
            if wanted > BATCH:
                self.stdout.write(f"  {made}/{wanted} cases")
        if made:
            audit_record(actor=None, action="create", reference="seed_demo", detail={"cases": made})
        if made and not plans:
            self._sample_filings(teams, options["sample_filings"])
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Seeded {made} new demo cases ({existing + made} in all) in {seconds:.1f} s."
        )
        self._print_login(created=True)

    def _sample_filings(self, teams: list[Team], count: int) -> None:
        """Draft filings on the newest demo cases, through the service staff use."""
        offices = {kind: office_of_kind(kind) for kind, _, _, _ in FILING_PLANS}
        plans = [plan for plan in FILING_PLANS if offices[plan[0]] is not None]
        cases = Case.objects.filter(team__in=teams, filings__isnull=True).order_by("-pk")[:count]
        for index, case in enumerate(cases if plans else []):
            office_kind, kind, signer, _ = plans[index % len(plans)]
            office = offices[office_kind]
            assert office is not None
            filing_create(case=case, office=office, kind=kind, signer=signer, actor=None)

    def _exchanges(self) -> list[Exchange]:
        wanted = [(date(2025, 3, 19), "175 for 175"), (date(2025, 5, 24), "1000 for 1000"),
                  (date(2025, 6, 10), "seriously ill and under 25")]  # fmt: skip
        return [
            Exchange.objects.get_or_create(happened_on=day, defaults={"description": text})[0]
            for day, text in wanted
        ]

    def _staff(self, teams: list[Team]) -> None:
        for username, role, team_index in DEMO_STAFF:
            # example.org never delivers (RFC 2606): a sweep over the demo sends its reminders
            # somewhere real-looking and harmless, instead of failing them for want of an address.
            email = f"{username}@example.org"
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": email}
            )
            if not user.email:  # staff seeded before the demo had addresses
                user.email = email
                user.save(update_fields=["email"])
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=role.value))
                for team in teams if team_index is None else [teams[team_index]]:
                    team.members.add(user)

    def _print_login(self, *, created: bool) -> None:
        """On a developer's machine (DEMO_LOGIN, set by `.env`), give the demo coordinator a
        password and a TOTP device; `make run` serves with DEBUG off, so DEBUG cannot decide."""
        if not settings.DEMO_LOGIN:
            self.stdout.write("Demo staff have no password (no DEMO_LOGIN); use create_caseworker.")
            return
        from casework.models import AuthenticatorDevice

        path = Path(settings.VAR_DIR) / "demo-login.txt"
        if path.exists():
            self.stdout.write(path.read_text(encoding="utf-8"))
            return
        user = User.objects.get(username="demo")
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
        AuthenticatorDevice.objects.filter(user=user).delete()
        device = AuthenticatorDevice.objects.create(user=user, name="demo", confirmed=True)
        text = (
            "Demo coordinator login (local machine only):\n"
            f"  username: demo\n  password: {password}\n"
            f"  TOTP secret (base32): {_base32(device.bin_key)}\n"
            f"  TOTP URI: {device.config_url}\n"
        )
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        self.stdout.write(text)


@transaction.atomic
def seed_batch(spec: BatchSpec) -> int:
    """Create `spec.size` demo cases (servicemen, applicants, timelines) in one transaction."""
    rng = random.Random(spec.seed)  # noqa: S311 - invented demo data, not security
    teams = list(Team.objects.filter(pk__in=spec.team_ids))
    staff = list(User.objects.filter(pk__in=spec.staff_ids))
    exchanges = list(Exchange.objects.filter(pk__in=spec.exchange_ids))
    size, entries_per_case = spec.size, spec.entries_per_case
    men = []
    groups = given_name_groups()
    for _ in range(size):
        captured = date(2024, 1, 1) + timedelta(days=rng.randrange(400))
        released = captured + timedelta(days=rng.randrange(60, 500)) if rng.random() < 0.7 else None
        man = Serviceman(
            surname=demo.surname(rng),
            given_name=rng.choice(demo.GIVEN),
            patronymic=rng.choice(demo.GIVEN).rstrip("йь") + "ович",
            birth_date=demo.birth_date(rng),
            unit_number=demo.unit(rng),
            rank=rng.choice(demo.RANKS),
            service_type=rng.choice(SERVICE_TYPES),
            status=Serviceman.Status.CAPTIVE
            if released is None
            else rng.choice(
                [
                    Serviceman.Status.REDEPLOYED,
                    Serviceman.Status.HOSPITALISED,
                    Serviceman.Status.RELEASED,
                ]
            ),  # fmt: skip
            captured_on=captured,
            released_on=released,
            places=rng.choice(demo.PLACES),
            health_summary=rng.choice(["", "осколочные ранения", "контузия", "ПТСР"]),
            exchange=rng.choice(exchanges) if released else None,
        )
        if captured.day % 3 == 0:  # families often know only the month (no rng: same data)
            rough = ApproximateDate(
                captured.replace(day=1), DatePrecision.MONTH, f"{captured:%m.%Y}"
            )
            man.approximate_date_set("captured_on", rough)
        serviceman_reindex(man, groups)
        men.append(man)
    Serviceman.objects.bulk_create(men, batch_size=BATCH)
    applicants = Applicant.objects.bulk_create(
        [
            Applicant(
                serviceman=man,
                name=f"{rng.choice(demo.WOMEN)} {man.surname}а"[:200],
                # Half the families have given the name their documents are signed with.
                legal_name=f"{man.surname}а {rng.choice(demo.WOMEN)}" if rng.random() < 0.5 else "",
                relationship=rng.choice(["mother", "wife", "sister"]),
                phone=demo.phone(rng),
                preferred_channel=rng.choice(["signal", "telegram", "phone", "none"]),
                may_call=rng.random() < 0.4,
                safe_hours=rng.choice(["", "после 20:00", "только выходные"]),
                consent_given_at=timezone.now(),
            )
            for man in men
        ],
        batch_size=BATCH,
    )
    cases = []
    now = timezone.now()
    today = timezone.localdate()
    planned: list[list[tuple[Filing, Deadline]]] = []
    for man, applicant in zip(men, applicants, strict=True):
        urgent = rng.random() < 0.08
        team = rng.choice(teams)
        cases.append(
            Case(
                serviceman=man,
                applicant=applicant,
                team=team,
                assignee=rng.choice(staff) if rng.random() < 0.7 else None,
                status=rng.choice(STATUSES),
                priority=Case.Priority.URGENT if urgent else rng.choice([1, 2, 2, 3]),
                suicide_risk=urgent and rng.random() < 0.5,
                injured=bool(man.health_summary),
                in_captivity=man.status == Serviceman.Status.CAPTIVE,
                under_25=bool(man.birth_date and man.birth_date.year >= 2001),
                source=rng.choice(SOURCES),
                summary=demo.summary(rng),
                created_at=now - timedelta(days=rng.randrange(0, 400), minutes=rng.randrange(1440)),
            )
        )
        if spec.filings_per_case:
            plan = _plan_filings(rng, spec, today, now)
            planned.append(plan)
            # The denormalised earliest open clock, as the deadline services keep it.
            open_dues = [d.due_at for _, d in plan if d.state == Deadline.State.OPEN]
            cases[-1].next_deadline = min(open_dues) if open_dues else None
    Case.objects.bulk_create(cases, batch_size=BATCH)
    if planned:
        filings, deadlines = [], []
        for case, plan in zip(cases, planned, strict=True):
            for filing, deadline in plan:
                filing.case, filing.created_by_id = case, case.assignee_id
                deadline.case, deadline.responsible_id = case, case.assignee_id
                deadline.backup_team_id = case.team_id
                filings.append(filing)
                deadlines.append(deadline)
        Filing.objects.bulk_create(filings, batch_size=BATCH)
        for filing, deadline in zip(filings, deadlines, strict=True):
            deadline.filing = filing
        Deadline.objects.bulk_create(deadlines, batch_size=BATCH)
    # A chronology: where he was last moved (the case page's "where he is now"), and for some a
    # hospital, each with where the caseworker heard it.
    CaseFact.objects.bulk_create(
        [
            CaseFact(
                case=case,
                kind=kind,
                happened_on=case.created_at.date() - timedelta(days=rng.randrange(1, 60)),
                precision=rng.choice(["day", "day", "about", "month"]),
                text=rng.choice(demo.PLACES),
                source=rng.choice(["со слов матери, по телефону", "из письма сестры", ""]),
            )
            for case in cases
            for kind in (
                [CaseFact.Kind.MOVED, CaseFact.Kind.HOSPITALISED]
                if case.injured
                else [CaseFact.Kind.MOVED]
            )
        ],
        batch_size=BATCH,
    )
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                case=case,
                kind=rng.choice(["note", "call", "message_in"]),
                text=rng.choice(demo.NOTES),
            )  # fmt: skip
            for case in cases
            for _ in range(entries_per_case)
        ],
        batch_size=BATCH,
    )
    return size


def _filing_plans() -> tuple[tuple[int, str, str, str, int, bool], ...]:
    """FILING_PLANS resolved to the seeded offices and the newest rule versions."""
    offices: dict[str, tuple[int, str]] = {}
    active = AuthorityOffice.objects.filter(is_active=True).order_by("-pk")
    for pk, kind, zone in active.values_list("pk", "kind", "time_zone"):
        offices[kind] = (pk, zone)  # the lowest id of each kind wins (the seeded generic row)
    rules = {
        code: (pk, verification != Verification.VERIFIED)
        for code, pk, verification in ResponseRule.objects.order_by("version").values_list(
            "code", "pk", "verification"
        )
    }
    return tuple(
        (*offices[office_kind], filing_kind, signer, *rules[rule_code])
        for office_kind, filing_kind, signer, rule_code in FILING_PLANS
        if office_kind in offices and rule_code in rules
    )


def _plan_filings(
    rng: random.Random, spec: BatchSpec, today: date, now: datetime
) -> list[tuple[Filing, Deadline]]:
    """`spec.filings_per_case` unsaved filings with their clocks, in plausible states."""
    states, weights = list(FILING_STATES), list(FILING_STATES.values())
    planned = []
    for _ in range(spec.filings_per_case):
        office_id, zone, kind, signer, rule_id, unverified = rng.choice(spec.filing_plans)
        status = rng.choices(states, weights)[0]
        filing = Filing(office_id=office_id, kind=kind, signer=signer, status=status,
                        rule_id=rule_id, created_at=now)  # fmt: skip
        deadline = Deadline(kind=Deadline.Kind.RESPONSE_DUE, rule_id=rule_id,
                            unverified=unverified, basis="demo: registration+30d")  # fmt: skip
        if status == "draft":
            # A draft has no legal clock yet; the caseworker set a reminder to send it.
            deadline.kind, deadline.rule_id, deadline.basis = Deadline.Kind.CUSTOM, None, "demo"
            deadline.unverified = False
            deadline.due_at = now + timedelta(days=rng.randrange(1, 10))
            planned.append((filing, deadline))
            continue
        waiting = status in {"sent", "registered", "extended"}
        days_ago = rng.randrange(0, 29) if waiting else rng.randrange(40, 400)
        sent_on = today - timedelta(days=days_ago)
        filing.sent_on, filing.received_on = sent_on, sent_on
        filing.method = rng.choice(["registered_mail", "e_reception", "in_person"])
        if filing.method == "registered_mail":
            filing.tracking_number = f"RA{rng.randrange(10**8, 10**9)}RU"
        if status != "sent":
            filing.registered_on = sent_on + timedelta(days=rng.randrange(1, 4))
            filing.registration_number = f"{rng.randrange(1, 9999)}/{rng.randrange(10, 99)}"
        start = filing.registered_on or sent_on + timedelta(days=3)
        extended = status == "extended"
        filing.extensions = int(extended)
        due_day = start + timedelta(days=60 if extended else 30)
        filing.due_at = datetime.combine(due_day, END_OF_DAY, tzinfo=ZoneInfo(zone))
        deadline.due_at = filing.due_at
        if waiting:
            deadline.state = Deadline.State.OPEN
        elif status == "answered":
            filing.answered_on = min(today, due_day - timedelta(days=rng.randrange(0, 20)))
            filing.outcome = rng.choice(["granted", "refused", "formal"])
            deadline.state, deadline.closed_at = Deadline.State.MET, now
        else:  # overdue, or overdue and already escalated
            deadline.state, deadline.closed_at = Deadline.State.MISSED, now
            # Months-old history, as if earlier sweeps had reminded and escalated it already.
            deadline.reminded_stage = Deadline.ReminderStage.DONE
        planned.append((filing, deadline))
    return planned


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")
