"""Duplicate detection across spellings, merging, key rotation and the demo seed."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from casework import crypto
from casework.exceptions import MergeError
from casework.models import AuditEvent, Case, Serviceman, Team, TimelineEntry
from casework.roles import Role
from casework.selectors import serviceman_candidates
from casework.services.keys import keys_rotate, raw_batches, rows_reencrypt
from casework.services.people import case_merge, serviceman_merge, serviceman_save
from tests.factories import CaseFactory, ServicemanFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        (("Путинцев", "Кирилл"), ("Putintsev", "Kirill")),
        (("Путинцев", "Кирилл"), ("PUTINTSEV", "Kyrylo")),
        (("Путинцев", "Кирилл"), ("Путінцев", "Кирило")),
        (("Григорьев", "Алексей"), ("Grigoriev", "Oleksii")),
        (("Григорьев", "Сергей"), ("Hryhoriiev", "Serhii")),
    ],
)
def test_spellings_find_the_same_serviceman(stored, query):
    man = ServicemanFactory(surname=stored[0], given_name=stored[1], birth_date=None)
    found = serviceman_candidates(surname=query[0], given_name=query[1])
    assert [c.serviceman.pk for c in found] == [man.pk]
    assert "given name" in found[0].reasons


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        (("Иванов", "Сергей", datetime.date(1990, 1, 1)), ("Иванова", "Сергей", None)),
        (("Петров", "Алексей", None), ("Петренко", "Алексей", None)),
        (("Путинцев", "Кирилл", None), ("Putintsev", "Sergei", None)),
        (
            ("Путинцев", "Кирилл", datetime.date(1990, 5, 5)),
            ("Putintsev", "Kirill", datetime.date(2001, 5, 5)),
        ),
    ],
)
def test_different_people_do_not_match(stored, query):
    ServicemanFactory(surname=stored[0], given_name=stored[1], birth_date=stored[2])
    assert serviceman_candidates(surname=query[0], given_name=query[1], birth_date=query[2]) == []


def test_surname_only_search_lists_everyone_with_that_surname_best_first():
    exact = ServicemanFactory(
        surname="Вершинин", given_name="Матвей", birth_date=datetime.date(2000, 1, 2)
    )
    other = ServicemanFactory(surname="Vershinin", given_name="Rostislav", birth_date=None)
    found = serviceman_candidates(surname="Вершинин", birth_date=datetime.date(2000, 1, 2))
    assert [c.serviceman.pk for c in found] == [exact.pk]
    assert {c.serviceman.pk for c in serviceman_candidates(surname="Vershynin")} == {
        exact.pk,
        other.pk,
    }


def test_index_never_holds_a_given_name_alone():
    man = ServicemanFactory(surname="", given_name="Кирилл")
    assert (man.surname_index, man.surname_initial_index, man.surname_year_index) == ("", "", "")


def test_merge_servicemen_moves_everything_and_keeps_both_values():
    coordinator = UserFactory(role=Role.COORDINATOR)
    survivor_case = CaseFactory(serviceman__surname="Толкачёв", serviceman__unit_number="")
    merged_case = CaseFactory(serviceman__surname="Tolkachev", serviceman__rank="сержант")
    TimelineEntryFactory(case=merged_case, text="note on the merged case")
    survivor, merged = survivor_case.serviceman, merged_case.serviceman
    merged.birth_date = datetime.date(1995, 1, 1)
    merged.save()
    merged_reference, merged_unit = merged.reference, merged.unit_number

    serviceman_merge(survivor=survivor, merged=merged, actor=coordinator)

    survivor.refresh_from_db()
    assert not Serviceman.objects.filter(reference=merged_reference).exists()
    assert set(Case.objects.filter(serviceman=survivor)) == {survivor_case, merged_case}
    assert survivor.unit_number == merged_unit  # empty field filled
    assert survivor.applicants.count() == 2
    notes = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.MERGE)
    assert notes.count() == 2  # one on each case, holding the differing birth dates
    assert "birth_date: 2001-04-17 / 1995-01-01" in notes.first().text
    event = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert event.object_reference == survivor.reference
    assert event.detail["merged"] == merged_reference
    assert event.actor == coordinator


def test_merging_a_record_with_itself_is_refused_and_changes_nothing():
    case = CaseFactory()
    with pytest.raises(MergeError):
        serviceman_merge(survivor=case.serviceman, merged=case.serviceman, actor=UserFactory())
    assert Serviceman.objects.count() == 1
    assert AuditEvent.objects.count() == 0


def test_merge_cases_moves_timeline_and_leaves_a_closed_pointer():
    actor = UserFactory(role=Role.COORDINATOR)
    survivor, merged = CaseFactory(), CaseFactory(suicide_risk=True, summary="second story")
    TimelineEntryFactory(case=merged)
    case_merge(survivor=survivor, merged=merged, actor=actor)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into == survivor
    assert merged.status == Case.Status.CLOSED
    assert survivor.suicide_risk is True
    assert "second story" in survivor.summary
    assert survivor.timeline.filter(kind="note").count() == 1
    with pytest.raises(MergeError):
        case_merge(survivor=CaseFactory(), merged=merged, actor=actor)


NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()


def stored_key_ids():
    with connection.cursor() as cursor:
        cursor.execute("SELECT surname, birth_date FROM casework_serviceman")
        return {value.split("$")[0] for row in cursor.fetchall() for value in row if value}


def test_rotation_re_encrypts_everything_and_old_key_can_be_dropped():
    from casework.models import Attachment
    from casework.services.attachments import (
        ORIGINAL,
        Upload,
        attachment_path,
        attachment_read,
        uploads_store,
    )

    cases = CaseFactory.create_batch(7)
    TimelineEntryFactory(case=cases[0])
    stored = uploads_store([Upload(data=b"%PDF-1.4 family scan", kind="pdf", filename="scan.pdf")])[
        0
    ]
    attachment = Attachment.objects.create(
        case=cases[0], public_id=stored.public_id, kind="pdf", size=20, digest=""
    )
    old_field, old_index = (
        list(crypto.settings.FIELD_ENCRYPTION_KEYS),
        list(crypto.settings.BLIND_INDEX_KEYS),
    )
    with override_settings(
        FIELD_ENCRYPTION_KEYS=[NEW_KEY, *old_field],
        BLIND_INDEX_KEYS=["new-index-key", *old_index],
    ):
        report = keys_rotate(batch_size=3)
        assert report.rotated["casework.Serviceman"] == 7
        assert report.rotated["casework.TimelineEntry"] == 1
        assert report.reindexed == 7
        assert report.files == 1
        assert stored_key_ids() == {crypto.key_id(NEW_KEY)}
        again = keys_rotate(batch_size=3)  # resumable: nothing left to do
        assert sum(again.rotated.values()) == 0 and again.reindexed == 0
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY], BLIND_INDEX_KEYS=["new-index-key"]):
        man = Serviceman.objects.get(pk=cases[0].serviceman.pk)
        assert man.surname == cases[0].serviceman.surname
        assert attachment_read(attachment, ORIGINAL) == b"%PDF-1.4 family scan"
        assert (
            attachment_path(attachment.public_id, ORIGINAL)
            .read_bytes()
            .startswith(crypto.key_id(NEW_KEY).encode())
        )
        assert [
            c.serviceman.pk
            for c in serviceman_candidates(
                surname=man.surname, given_name=man.given_name, birth_date=man.birth_date
            )
        ] == [man.pk]


def test_rotation_never_overwrites_a_concurrent_edit():
    first, second = ServicemanFactory(), ServicemanFactory()
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, *crypto.settings.FIELD_ENCRYPTION_KEYS]):
        snapshot = next(raw_batches(Serviceman, ["surname", "rank"], 10))
        first.surname = "Изменённый"  # a caseworker saves while the rotation is mid-batch
        serviceman_save(serviceman=first, actor=None, changed=["surname"])
        rotated, skipped = rows_reencrypt(Serviceman, snapshot)
        assert (rotated, skipped) == (1, 1)
        assert Serviceman.objects.get(pk=first.pk).surname == "Изменённый"
        assert Serviceman.objects.get(pk=second.pk).surname == second.surname


def test_seed_demo_twice_creates_no_duplicates():
    call_command("seed_demo", cases=40, jobs=1)
    counts = (Case.objects.count(), Serviceman.objects.count(), Team.objects.count())
    assert counts == (40, 40, 3)
    call_command("seed_demo", cases=40, jobs=1)
    call_command("seed_demo", cases=40, jobs=1, once=True)
    assert (Case.objects.count(), Serviceman.objects.count(), Team.objects.count()) == counts
    call_command("seed_demo", cases=45, jobs=1)  # a top-up adds only the difference
    assert Case.objects.count() == 45
    assert Case.objects.filter(priority=Case.Priority.URGENT).exists()


def test_merging_into_a_merged_case_is_refused():
    actor = UserFactory(role=Role.COORDINATOR)
    first, second = CaseFactory(), CaseFactory()
    case_merge(survivor=first, merged=second, actor=actor)
    with pytest.raises(MergeError):
        case_merge(survivor=Case.objects.get(pk=second.pk), merged=first, actor=actor)
    assert Case.objects.get(pk=first.pk).merged_into_id is None


def test_merging_two_families_cases_hides_each_familys_messages_from_the_other():
    from casework.selectors import case_for_family, family_messages

    actor = UserFactory(role=Role.COORDINATOR)
    survivor, merged = CaseFactory(), CaseFactory()
    entry = TimelineEntryFactory(case=merged, kind="message_out", visible_to_family=True)
    case_merge(survivor=survivor, merged=merged, actor=actor)
    assert not family_messages(case=survivor).filter(pk=entry.pk).exists()
    assert case_for_family(pk=merged.pk).pk == merged.pk  # not the other family's case


def test_name_search_with_an_absurd_date_is_just_a_word(django_user_model):
    from casework.selectors import cases_matching_name

    user = UserFactory(role=Role.COORDINATOR)
    assert list(cases_matching_name(user=user, query="Ivanov 1.1.99999999999999999999")) == []


def test_editing_the_given_name_table_reindexes_the_servicemen_it_touches(
    django_capture_on_commit_callbacks, verified_client
):
    from django.urls import reverse

    from casework.services.people import serviceman_index_values

    man = ServicemanFactory(surname="Ершов", given_name="Егор", birth_date=None)
    before = man.surname_initial_index
    client = verified_client(UserFactory(role=Role.COORDINATOR))
    # Егор is a folk form of Георгий: a coordinator puts it in that group.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:casework_givennameequivalent_add"),
            {"spelling": "Егор", "group": "Georgii"},
        )
    assert response.status_code == 302
    man.refresh_from_db()
    wanted = serviceman_index_values(surname="Ершов", given_name="Георгий", birth_year=None)
    assert man.surname_initial_index == wanted["surname_initial_index"] != before
    found = serviceman_candidates(surname="Ershov", given_name="Georgy")
    assert [c.serviceman.pk for c in found] == [man.pk] and "given name" in found[0].reasons


def test_the_portal_sweep_reindexes_rows_left_on_an_older_table():
    from casework.models import GivenNameEquivalent
    from casework.tasks import sweep_portal

    man = ServicemanFactory(surname="Ершов", given_name="Егор", birth_date=None)
    GivenNameEquivalent.objects.create(spelling="Егор", group="Georgii")  # no re-index queued
    stale = Serviceman.objects.values("index_version", "surname_initial_index").get(pk=man.pk)
    sweep_portal.delay()  # eager in tests
    fresh = Serviceman.objects.values("index_version", "surname_initial_index").get(pk=man.pk)
    assert fresh["index_version"] != stale["index_version"]
    assert fresh["surname_initial_index"] != stale["surname_initial_index"]
    assert [
        c.serviceman.pk for c in serviceman_candidates(surname="Ершов", given_name="Георгий")
    ] == [man.pk]
