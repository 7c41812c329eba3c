"""Uploads on family pages stay in memory: Django would spill large ones to a plain temp file.

A family's photo must never touch the disk unencrypted. Memory is bounded: each file is kept up
to MAX_BYTES (beyond that only the fact that it was too large), and only MAX_FILES files are kept.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from casework.portal.multipart import small_form
from casework.uploads import MAX_BYTES, MAX_FILES


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.files_seen = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.buffer = io.BytesIO()
        self.received = 0
        self.over_limit = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > MAX_BYTES:
            self.over_limit = True
            self.buffer = io.BytesIO()  # drop what was kept; the form reports "larger than 10 MB"
        elif self.files_seen <= MAX_FILES:
            self.buffer.write(raw_data)
        return None  # consumed: no other handler ever sees the bytes

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        upload = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        upload.over_limit = self.over_limit  # type: ignore[attr-defined]
        return upload


View = Callable[..., HttpResponse]


def memory_uploads(view: View) -> View:
    """Run `view` with the bounded memory handler (a small form without files is read in one
    pass, casework/portal/multipart.py); CSRF is still checked, after the swap.

    The handler must be set before anything reads the body, and the CSRF middleware reads it
    (for the token) before the view runs; so the middleware skips this view and the same check
    runs inside, as Django's documentation describes for custom upload handlers.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A body in a charset other than UTF-8 never gets here (casework/request_guard.py).
        request.upload_handlers = [BoundedMemoryUploadHandler(request)]
        form = small_form(request)
        if form is not None:
            # What request.POST and request.FILES would have parsed to (Django keeps them in
            # these attributes once read); everything else is left to Django's parser.
            request._post, request._files = form  # type: ignore[attr-defined]
        return protected(request, *args, **kwargs)

    return wrapper
