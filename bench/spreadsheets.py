"""Benchmark (issue 17): import a 10,000-row sheet (blind-index duplicate checks, encryption) and
export every case, on a database seeded with N demo cases. Targets: import <= 60 s, export of
100,000 cases <= 60 s.

A tenth of the sheet's rows are Latin spellings of men already recorded (with their dates of
birth), so the duplicate check has real matches to find; the rest are new men (run it again with
the same --seed and every row is found already recorded: the same sheet twice creates nothing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench_sheets \\
        .venv/bin/python bench/spreadsheets.py --cases 100000 --rows 10000

Never point it at a database you care about: it seeds demo data and imports into it.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from duplicates import latin  # bench/ is the script's own folder on sys.path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

# About 2,000 surnames (real sheets repeat surnames too), so lookups meet namesakes.
SURNAMES = [
    a + b + c + d
    for a in ("Бор", "Вол", "Гор", "Дуб", "Жук", "Зор", "Кар", "Лап", "Мор", "Нов", "Пет", "Рад")
    + ("Сок", "Тар", "Шум")
    for b in ("ан", "ин", "ов", "ец", "як", "ук", "ич")
    for c in ("", "а", "о", "е")
    for d in ("ов", "ин", "ский", "енко", "ук")
]
GIVEN = ["Иван", "Пётр", "Олег", "Глеб", "Антон", "Денис", "Егор", "Роман", "Степан"]


def sheet(rows: int, known: list[tuple[str, str, str]], seed: int = 17) -> bytes:
    randomiser = random.Random(seed)
    lines = ["Фамилия;Имя;Дата рождения;В/ч;Телефон;Дата обращения"]
    for index in range(rows):
        if index % 10 == 0 and known:
            surname, given, born = known[(index // 10) % len(known)]
            surname, given = latin(surname), latin(given)
        else:
            surname = randomiser.choice(SURNAMES)
            given = randomiser.choice(GIVEN)
            day, month = randomiser.randint(1, 28), randomiser.randint(1, 12)
            born = f"{day:02d}.{month:02d}.19{randomiser.randint(70, 99)}"
        unit = f"в/ч {randomiser.randint(10000, 99999)}"
        lines.append(f"{surname};{given};{born};{unit};+7 900 {index:07d};01.03.2025")
    return ("\n".join(lines) + "\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=17, help="another seed, other new men")
    args = parser.parse_args()
    env = dict(os.environ)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--cases", str(args.cases), "--timeline", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User

    from casework.models import Case, Serviceman, Team
    from casework.roles import Role
    from casework.services.exports import cases_export
    from casework.services.imports import import_commit, import_dry_run, import_start

    settings.MEDIA_ROOT = str(ROOT / "var" / "bench" / "media")
    coordinator, _created = User.objects.get_or_create(username="bench.sheets", is_staff=True)
    coordinator.groups.add(Group.objects.get(name=Role.COORDINATOR.value))
    coordinator = User.objects.get(pk=coordinator.pk)  # fresh permission cache
    known = [
        (s.surname, s.given_name, f"{s.birth_date:%d.%m.%Y}")
        for s in Serviceman.objects.filter(birth_date__isnull=False).order_by("pk")[
            : args.rows // 10
        ]
        if s.surname and s.given_name
    ]
    data = sheet(args.rows, known, args.seed)
    team = Team.objects.order_by("pk").first()
    assert team is not None
    before = Case.objects.count()

    started = time.monotonic()
    case_import = import_start(actor=coordinator, team=team, data=data)
    stored = time.monotonic()
    preview = import_dry_run(case_import=case_import, actor=coordinator)
    previewed = time.monotonic()
    import_commit(case_import=case_import, actor=coordinator)
    committed = time.monotonic()
    print(f"sheet: {args.rows} rows, {len(data) / 1e6:.1f} MB; cases before: {before}")
    print(
        f"dry run: {len(preview.new_rows)} new, {len(preview.skipped_rows)} skipped, "
        f"{len(preview.error_rows)} with errors"
    )
    print(f"upload (read, encrypt, store): {stored - started:.1f} s")
    print(f"dry run (read, check, duplicate lookups): {previewed - stored:.1f} s")
    print(f"commit (checks again, then writes): {committed - previewed:.1f} s")
    print(f"import total: {committed - started:.1f} s; cases after: {Case.objects.count()}")

    started = time.monotonic()
    export = cases_export(
        actor=coordinator,
        columns=["reference", "status", "team", "opened", "outcome", "serviceman_status"],
        personal_confirmed=False,
    )
    print(
        f"export: {Case.objects.count()} cases, {len(export.data) / 1e6:.1f} MB CSV in "
        f"{time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
