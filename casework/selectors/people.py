"""People: servicemen and applicants a user may see, given-name equivalences, and who may be a
duplicate of whom (found through blind indexes, scored on decrypted values)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.db.models import Exists, OuterRef, Q, QuerySet

from casework.crypto import blind_index_all_keys, name_skeleton
from casework.exceptions import NotFoundError
from casework.models import (
    Applicant,
    Case,
    GivenNameEquivalent,
    Serviceman,
)
from casework.roles import AnyUser, is_coordinator
from casework.selectors.cases import cases_visible_to


def servicemen_visible_to(user: AnyUser) -> QuerySet[Serviceman]:
    if is_coordinator(user):
        return Serviceman.objects.all()
    return Serviceman.objects.filter(pk__in=cases_visible_to(user).values("serviceman_id"))


def applicants_visible_to(user: AnyUser) -> QuerySet[Applicant]:
    if is_coordinator(user):
        return Applicant.objects.all()
    return Applicant.objects.filter(pk__in=cases_visible_to(user).values("applicant_id"))


def serviceman_get_for_user(*, user: AnyUser, pk: int | str) -> Serviceman:
    """The serviceman if this user may see him; otherwise NotFoundError, as if he did not exist."""
    serviceman = servicemen_visible_to(user).filter(pk=pk).first()
    if serviceman is None:
        raise NotFoundError("No such serviceman.")
    return serviceman


def case_applicants_for_user(*, user: AnyUser, case: Case) -> QuerySet[Applicant]:
    """The case's applicant and the serviceman's other family members this user may see."""
    return (
        applicants_visible_to(user)
        .filter(Q(pk=case.applicant_id) | Q(serviceman=case.serviceman_id))
        .order_by("created_at", "pk")
    )


# --- Names: given-name equivalences and duplicate candidates -----------------------------------


class GivenNameTable(dict[str, str]):
    """Skeleton of every listed spelling -> its group, with a digest of the whole table: the
    digest is part of each serviceman's index version, so editing the table re-indexes them."""

    @cached_property
    def digest(self) -> str:
        # Only indexing asks (a search never does), so it is computed on first use.
        table = json.dumps(sorted(self.items()), ensure_ascii=False)
        return hashlib.sha256(table.encode()).hexdigest()[:16]


def given_name_groups() -> GivenNameTable:
    """The editable given-name equivalence table, as it is now."""
    return GivenNameTable(
        (name_skeleton(spelling), group)
        for group, spelling in GivenNameEquivalent.objects.values_list("group", "spelling")
    )


def given_name_key(given_name: str, groups: GivenNameTable | None = None) -> str:
    """Кирилл, Кирило, Kirill and Kyrylo share a key; an unlisted name keys on its skeleton."""
    skeleton = name_skeleton(given_name)
    if not skeleton:
        return ""
    groups = given_name_groups() if groups is None else groups
    return name_skeleton(groups.get(skeleton, skeleton))


@dataclass(frozen=True)
class Candidate:
    serviceman: Serviceman
    score: float
    reasons: tuple[str, ...]


def _score(
    serviceman: Serviceman,
    *,
    surname: str,
    given_key: str,
    patronymic: str,
    birth_date: date | None,
    groups: GivenNameTable,
) -> Candidate | None:
    # A truncated HMAC can collide; the decrypted skeleton must really match.
    if name_skeleton(serviceman.surname) != name_skeleton(surname):
        return None
    score, reasons = 0.5, ["surname"]
    other_key = given_name_key(serviceman.given_name, groups)
    if given_key and other_key:
        if given_key == other_key:
            score, reasons = score + 0.3, [*reasons, "given name"]
        elif given_key[0] == other_key[0]:
            score, reasons = score + 0.05, [*reasons, "initial"]
        else:
            score -= 0.4
    if patronymic and serviceman.patronymic:
        same = name_skeleton(patronymic)[:5] == name_skeleton(serviceman.patronymic)[:5]
        score += 0.1 if same else -0.1
        if same:
            reasons.append("patronymic")
    if birth_date and serviceman.birth_date:
        if birth_date == serviceman.birth_date:
            score, reasons = score + 0.3, [*reasons, "date of birth"]
        elif birth_date.year == serviceman.birth_date.year:
            score, reasons = score + 0.1, [*reasons, "year of birth"]
        else:
            score -= 0.5
    if score < 0.5:
        return None
    return Candidate(serviceman=serviceman, score=round(score, 2), reasons=tuple(reasons))


def serviceman_candidates(
    *,
    surname: str,
    given_name: str = "",
    patronymic: str = "",
    birth_date: date | None = None,
    exclude_pk: int | None = None,
    within: QuerySet[Serviceman] | None = None,
    visible_within: QuerySet[Serviceman] | None = None,
    limit: int = 20,
) -> list[Candidate]:
    """Servicemen who may be this person, best first: found by blind index, scored decrypted.

    With `visible_within`, each candidate's serviceman carries `is_visible` (in that queryset),
    read in the same statement."""
    skeleton = name_skeleton(surname)
    if not skeleton:
        return []
    groups = given_name_groups()
    given_key = given_name_key(given_name, groups)
    # Under every key, so rows not yet re-indexed after a key rotation are still found.
    if given_key or birth_date:
        lookups = Q()
        if given_key:
            values = [
                v for _, v in blind_index_all_keys("surname_initial", f"{skeleton}:{given_key[0]}")
            ]
            lookups |= Q(surname_initial_index__in=values)
        if birth_date:
            values = [
                v for _, v in blind_index_all_keys("surname_year", f"{skeleton}:{birth_date.year}")
            ]
            lookups |= Q(surname_year_index__in=values)
    else:
        lookups = Q(surname_index__in=[v for _, v in blind_index_all_keys("surname", skeleton)])
    queryset = (within if within is not None else Serviceman.objects.all()).filter(lookups)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    if visible_within is not None:
        queryset = queryset.annotate(is_visible=Exists(visible_within.filter(pk=OuterRef("pk"))))
    rows = queryset.only(
        "pk", "reference", "surname", "given_name", "patronymic", "birth_date"
    ).order_by("-pk")[:500]
    scored = [
        c
        for c in (
            _score(
                s,
                surname=surname,
                given_key=given_key,
                patronymic=patronymic,
                birth_date=birth_date,
                groups=groups,
            )
            for s in rows
        )
        if c is not None
    ]
    scored.sort(key=lambda c: (-c.score, -c.serviceman.pk))
    return scored[:limit]


@dataclass(frozen=True)
class NameQuery:
    surname: str
    given_name: str = ""
    patronymic: str = ""
    birth_date: date | None = None


_CANDIDATE_COLUMNS = (
    "pk",
    "reference",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "surname_index",
    "surname_initial_index",
    "surname_year_index",
)


def serviceman_candidates_many(
    queries: Sequence[NameQuery], *, limit: int = 5, chunk: int = 500
) -> list[list[Candidate]]:
    """`serviceman_candidates` for many people at once (an import's rows): the same blind-index
    lookups and scoring, with the given-name table read once and one query per `chunk` people
    instead of one each."""
    groups = given_name_groups()
    results: list[list[Candidate]] = [[] for _ in queries]
    prepared: list[tuple[int, str, list[tuple[str, str]]]] = []
    for index, query in enumerate(queries):
        skeleton = name_skeleton(query.surname)
        if not skeleton:
            continue
        given_key = given_name_key(query.given_name, groups)
        keys: list[tuple[str, str]] = []
        if given_key:
            keys += [
                ("surname_initial_index", value)
                for _, value in blind_index_all_keys(
                    "surname_initial", f"{skeleton}:{given_key[0]}"
                )
            ]
        if query.birth_date:
            keys += [
                ("surname_year_index", value)
                for _, value in blind_index_all_keys(
                    "surname_year", f"{skeleton}:{query.birth_date.year}"
                )
            ]
        if not keys:
            keys = [("surname_index", v) for _, v in blind_index_all_keys("surname", skeleton)]
        prepared.append((index, given_key, keys))
    for start in range(0, len(prepared), chunk):
        part = prepared[start : start + chunk]
        wanted: dict[str, set[str]] = {}
        for _index, _given_key, keys in part:
            for column, value in keys:
                wanted.setdefault(column, set()).add(value)
        lookups = Q()
        for column, values in wanted.items():
            lookups |= Q(**{f"{column}__in": sorted(values)})
        found: dict[tuple[str, str], list[Serviceman]] = {}
        for serviceman in Serviceman.objects.filter(lookups).only(*_CANDIDATE_COLUMNS):
            for column in wanted:
                found.setdefault((column, getattr(serviceman, column)), []).append(serviceman)
        for index, given_key, keys in part:
            query = queries[index]
            servicemen = {s.pk: s for key in keys for s in found.get(key, [])}
            scored = [
                c
                for c in (
                    _score(
                        s,
                        surname=query.surname,
                        given_key=given_key,
                        patronymic=query.patronymic,
                        birth_date=query.birth_date,
                        groups=groups,
                    )
                    for s in servicemen.values()
                )
                if c is not None
            ]
            scored.sort(key=lambda c: (-c.score, -c.serviceman.pk))
            results[index] = scored[:limit]
    return results


def cases_matching_name(*, user: AnyUser, query: str, limit: int = 50) -> QuerySet[Case]:
    """Visible cases whose serviceman may be the named person ("Surname [Given] [dd.mm.yyyy]")."""
    parts = query.split()
    if not parts:
        return Case.objects.none()
    birth: date | None = None
    words = []
    for part in parts:
        try:
            birth = date(*reversed([int(x) for x in part.split(".")]))  # dd.mm.yyyy
        except (TypeError, ValueError, OverflowError):
            words.append(part)
    if not words:
        return Case.objects.none()
    candidates = serviceman_candidates(
        surname=words[0],
        given_name=words[1] if len(words) > 1 else "",
        patronymic=words[2] if len(words) > 2 else "",
        birth_date=birth,
        within=servicemen_visible_to(user),
        limit=limit,
    )
    return cases_visible_to(user).filter(serviceman__in=[c.serviceman.pk for c in candidates])


@dataclass(frozen=True)
class DuplicateCandidate:
    serviceman: Serviceman
    score: float
    reasons: tuple[str, ...]
    cases: tuple[Case, ...]  # his open cases this user may see


@dataclass(frozen=True)
class CaseDuplicates:
    same_serviceman: tuple[Case, ...]  # other open cases of this case's serviceman
    candidates: tuple[DuplicateCandidate, ...]
    hidden_count: int  # candidates outside the user's visibility: a number, never details


def case_duplicates_for_user(*, user: AnyUser, case: Case, limit: int = 20) -> CaseDuplicates:
    """What may duplicate this case, limited to what the user may see, plus a count of the rest."""
    serviceman = case.serviceman

    # One read of the candidates, each marked whether the user may see it: the case page takes
    # the same statements whatever the candidates (bench/admin_pages.py counts them).
    coordinator = is_coordinator(user)
    everyone = serviceman_candidates(
        surname=serviceman.surname,
        given_name=serviceman.given_name,
        patronymic=serviceman.patronymic,
        birth_date=serviceman.birth_date,
        exclude_pk=serviceman.pk,
        visible_within=None if coordinator else servicemen_visible_to(user),
        limit=limit if coordinator else 500,
    )
    seen = [c for c in everyone if getattr(c.serviceman, "is_visible", True)]
    found = seen[:limit]
    hidden_count = len(everyone) - len(seen)
    open_cases = (
        cases_visible_to(user)
        .filter(
            serviceman__in=[serviceman.pk, *(c.serviceman.pk for c in found)],
            merged_into__isnull=True,
        )
        .exclude(pk=case.pk)
        .select_related("team", "assignee")
        .order_by("created_at", "pk")
    )
    by_serviceman: dict[int, list[Case]] = {}
    for other in open_cases:
        by_serviceman.setdefault(other.serviceman_id, []).append(other)
    return CaseDuplicates(
        same_serviceman=tuple(by_serviceman.get(serviceman.pk, [])),
        candidates=tuple(
            DuplicateCandidate(
                serviceman=c.serviceman,
                score=c.score,
                reasons=c.reasons,
                cases=tuple(by_serviceman.get(c.serviceman.pk, [])),
            )
            for c in found
        ),
        hidden_count=hidden_count,
    )
