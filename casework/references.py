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


def reference_normalise(text: str) -> str:
    """K7M4-QX2P however it was typed: case, spaces, the dash and Cyrillic look-alikes."""
    upper = unicodedata.normalize("NFKC", text or "").upper().translate(_LOOKALIKES)
    compact = re.sub(r"[^0-9A-Z]", "", upper)
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact
