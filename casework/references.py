"""Non-sequential references such as K7M4-QX2P: they reveal neither order nor volume."""

import re
import secrets
import unicodedata

# No 0/O, 1/I/L: a family reads the reference aloud or copies it by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(prefix: str = "") -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}{chars[:4]}-{chars[4:]}"


# Cyrillic letters that look like Latin ones: a reference copied by hand on a Russian or
# Ukrainian keyboard often has them.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІ", "ABEKMHOPCTYXI")


# What may be typed as a reference: its alphabet in either case, and the Cyrillic letters that
# fold into it. A browser checks this (the case list's search box) before anything is sent, so a
# name typed there by mistake never reaches an address; most names have a letter outside it.
_TYPED = "".join(sorted({*ALPHABET, *ALPHABET.lower(), *"АВЕКМНРСТУХ", *"АВЕКМНРСТУХ".lower()}))
REFERENCE_INPUT_PATTERN = rf"\s*[{_TYPED}]{{4}}[\s\-]?[{_TYPED}]{{4}}\s*"


def reference_typed(text: str) -> bool:
    """Whether text could be a reference as typed (the search box's pattern, server side)."""
    return re.fullmatch(REFERENCE_INPUT_PATTERN, text or "") is not None


def reference_normalise(text: str) -> str:
    """K7M4-QX2P however it was typed: case, spaces, the dash and Cyrillic look-alikes."""
    upper = unicodedata.normalize("NFKC", text or "").upper().translate(_LOOKALIKES)
    compact = re.sub(r"[^0-9A-Z]", "", upper)
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact
