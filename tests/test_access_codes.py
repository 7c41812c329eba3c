"""Access codes: 16 digits with a Luhn check digit; only a keyed hash is ever stored."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.utils import timezone, translation

from casework.exceptions import AccessLockedError, AccessRefusedError
from casework.models import AuditEvent, Case
from casework.references import reference_normalise
from casework.services.access_codes import (
    access_code_format,
    access_code_hash,
    access_code_is_well_formed,
    access_code_new,
    access_code_normalise,
    luhn_check_digit,
    status_access_check,
)
from tests.factories import CaseFactory


def test_the_check_digit_is_luhns():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    assert access_code_is_well_formed("4539578763621486")  # a Luhn-valid card-style number
    assert not access_code_is_well_formed("4539578763621487")


def test_new_codes_are_16_well_formed_digits_and_differ():
    codes = {access_code_new() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 16 and access_code_is_well_formed(code) for code in codes)


@pytest.mark.parametrize("position", range(16))
def test_any_single_mistyped_digit_is_caught(position):
    code = access_code_new()
    for digit in "0123456789":
        if digit != code[position]:
            typo = code[:position] + digit + code[position + 1 :]
            assert not access_code_is_well_formed(typo)


def test_swapping_two_neighbouring_digits_is_mostly_caught():
    code = "1234567890123452"
    assert access_code_is_well_formed(code)
    assert not access_code_is_well_formed("2134567890123452")


def test_codes_are_grouped_four_by_four_and_typed_loosely():
    code = access_code_new()
    grouped = access_code_format(code)
    assert grouped.count(" ") == 3 and grouped.replace(" ", "") == code
    assert access_code_normalise(grouped.replace(" ", "-")) == code
    assert access_code_normalise("１２３４ ５６７８") == "12345678"  # full-width digits
    assert not access_code_is_well_formed("٤٥٣٩٥٧٨٧٦٣٦٢١٤٨٦")  # other scripts' digits


def test_the_hash_is_keyed_and_never_the_code(settings):
    code = access_code_new()
    stored = access_code_hash(code)
    assert len(stored) == 64 and code not in stored
    assert stored != hashlib.sha256(code.encode()).hexdigest()  # not a plain hash
    expected = hmac.new(
        settings.ACCESS_CODE_KEY.encode(), f"casework.access-code\x00{code}".encode(), "sha256"
    ).hexdigest()
    assert stored == expected
    settings.ACCESS_CODE_KEY = "another-key-another-key-another-key"
    assert access_code_hash(code) != stored


def test_references_are_read_however_they_were_typed():
    assert reference_normalise(" k7m4 qx2p ") == "K7M4-QX2P"
    assert reference_normalise("К7М4-QХ2Р") == "K7M4-QX2P"  # Cyrillic look-alikes


def _case_with_code() -> tuple[Case, str]:
    code = access_code_new()
    case = CaseFactory(
        access_code_hash=access_code_hash(code), access_code_issued_at=timezone.now()
    )
    return case, code


def _another_code(code: str) -> str:
    other = access_code_new()
    return other if other != code else _another_code(code)


@pytest.mark.django_db
def test_the_lock_messages_name_their_real_windows(settings):
    settings.STATUS_LOCK_FAILURES = 2
    settings.STATUS_CLIENT_FAILURES = 3
    # A pair lock lasts STATUS_LOCK_SECONDS: an hour.
    assert settings.STATUS_LOCK_SECONDS == 3600
    first, first_code = _case_with_code()
    with pytest.raises(AccessRefusedError):
        status_access_check(reference=first.reference, code=_another_code(first_code), client="c")
    with pytest.raises(AccessLockedError):
        status_access_check(reference=first.reference, code=_another_code(first_code), client="c")
    with translation.override("en"), pytest.raises(AccessLockedError) as pair_lock:
        status_access_check(reference=first.reference, code=first_code, client="c")
    assert "try again in an hour" in pair_lock.value.message
    # The third failure from this client, on another case, reaches the daily cap.
    second, second_code = _case_with_code()
    with pytest.raises(AccessRefusedError):
        status_access_check(reference=second.reference, code=_another_code(second_code), client="c")
    third, third_code = _case_with_code()
    logins_before = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).count()
    with translation.override("en"), pytest.raises(AccessLockedError) as daily_cap:
        status_access_check(reference=third.reference, code=third_code, client="c")
    assert "try again tomorrow" in daily_cap.value.message
    assert "hour" not in daily_cap.value.message
    with translation.override("ru"), pytest.raises(AccessLockedError) as in_russian:
        status_access_check(reference=third.reference, code=third_code, client="c")
    assert "завтра" in in_russian.value.message
    # Refused although the code was right: no sign-in was recorded.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).count() == logins_before
