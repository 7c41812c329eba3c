"""Fixtures and builders shared by the family-portal tests (import the fixtures you use)."""

from __future__ import annotations

import io
import re
import secrets
import time

from PIL import Image

from casework.portal.forms import form_stamp


def aged_stamp(seconds: float = 60, token: str | None = None) -> str:
    """A form stamp as if the form had been shown `seconds` ago."""
    return form_stamp(token or secrets.token_urlsafe(24), shown_at=time.time() - seconds)


def intake_post(**overrides: object) -> dict[str, object]:
    """A complete, valid intake form as a family would send it (invented people only)."""
    data: dict[str, object] = {
        "name": "Галина",
        "relationship": "mother",
        "channel": "signal",
        "contact": "+7 916 555 0142",
        "may_call": "on",
        "safe_hours": "после 20:00",
        "surname": "Загорулько",
        "given_name": "Матвей",
        "patronymic": "Игоревич",
        "birth_date": "2002-04-17",
        "jurisdiction": "RU",
        "unit": "в/ч 40417",
        "rank": "рядовой",
        "service_type": "mobilised",
        "status": "redeployed",
        "captured_on": "2024-02-10",
        "released_on": "2025-05-24",
        "current_location": "Макеевка",
        "injuries": "осколочные ранения",
        "hospital": "",
        "mental_state": "не спит",
        "what_happened": "Обменян 24 мая, отправлен обратно в часть без ВВК.",
        "wants": ["vvk", "leave"],
        "wants_other": "",
        "consent": "on",
        "started": aged_stamp(),
        "website": "",
    }
    data.update(overrides)
    return data


def gps_jpeg() -> bytes:
    """A phone photo with its place in the EXIF (GPS) and a camera model."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    output = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(output, "JPEG", exif=exif)
    return output.getvalue()


def tiny_pdf() -> bytes:
    body = b"0 0 1 rg 0 0 144 72 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(output)


def access_code_from(html: str) -> str:
    match = re.search(r'id="access-code">([\d ]+)<', html)
    assert match, "no access code on the page"
    return match.group(1).replace(" ", "")


def reference_from(html: str) -> str:
    match = re.search(r'id="reference">([0-9A-Z]{4}-[0-9A-Z]{4})<', html)
    assert match, "no reference on the page"
    return match.group(1)


def rate_counters_clear() -> None:
    """Forget this test process's rate-limit and lockout counters (their keys carry its prefix,
    config/settings/test.py): another pytest-xdist worker's are left alone."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{settings.RATE_LIMIT_KEY_PREFIX}*", count=1000))
    if keys:
        client.delete(*keys)
