"""Benchmark: seed N demo cases (target: 100,000 in < 2 min) and time duplicate lookups over them
(target p95 <= 50 ms), using Latin spellings of Cyrillic names so the blind index must bridge
scripts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench_dup \\
        .venv/bin/python bench/duplicates.py --cases 100000 --lookups 500
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "yi",
    "є": "ye",
    "ґ": "g",
}


def latin(text: str) -> str:
    return "".join(LATIN.get(c, LATIN.get(c.lower(), c).capitalize()) for c in text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    env = dict(os.environ)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--cases", str(args.cases)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"seed_demo --cases {args.cases}: {time.monotonic() - started:.1f} s (wall, incl. start-up)"
    )

    import django

    django.setup()
    from casework.models import Serviceman
    from casework.selectors import serviceman_candidates

    total = Serviceman.objects.count()
    rng = random.Random(7)  # noqa: S311
    ids = list(Serviceman.objects.values_list("pk", flat=True))
    sample = list(Serviceman.objects.filter(pk__in=rng.sample(ids, args.lookups)))
    timings, found = [], 0
    for man in sample:
        t0 = time.perf_counter()
        candidates = serviceman_candidates(
            surname=latin(man.surname), given_name=latin(man.given_name), birth_date=man.birth_date
        )
        timings.append((time.perf_counter() - t0) * 1000)
        found += any(c.serviceman.pk == man.pk for c in candidates)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"servicemen: {total}; lookups: {len(timings)}; found the original: {found}")
    print(f"lookup ms: p50 {statistics.median(timings):.1f}  p95 {p95:.1f}  max {timings[-1]:.1f}")


if __name__ == "__main__":
    main()
