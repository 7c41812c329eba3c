"""The keys a benchmark's own database is encrypted with: made once per keys file, then reused
(the seeded rows must stay readable run after run); a key added to the project later is
appended to an older file, the others kept."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def _new_keys() -> dict[str, str]:
    return {
        "SECRET_KEY": f"bench-{secrets.token_urlsafe(40)}",
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "BLIND_INDEX_KEYS": f"bench-{secrets.token_urlsafe(32)}",
        "ACCESS_CODE_KEY": f"bench-{secrets.token_urlsafe(32)}",
        "TOKEN_HASH_KEY": f"bench-{secrets.token_urlsafe(32)}",
    }


def bench_keys(keys_file: Path) -> dict[str, str]:
    """The keys in `keys_file`, creating it (mode 600) or adding the keys it lacks."""
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    kept: dict[str, str] = {}
    if keys_file.exists():
        for line in keys_file.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            kept[name] = value
    missing = {name: value for name, value in _new_keys().items() if name not in kept}
    if missing:
        with keys_file.open("a", encoding="utf-8") as out:
            out.writelines(f"{name}={value}\n" for name, value in missing.items())
        keys_file.chmod(0o600)
    return {**kept, **missing}
