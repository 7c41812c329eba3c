"""Log filter that keeps client addresses, query strings and request objects out of every log."""

from __future__ import annotations

import logging
import re

# "GET /ru/status/?ref=... HTTP/1.1" -> "GET /ru/status/ HTTP/1.1"; any query string may carry
# something a family typed, so it never reaches a log line.
_QUERY = re.compile(r"(\s/[^\s?]*)\?\S*")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# A live enrolment link in a log would let a log reader enrol in someone's place.
_ENROL_TOKEN = re.compile(r"/enrol/[^/\s]+")


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
        cleaned = _IPV4.sub("[addr]", _QUERY.sub(r"\1", message))
        cleaned = _ENROL_TOKEN.sub("/enrol/[token]", cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
