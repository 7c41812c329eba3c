"""Request bodies the API reads: JSON no deeper than a client of ours ever sends.

A body nested thousands deep made the JSON decoder raise RecursionError, which DRF does not
treat as a parse error (a 500); anything deeper than MAX_DEPTH is refused as one instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# {"text": "..."} is depth 1; nothing in this API nests deeper than a few levels.
MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The request body is nested too deeply.")) from exc
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(_("The request body is nested too deeply."))
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit`; iterative, so it cannot recurse."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False
