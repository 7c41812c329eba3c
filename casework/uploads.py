"""Checks the files families upload and rebuilds them from pixels so no metadata reveals them."""

from __future__ import annotations

import hashlib
import io
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import magic
import pillow_heif
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

pillow_heif.register_heif_opener()

# The messages to families spell out MAX_BYTES and MAX_PDF_PAGES; change them together.
MAX_FILES = 10
MAX_BYTES = 10 * 1024 * 1024
# Checked before decoding, so a small file cannot claim a huge canvas and exhaust memory: from
# the image's header (Image.open reads only that), and again by Pillow itself for any image it
# decodes (MAX_IMAGE_PIXELS: twice this raises DecompressionBombError), and for the pictures
# inside a PDF from `pdfimages -list`, which reads their sizes without decoding them.
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
MAX_PDF_PAGES = 50
# Pillow holds every rendered page in memory until the new PDF is written; this is a little
# more than 50 A4 pages at PDF_DPI (about 350 MB).
MAX_PDF_PIXELS = 120_000_000
PDF_DPI = 150
JPEG_QUALITY = 85
# A PDF costs five poppler runs: four quick inspections (pdfinfo twice, pdfimages, pdfdetach) and
# one rendering (pdftoppm, up to 50 pages). Their timeouts together (100 s), with decrypting and
# rebuilding the pages, must fit inside CELERY_TASK_SOFT_TIME_LIMIT (120 s): a hanging tool then
# marks the file unreadable, instead of the task being interrupted and retried on the same file
# or, past CELERY_TASK_TIME_LIMIT, killed with its plaintext pages left in /tmp (a tmpfs in
# docker-compose.yml for that reason). tests/test_uploads.py checks the sum.
TOOL_TIMEOUT_SECONDS = 10
RENDER_TIMEOUT_SECONDS = 60
# Each poppler run gets this much address space (and may write files up to TOOL_FILE_MB): a
# hostile PDF that makes a tool allocate without bound kills that tool, which marks the file
# unreadable, instead of the worker or its neighbours (docker-compose.yml's files-worker).
TOOL_MEMORY_MB = 1024
TOOL_FILE_MB = 256

_KIND_BY_MIME = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heic",
    "application/pdf": "pdf",
}
# Restricting Pillow to the sniffed format keeps it from trying other decoders on hostile bytes.
_PILLOW_FORMATS = {"jpeg": ["JPEG", "MPO"], "png": ["PNG"], "heic": ["HEIF"]}

_FOUND_PHRASES: dict[str, StrOrPromise] = {
    "gps": _("GPS position present"),
    "exif": _("Camera details (EXIF) present"),
    "xmp": _("Editing details (XMP) present"),
    "iptc": _("Caption and credit details (IPTC) present"),
    "icc": _("Colour profile present"),
    "comment": _("Hidden comments present"),
    "pdf_author": _("Author name present"),
    "pdf_title": _("Document title present"),
    "pdf_creator": _("Name of the program that created the document present"),
    "pdf_producer": _("Name of the program that saved the document present"),
    "pdf_dates": _("Creation or editing dates present"),
    "pdf_other_info": _("Other document details present"),
    "pdf_xmp": _("Document details (XMP) present"),
    "pdf_embedded_image_metadata": _("Camera details inside pictures present"),
    "pdf_javascript": _("Scripts (JavaScript) present"),
    "pdf_attachments": _("Attached files present"),
}
_PDF_INFO_FIELDS = {
    "Author": "pdf_author",
    "Title": "pdf_title",
    "Creator": "pdf_creator",
    "Producer": "pdf_producer",
    "CreationDate": "pdf_dates",
    "ModDate": "pdf_dates",
    "Subject": "pdf_other_info",
    "Keywords": "pdf_other_info",
}
# APP1 (EXIF or XMP) and APP13 (IPTC) segments of JPEG images stored in the PDF as they are.
_JPEG_METADATA_SEGMENT = re.compile(
    rb"\xff\xe1..(?:Exif\x00\x00|http://ns\.adobe\.com/xap/1\.0/\x00)"
    rb"|\xff\xed..Photoshop 3\.0\x00",
    re.DOTALL,
)
_PDF_JAVASCRIPT = re.compile(rb"/(?:JavaScript|JS)\b")
_PDF_PAGE_SIZE = re.compile(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", re.MULTILINE)


class UploadRejected(Exception):
    """An upload we will not keep; `message` is safe to show to the family."""

    def __init__(self, code: str, message: StrOrPromise) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanResult:
    data: bytes
    content_type: str
    extension: str
    found: list[str]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sniff(data: bytes) -> str | None:
    """The kind of file the bytes are ("jpeg", "png", "heic", "pdf"), or None for anything else."""
    return _KIND_BY_MIME.get(magic.from_buffer(data, mime=True))


def validate_upload(data: bytes) -> str:
    """Return the file's kind; raise UploadRejected if it is empty, too large or not allowed."""
    if not data:
        raise UploadRejected("empty", _("This file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_large", _("This file is larger than 10 MB."))
    kind = sniff(data)
    if kind is None:
        raise UploadRejected(
            "unsupported_type", _("Only photos (JPEG, PNG, HEIC) and PDF documents can be sent.")
        )
    return kind


def clean(data: bytes, kind: str) -> CleanResult:
    """Rebuild the file from its pixels alone; raise UploadRejected if it cannot be read."""
    if kind == "pdf":
        return _clean_pdf(data)
    if kind in _PILLOW_FORMATS:
        return _clean_image(data, kind)
    raise ValueError(f"unknown upload kind {kind!r}")


def describe_found(found: list[str]) -> list[StrOrPromise]:
    """Plain phrases for the metadata codes in `found`, in the same order."""
    return [_FOUND_PHRASES.get(code, _("Other hidden details present")) for code in found]


def _unreadable() -> UploadRejected:
    return UploadRejected(
        "unreadable", _("This file could not be opened. It may be damaged; please try another.")
    )


def _image_too_large() -> UploadRejected:
    return UploadRejected(
        "image_too_large", _("This picture is too large. Please send a smaller photo.")
    )


def _clean_image(data: bytes, kind: str) -> CleanResult:
    try:
        with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS[kind]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _image_too_large()
            image.load()  # PNG text chunks after the pixel data are read only by load()
            found = _image_metadata(image)
            upright = ImageOps.exif_transpose(image)
        if upright.mode.startswith("I"):
            # 16-bit greyscale (scans, X-rays): scale to 8 bits, as plain conversion clips to white.
            upright = upright.point(lambda value: value / 256)
        as_png = kind == "png"
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        mode = "RGBA" if as_png and has_alpha else "RGB"
        pixels = upright.convert(mode)
        # A new image made from raw pixels has an empty info dict, so the encoder has no EXIF,
        # XMP, ICC profile or comment it could copy over from the original.
        fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())
        output = io.BytesIO()
        if as_png:
            fresh.save(output, "PNG")
        else:
            fresh.save(output, "JPEG", quality=JPEG_QUALITY)
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _image_too_large() from exc
    except Exception as exc:  # Pillow raises many types on hostile input; the family sees one.
        raise _unreadable() from exc
    if as_png:
        return CleanResult(output.getvalue(), "image/png", "png", found)
    return CleanResult(output.getvalue(), "image/jpeg", "jpg", found)


def _image_metadata(image: Image.Image) -> list[str]:
    exif = image.getexif()
    text = getattr(image, "text", {})  # PNG tEXt, zTXt and iTXt chunks
    present = {
        "gps": bool(exif.get_ifd(0x8825)),
        "exif": bool(exif),
        "xmp": "xmp" in image.info or "XML:com.adobe.xmp" in text,
        # Checking for the APP13 segment, not parsing it, so odd IPTC never blocks a photo.
        "iptc": any(marker == "APP13" for marker, _segment in getattr(image, "applist", [])),
        "icc": bool(image.info.get("icc_profile")),
        "comment": "comment" in image.info or any(k != "XML:com.adobe.xmp" for k in text),
    }
    return [code for code, is_present in present.items() if is_present]


def _clean_pdf(data: bytes) -> CleanResult:
    with tempfile.TemporaryDirectory(prefix="casework-upload-") as workdir:
        source = Path(workdir) / "upload.pdf"
        source.write_bytes(data)
        info = _run_poppler("pdfinfo", "-enc", "UTF-8", "-f", "1", "-l", str(MAX_PDF_PAGES), source)
        page_count = int(_pdf_info_fields(info).get("Pages", "0"))
        if page_count < 1:
            raise _unreadable()
        if page_count > MAX_PDF_PAGES:
            raise UploadRejected(
                "too_many_pages", _("This document has more than 50 pages. Please split it.")
            )
        _check_pdf_page_sizes(info, page_count)
        _check_pdf_image_sizes(_run_poppler("pdfimages", "-list", source))
        found = _pdf_metadata(data, info, source)
        _run_poppler(
            "pdftoppm",
            "-r",
            str(PDF_DPI),
            "-png",
            source,
            Path(workdir) / "page",
            timeout=RENDER_TIMEOUT_SECONDS,
        )
        # pdftoppm pads page numbers to equal width, so name order is page order.
        page_files = sorted(Path(workdir).glob("page-*.png"))
        if len(page_files) != page_count:
            raise _unreadable()
        output = io.BytesIO()
        try:
            pages = [Image.open(path, formats=["PNG"]).convert("RGB") for path in page_files]
            # Pillow writes only the Info entries it is given; None for the dates keeps it from
            # stamping the time of cleaning, so the new file carries no document information.
            pages[0].save(
                output,
                "PDF",
                save_all=True,
                append_images=pages[1:],
                resolution=float(PDF_DPI),
                quality=JPEG_QUALITY,
                title=None,
                author=None,
                creator=None,
                producer=None,
                creationDate=None,
                modDate=None,
            )
        except Exception as exc:  # a page poppler wrote but Pillow cannot read is still unreadable
            raise _unreadable() from exc
    return CleanResult(output.getvalue(), "application/pdf", "pdf", found)


def _run_poppler(tool: str, *arguments: str | Path, timeout: int = TOOL_TIMEOUT_SECONDS) -> str:
    """Run a poppler-utils tool on an upload; a failure or a hang means the file is unreadable."""
    executable = shutil.which(tool)
    if executable is None:
        # A server without poppler-utils is misconfigured; the family's file is not at fault.
        raise RuntimeError(f"{tool} is not installed (Debian package poppler-utils)")
    try:
        completed = subprocess.run(  # noqa: S603 (argument list, no shell; paths are ours)
            [executable, *map(str, arguments)],
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=_limit_tool,  # noqa: PLW1509 - the worker runs no threads while cleaning
        )
    except subprocess.TimeoutExpired as exc:
        raise _unreadable() from exc
    if completed.returncode != 0:
        if b"Incorrect password" in completed.stderr:
            raise UploadRejected(
                "password_protected",
                _("This document is protected by a password. Please send it without one."),
            )
        raise _unreadable()
    return completed.stdout.decode("utf-8", errors="replace")


def _limit_tool() -> None:
    """In the tool's process, before it starts: bound its memory and the files it writes."""
    memory = TOOL_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    files = TOOL_FILE_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))


def _check_pdf_image_sizes(listing: str) -> None:
    """Refuse a PDF holding a picture larger than MAX_PIXELS, or pictures larger than
    MAX_PDF_PIXELS together: rendering would decode each of them whole, however small the
    page shows it. `listing` is `pdfimages -list` (one line per use; a picture used on several
    pages is counted once, by its object number)."""
    sizes: dict[tuple[str, str], int] = {}
    for line in listing.splitlines()[2:]:
        columns = line.split()
        if len(columns) < 12 or not (columns[3].isdigit() and columns[4].isdigit()):
            raise _unreadable()
        sizes[(columns[10], columns[11])] = int(columns[3]) * int(columns[4])
    if sizes and (max(sizes.values()) > MAX_PIXELS or sum(sizes.values()) > MAX_PDF_PIXELS):
        raise UploadRejected(
            "pages_too_large", _("The pages of this document are too large to process.")
        )


def _pdf_info_fields(info: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in info.splitlines():
        name, separator, value = line.partition(":")
        if separator and value.strip():
            fields[name] = value.strip()
    return fields


def _check_pdf_page_sizes(info: str, page_count: int) -> None:
    sizes = [
        (float(width) * PDF_DPI / 72) * (float(height) * PDF_DPI / 72)
        for width, height in _PDF_PAGE_SIZE.findall(info)
    ]
    if len(sizes) != page_count:
        raise _unreadable()
    if max(sizes) > MAX_PIXELS or sum(sizes) > MAX_PDF_PIXELS:
        raise UploadRejected(
            "pages_too_large", _("The pages of this document are too large to process.")
        )


def _pdf_metadata(data: bytes, info: str, source: Path) -> list[str]:
    fields = _pdf_info_fields(info)
    found = {code for name, code in _PDF_INFO_FIELDS.items() if name in fields}
    if fields.get("Custom Metadata") == "yes":
        found.add("pdf_other_info")
    if _run_poppler("pdfinfo", "-meta", source).strip():
        found.add("pdf_xmp")
    # Image streams are never inside compressed object streams, so their raw bytes are visible
    # (except the rare JPEG wrapped in another filter, which this scan misses).
    if _JPEG_METADATA_SEGMENT.search(data):
        found.add("pdf_embedded_image_metadata")
    if fields.get("JavaScript") == "yes" or _PDF_JAVASCRIPT.search(data):
        found.add("pdf_javascript")
    if not _run_poppler("pdfdetach", "-list", source).startswith("0 "):
        found.add("pdf_attachments")
    return [code for code in _FOUND_PHRASES if code in found]
