"""Non-sequential references such as K7M4-QX2P: they reveal neither order nor volume."""

import secrets

# No 0/O, 1/I/L: a family reads the reference aloud or copies it by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference(prefix: str = "") -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}{chars[:4]}-{chars[4:]}"
