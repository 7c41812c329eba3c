"""Field encryption at rest (Fernet, keys newest first) and keyed blind indexes for name lookups.

Keys come from `FIELD_ENCRYPTION_KEYS` and `BLIND_INDEX_KEYS` (never derived from SECRET_KEY).
Every ciphertext and every index value carries the id of the key that made it, so keys can be
rotated (`manage.py rotate_keys`) while old rows stay readable. Bearer secrets (API tokens,
receipt tokens, staff links, backup codes) are stored only as keyed hashes (`TOKEN_HASH_KEY`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from datetime import date
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

SEPARATOR = "$"


class DecryptionError(Exception):
    """A stored value cannot be decrypted with any configured key: fail loudly, never leak."""


def key_id(key: str | bytes) -> str:
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(raw).hexdigest()[:8]


@cache
def _fernets() -> tuple[tuple[str, Fernet], ...]:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return tuple((key_id(k), Fernet(k.encode())) for k in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes)."
        ) from exc


def current_key_id() -> str:
    return _fernets()[0][0]


def encrypt(plaintext: str) -> str:
    kid, fernet = _fernets()[0]
    return kid + SEPARATOR + fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    kid, _, token = stored.partition(SEPARATOR)
    for candidate_id, fernet in _fernets():
        if candidate_id == kid:
            try:
                return fernet.decrypt(token.encode("ascii")).decode("utf-8")
            except InvalidToken as exc:
                raise DecryptionError(f"value under key {kid} does not verify") from exc
    raise DecryptionError(f"no configured key has id {kid!r}")


def encrypted_under_current_key(stored: str | None) -> bool:
    return not stored or stored.startswith(current_key_id() + SEPARATOR)


def reset_key_cache() -> None:
    """Forget the parsed keys (tests and rotation change the settings)."""
    _fernets.cache_clear()
    _hmac_keys.cache_clear()
    _token_hash_key.cache_clear()
    _digest_keys.cache_clear()


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    # The parsed keys follow the settings they are parsed from whenever those change at run
    # time (override_settings, pytest-django's `settings`), so no caller has to remember to.
    if setting in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS"):
        reset_key_cache()


# --- Model fields ---------------------------------------------------------------------------


class EncryptedMixin:
    """Encrypt on the way into the database, decrypt on the way out.

    Empty strings are stored as empty strings: an absent answer reveals only that it is absent,
    and the admin can filter on it. Only `isnull` lookups are allowed: any other lookup would
    compare against a fresh random ciphertext and silently match nothing.
    """

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value if value is None else self.empty_python_value()
        return self.from_text(decrypt(value))

    def empty_python_value(self) -> Any:
        return ""

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)  # type: ignore[misc]
        if value is None or value == "":
            return value
        return encrypt(self.to_text(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise NotImplementedError(f"encrypted fields cannot be searched with {lookup_name!r}")
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def get_internal_type(self) -> str:
        return "TextField"


class EncryptedTextField(EncryptedMixin, models.TextField):  # type: ignore[misc]
    pass


class EncryptedCharField(EncryptedMixin, models.TextField):  # type: ignore[misc]
    """A short encrypted value; the column is text because ciphertext is longer than input."""

    def __init__(self, *args: Any, max_length: int | None = None, **kwargs: Any) -> None:
        self.input_max_length = max_length
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        defaults: dict[str, Any] = {"max_length": self.input_max_length, "widget": forms.TextInput}
        defaults.update(kwargs)
        return super().formfield(**defaults)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.input_max_length is not None:
            kwargs["max_length"] = self.input_max_length
        return name, path, args, kwargs


class EncryptedDateField(EncryptedMixin, models.TextField):  # type: ignore[misc]
    """A date stored encrypted (ISO text inside the ciphertext, in a text column)."""

    # Tell django-stubs the Python type is a date, not the column's text.
    _pyi_private_set_type: date | str | None  # type: ignore[assignment]
    _pyi_private_get_type: date | None  # type: ignore[assignment]

    def to_text(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)

    def from_text(self, text: str) -> Any:
        return date.fromisoformat(text)

    def empty_python_value(self) -> Any:
        return None

    def to_python(self, value: Any) -> Any:
        if value is None or value == "" or isinstance(value, date):
            return value or None
        return date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return encrypt(self.to_text(self.to_python(value)))

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        defaults: dict[str, Any] = {
            "form_class": forms.DateField,
            "widget": forms.DateInput(attrs={"type": "date"}),
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


# --- Name skeletons and blind indexes -------------------------------------------------------

# Cyrillic letters (Russian and Ukrainian) to a folded Latin spelling. Letters the issue asks to
# fold are mapped straight to their folded form: г/ґ/х→h, и/і/ї/ы/й→i, е/є/э/ё→e, ц→c, щ→sh.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "h", "д": "d", "е": "e", "ё": "e", "є": "e",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h",
    "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
# Latin transliteration variants, applied in order after the Cyrillic mapping.
_LATIN_FOLDS = [
    (re.compile(r"shch|sch"), "sh"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"ts|tz"), "c"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"yo"), "e"),  # ё is written "yo" in Latin and "е" in most Russian documents
    (re.compile(r"[yj]"), "i"),
    (re.compile(r"g"), "h"),
    (re.compile(r"w"), "v"),
    (re.compile(r"i+"), "i"),
    (re.compile(r"ie|ye"), "e"),
    (re.compile(r"(.)\1+"), r"\1"),
]
_APOSTROPHES = re.compile(r"['’ʼ`´ʻ\"]")
_NON_LETTERS = re.compile(r"[^a-z]")


def name_skeleton(text: str) -> str:
    """A spelling-independent key: Путинцев, Putintsev and Путінцев give the same skeleton."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")
    folded = _APOSTROPHES.sub("", folded)
    latin = "".join(_CYRILLIC.get(ch, ch) for ch in folded)
    latin = unicodedata.normalize("NFKD", latin)
    latin = "".join(ch for ch in latin if not unicodedata.combining(ch))
    latin = _NON_LETTERS.sub("", latin)
    for pattern, replacement in _LATIN_FOLDS:
        latin = pattern.sub(replacement, latin)
    return latin


_UNIT_NUMBER = re.compile(r"(?:(?<=^)|(?<=[\s№#]))([^\W\d_]?)(\d{3,})|(\d{3,})")


def unit_skeleton(text: str) -> str:
    """The number that names a unit, whatever words surround it: "в/ч 42038", "ВЧ42038" and
    "войсковая часть 42038" are one unit; a letter written onto the number (Ukraine's "А0224")
    is part of it, in either alphabet. Without a number, the words' skeleton."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    match = _UNIT_NUMBER.search(folded)
    if match is None:
        return name_skeleton(text)
    letter, number = match.group(1) or "", match.group(2) or match.group(3)
    return name_skeleton(letter) + number


@cache
def _hmac_keys() -> tuple[tuple[str, bytes], ...]:
    keys = settings.BLIND_INDEX_KEYS
    if not keys:
        raise ImproperlyConfigured("BLIND_INDEX_KEYS is empty.")
    return tuple((key_id(k), k.encode()) for k in keys)


def current_index_key_id() -> str:
    return _hmac_keys()[0][0]


def _digest(key: bytes, purpose: str, value: str) -> str:
    # The purpose keeps a surname index from ever equalling, say, a phone index of the same text.
    mac = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode("ascii").lower()


def blind_index(purpose: str, value: str) -> str:
    """Index value under the newest key (what is stored)."""
    return _digest(_hmac_keys()[0][1], purpose, value)


def blind_index_all_keys(purpose: str, value: str) -> list[tuple[str, str]]:
    """(key id, index value) under every configured key, for lookups during a rotation."""
    return [(kid, _digest(key, purpose, value)) for kid, key in _hmac_keys()]


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash for grouping (e.g. servicemen of one unit) without storing the value."""
    return blind_index(purpose, value)


# --- Bearer secrets ---------------------------------------------------------------------------


@cache
def _token_hash_key() -> bytes:
    key = settings.TOKEN_HASH_KEY
    if not key:
        raise ImproperlyConfigured("TOKEN_HASH_KEY is empty.")
    return str(key).encode()


def token_hash(purpose: str, token: str) -> str:
    """What is stored of a bearer secret: an HMAC-SHA256 (hex) under TOKEN_HASH_KEY.

    Keyed, so a dump alone cannot even confirm a guessed or leaked token; the purpose keeps an
    API token's hash from ever matching, say, a receipt token's. Changing the key ends every
    token, link and backup code at once (there is nothing to re-hash: the tokens are not kept).
    """
    return hmac.new(_token_hash_key(), f"{purpose}\x00{token}".encode(), hashlib.sha256).hexdigest()


# --- Keyed checksums of files -----------------------------------------------------------------
# A plain SHA-256 of an upload or a draft lets anyone holding a dump test a guess offline ("is
# this the photo from his page?"). The stored checksum is an HMAC instead, under a key of its own
# derived from each BLIND_INDEX_KEYS key (so it rotates with them and needs no new secret),
# stored as "<key id>$<hex>". It is the HMAC of the content's SHA-256, which let the migration
# key the plain checksums already stored without reading every file.

_DIGEST_PURPOSE = b"casework.content-digest"


@cache
def _digest_keys() -> dict[str, bytes]:
    return {
        kid: hmac.new(key, _DIGEST_PURPOSE, hashlib.sha256).digest() for kid, key in _hmac_keys()
    }


def content_digest_of_sha256(sha256_hex: str, *, key_id_: str | None = None) -> str:
    """The stored checksum of content whose SHA-256 is `sha256_hex` (newest key by default)."""
    kid = key_id_ or current_index_key_id()
    mac = hmac.new(_digest_keys()[kid], bytes.fromhex(sha256_hex), hashlib.sha256).hexdigest()
    return kid + SEPARATOR + mac


def content_digest(data: bytes) -> str:
    """The keyed checksum stored for a file (newest key)."""
    return content_digest_of_sha256(hashlib.sha256(data).hexdigest())


def content_digest_matches(data: bytes, stored: str) -> bool:
    """Whether `data` is the content `stored` was made from, under whichever key made it."""
    kid, _, _mac = stored.partition(SEPARATOR)
    if kid not in _digest_keys():
        return False
    expected = content_digest_of_sha256(hashlib.sha256(data).hexdigest(), key_id_=kid)
    return hmac.compare_digest(expected, stored)
