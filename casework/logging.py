"""Log filter that keeps client addresses, query strings and request objects out of every log."""

from __future__ import annotations

import ipaddress
import logging
import re

# "GET /ru/status/?ref=... HTTP/1.1" -> "GET /ru/status/ HTTP/1.1"; any query string may carry
# something a family typed, so it never reaches a log line.
_QUERY = re.compile(r"(\s/[^\s?]*)\?\S*")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Anything shaped like an IPv6 address (full, compressed, IPv4-mapped, with a zone): two to seven
# groups ending in a colon, then a last group or a dotted IPv4 tail. Only candidates that really
# parse as IPv6 are replaced, so times (12:30:45) and words stay as they are.
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.%])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?:%[\w.-]+)?(?!\w)"
)
# A live enrolment link in a log would let a log reader enrol in someone's place.
_ENROL_TOKEN = re.compile(r"/enrol/[^/\s]+")


def _redact_ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    # "from 2001:db8::1: refused": the colon after the address is the sentence's.
    address, after = (text[:-1], ":") if re.search(r"[^:]:$", text) else (text, "")
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return text
    if not any(char.isalnum() for char in address):
        return text  # "::" alone is nobody's address
    return "[addr]" + after


def redact_addresses(text: str) -> str:
    """The text with every IPv6 and IPv4 address replaced by [addr]."""
    return _IPV4.sub("[addr]", _IPV6_CANDIDATE.sub(_redact_ipv6, text))


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django attaches the request (headers, REMOTE_ADDR, body) to request-log records.
        for attribute in ("request", "server_time"):
            if hasattr(record, attribute):
                setattr(record, attribute, None)
        if record.exc_info and record.exc_info[1] is not None:
            # A traceback quotes values (a typed date, a name in a failed lookup): keep only the
            # exception's type; the operator reproduces the rest without the person's data.
            record.exc_text = f"{type(record.exc_info[1]).__name__} (details withheld)"
            record.exc_info = None
        message = record.getMessage()
        cleaned = redact_addresses(_QUERY.sub(r"\1", message))
        cleaned = _ENROL_TOKEN.sub("/enrol/[token]", cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
