"""Field encryption, key rotation safety and blind-index skeletons."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.db import connection
from django.test import override_settings

from casework import crypto
from casework.crypto import DecryptionError, name_skeleton
from casework.models import Serviceman
from tests.factories import ServicemanFactory

OTHER_KEY = base64.urlsafe_b64encode(b"9" * 32).decode()


def raw_column(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_round_trip_stores_only_ciphertext():
    man = ServicemanFactory(surname="Загорулько", birth_date=datetime.date(1999, 2, 3))
    stored = raw_column(Serviceman, man.pk, "surname")
    assert "Загорулько" not in stored
    assert stored.startswith(crypto.current_key_id() + "$")
    assert "1999" not in raw_column(Serviceman, man.pk, "birth_date")
    again = Serviceman.objects.get(pk=man.pk)
    assert again.surname == "Загорулько"
    assert again.birth_date == datetime.date(1999, 2, 3)


@pytest.mark.django_db
def test_wrong_key_fails_loudly_instead_of_returning_ciphertext():
    man = ServicemanFactory()
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        with pytest.raises(DecryptionError):
            Serviceman.objects.get(pk=man.pk)


@pytest.mark.django_db
def test_tampered_ciphertext_fails():
    man = ServicemanFactory()
    stored = raw_column(Serviceman, man.pk, "surname")
    tampered = stored[:-6] + ("AAAAAA" if not stored.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(DecryptionError):
        crypto.decrypt(tampered)


@pytest.mark.django_db
def test_old_key_still_decrypts_after_a_new_key_is_added():
    man = ServicemanFactory(surname="Вершинин")
    old_keys = list(crypto.settings.FIELD_ENCRYPTION_KEYS)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY, *old_keys]):
        assert Serviceman.objects.get(pk=man.pk).surname == "Вершинин"
        assert not crypto.encrypted_under_current_key(raw_column(Serviceman, man.pk, "surname"))


@pytest.mark.django_db
def test_encrypted_fields_refuse_value_lookups():
    with pytest.raises(NotImplementedError):
        list(Serviceman.objects.filter(surname="Вершинин"))
    assert list(Serviceman.objects.filter(birth_date__isnull=True)) == []


@pytest.mark.parametrize(
    "spellings",
    [
        ["Путинцев", "Putintsev", "PUTINTSEV", "Путінцев"],
        ["Григорьев", "Grigoriev", "Hryhoriiev", "Grigoryev"],
        ["Щербаков", "Shcherbakov", "Scherbakov"],
        ["Объедков", "Ob'yedkov", "Обʼєдков"],
        ["Ёлкин", "Елкин", "Yolkin", "Elkin"],
        ["Толкачёв", "Tolkachyov", "Tolkachev"],
    ],
)
def test_spellings_share_a_skeleton(spellings):
    assert len({name_skeleton(s) for s in spellings}) == 1


@pytest.mark.parametrize(
    ("left", "right"),
    [("Иванов", "Иванова"), ("Петров", "Петренко"), ("Смирнов", "Сминов"), ("Коваль", "Ковалев")],
)
def test_different_surnames_keep_different_skeletons(left, right):
    assert name_skeleton(left) != name_skeleton(right)


def test_the_parsed_keys_follow_the_settings_they_come_from():
    before = crypto.current_key_id()
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        assert crypto.current_key_id() == crypto.key_id(OTHER_KEY) != before
    assert crypto.current_key_id() == before
