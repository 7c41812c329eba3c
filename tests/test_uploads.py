"""Uploads are accepted by content alone and come out rebuilt with no metadata left in them."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from casework.uploads import (
    MAX_BYTES,
    UploadRejected,
    clean,
    describe_found,
    sha256_hex,
    sniff,
    validate_upload,
)

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description dc:creator="Ivanova Maria"/></rdf:RDF></x:xmpmeta>'
)
# An IPTC caption in a Photoshop APP13 segment, as news and photo apps write it.
IPTC_SEGMENT = (
    b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x78\x00\x07Kherson\x00"
)


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 2000D"  # Model
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    return exif


def red_left_blue_right(mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (40, 20), "blue")
    image.paste("red", (0, 0, 20, 20))
    return image


def with_jpeg_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn segment right after the JPEG start-of-image marker."""
    return jpeg[:2] + struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload + jpeg[2:]


def camera_jpeg() -> bytes:
    output = io.BytesIO()
    red_left_blue_right().save(
        output,
        "JPEG",
        exif=gps_exif(),
        xmp=XMP,
        comment=b"Kherson, Suvorova 12",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return with_jpeg_segment(output.getvalue(), 0xED, IPTC_SEGMENT)


def plain_png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(output, "PNG")
    return output.getvalue()


def make_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with `objects` numbered from 1 (object 1 is the catalog) and a correct xref table."""
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(output)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def pages_pdf(
    page_count: int, *, media_box: bytes = b"0 0 144 72", catalog: bytes = b"", trailer: bytes = b""
) -> bytes:
    """Blue pages of 2 x 1 inches; objects 1 and 2 are the catalog and page tree."""
    kids = b" ".join(b"%d 0 R" % (3 + 2 * index) for index in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, page_count),
    ]
    for index in range(page_count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Contents %d 0 R >>"
            % (media_box, 4 + 2 * index)
        )
        objects.append(stream(b"", b"0 0 1 rg 0 0 144 72 re f"))
    return make_pdf(objects, trailer)


def family_letter_pdf() -> bytes:
    """Two pages showing a phone photo that still has its GPS EXIF, with author, title and XMP."""
    photo = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(photo, "JPEG", exif=gps_exif())
    image = stream(
        b"/Type /XObject /Subtype /Image /Width 40 /Height 20 /ColorSpace /DeviceRGB"
        b" /BitsPerComponent 8 /Filter /DCTDecode",
        photo.getvalue(),
    )
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 6 0 R"
    page += b" /Resources << /XObject << /Im0 5 0 R >> >> >>"
    return make_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Metadata 7 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            page,
            page,
            image,
            stream(b"", b"q 144 0 0 72 0 0 cm /Im0 Do Q"),
            stream(b"/Type /Metadata /Subtype /XML", XMP),
            b"<< /Author (Ivanova Maria) /Title (Where we live now) /Creator (Microsoft Word)"
            b" /Producer (Acrobat Distiller) /CreationDate (D:20240301120000+03'00') >>",
        ],
        trailer=b"/Info 8 0 R",
    )


def pdfinfo(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def first_picture(pdf: bytes) -> Image.Image:
    """The first JPEG picture inside a PDF that Pillow wrote (one stream per page)."""
    start = pdf.index(b"stream\n", pdf.index(b"/DCTDecode")) + len(b"stream\n")
    return Image.open(io.BytesIO(pdf[start : pdf.index(b"\nendstream", start)])).convert("RGB")


def rejection_code(data: bytes, kind: str) -> str:
    with pytest.raises(UploadRejected) as rejected:
        clean(data, kind)
    return rejected.value.code


def test_sniff_goes_by_content_only():
    jpeg, pdf = camera_jpeg(), family_letter_pdf()
    heic = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(heic, "HEIF")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("photo.jpg", jpeg)

    assert sniff(jpeg) == "jpeg"
    assert sniff(plain_png()) == "png"
    assert sniff(heic.getvalue()) == "heic"
    assert sniff(pdf) == "pdf"  # whatever the family's browser called it
    assert sniff(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>") is None
    assert sniff(archive.getvalue()) is None
    assert sniff(Path(sys.executable).resolve().read_bytes()[:65536]) is None
    assert sniff(b"") is None


def test_validate_upload_accepts_up_to_the_size_limit():
    jpeg = camera_jpeg()

    assert validate_upload(jpeg + b"\x00" * (MAX_BYTES - len(jpeg))) == "jpeg"

    with pytest.raises(UploadRejected) as rejected:
        validate_upload(jpeg + b"\x00" * (MAX_BYTES - len(jpeg) + 1))
    assert rejected.value.code == "too_large"
    with translation.override("en"):
        assert str(rejected.value.message) == "This file is larger than 10 MB."


def test_validate_upload_refuses_other_kinds_and_empty_files():
    with pytest.raises(UploadRejected) as rejected:
        validate_upload(b"<html><body>hello</body></html>")
    assert rejected.value.code == "unsupported_type"
    with translation.override("en"):
        assert str(rejected.value.message) == (
            "Only photos (JPEG, PNG, HEIC) and PDF documents can be sent."
        )

    with pytest.raises(UploadRejected) as rejected:
        validate_upload(b"")
    assert rejected.value.code == "empty"


def test_jpeg_loses_all_metadata_and_is_turned_upright():
    original = camera_jpeg()

    result = clean(original, "jpeg")

    assert result.found == ["gps", "exif", "xmp", "iptc", "icc", "comment"]
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    for marker in (b"Exif", b"<x:xmpmeta", b"Photoshop", b"ICC_PROFILE", b"Kherson", b"Canon"):
        assert marker in original
        assert marker not in result.data
    cleaned = Image.open(io.BytesIO(result.data))
    assert dict(cleaned.getexif()) == {}
    assert set(cleaned.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert cleaned.size == (20, 40)  # orientation 6: the landscape original stands up
    red, _, blue = cleaned.convert("RGB").getpixel((10, 5))
    assert red > 200 and blue < 60  # the red left half is now on top
    red, _, blue = cleaned.convert("RGB").getpixel((10, 35))
    assert red < 60 and blue > 200


def test_png_loses_text_chunks_and_keeps_transparency():
    text = PngInfo()
    text.add_text("Comment", "We are staying with my sister in Kherson")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    original = io.BytesIO()
    red_left_blue_right("RGBA").save(original, "PNG", pnginfo=text)

    result = clean(original.getvalue(), "png")

    assert result.found == ["xmp", "comment"]
    assert (result.content_type, result.extension) == ("image/png", "png")
    for marker in (b"tEXt", b"iTXt", b"Kherson", b"xmpmeta"):
        assert marker not in result.data
    cleaned = Image.open(io.BytesIO(result.data))
    assert cleaned.text == {}
    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((0, 0)) == (255, 0, 0, 255)


def test_sixteen_bit_greyscale_png_keeps_its_tones():
    original = io.BytesIO()
    Image.new("I;16", (8, 8), 32896).save(original, "PNG")  # 0x8080: mid grey

    cleaned = Image.open(io.BytesIO(clean(original.getvalue(), "png").data))

    assert cleaned.getpixel((0, 0)) == (128, 128, 128)


def test_heic_comes_out_as_jpeg_without_gps():
    original = io.BytesIO()
    red_left_blue_right().save(original, "HEIF", exif=gps_exif().tobytes())

    result = clean(original.getvalue(), "heic")

    assert result.found == ["gps", "exif"]
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    for marker in (b"Exif", b"Canon"):
        assert marker not in result.data
    cleaned = Image.open(io.BytesIO(result.data))
    assert dict(cleaned.getexif()) == {}
    assert cleaned.size == (20, 40)  # the HEIC rotation (which pillow-heif stores) is kept


def test_pdf_is_rebuilt_without_author_title_or_photo_gps(tmp_path):
    original = family_letter_pdf()

    result = clean(original, "pdf")

    assert result.found == [
        "pdf_author",
        "pdf_title",
        "pdf_creator",
        "pdf_producer",
        "pdf_dates",
        "pdf_xmp",
        "pdf_embedded_image_metadata",
    ]
    assert (result.content_type, result.extension) == ("application/pdf", "pdf")
    for marker in (b"Ivanova", b"I\x00v\x00a\x00n", b"Where we live", b"Microsoft", b"Distiller"):
        assert marker not in result.data
    for marker in (b"Exif", b"<x:xmpmeta", b"/Metadata", b"/Info", b"D:2024"):
        assert marker in original
        assert marker not in result.data
    info = pdfinfo(result.data, tmp_path)
    assert "Pages:           2\n" in info
    assert "Page size:       144 x 72 pts\n" in info  # 2 x 1 inches, as before
    for field in ("Author:", "Title:", "Creator:", "Producer:", "CreationDate:", "ModDate:"):
        assert field not in info
    assert "Metadata Stream: no\n" in info
    assert first_picture(result.data).getpixel((150, 75)) == pytest.approx((255, 0, 0), abs=8)


def test_pdf_with_script_and_attachment_is_reported_and_rebuilt_without_them():
    attachment = b"/Names << /EmbeddedFiles << /Names [(address.txt) 3 0 R] >> >>"
    script = b"/OpenAction << /S /JavaScript /JS (app.alert('hello')) >>"
    catalog = b"%s %s" % (attachment, script)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Filespec /F (address.txt) /EF << /F 4 0 R >> >>",
        stream(b"/Type /EmbeddedFile", b"Suvorova 12"),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 6 0 R >>",
        stream(b"", b"0 0 1 rg 0 0 144 72 re f"),
    ]

    result = clean(make_pdf(objects), "pdf")

    assert result.found == ["pdf_javascript", "pdf_attachments"]
    for marker in (b"JavaScript", b"EmbeddedFile", b"Suvorova"):
        assert marker not in result.data


def test_plain_pdf_reports_nothing_found():
    assert clean(pages_pdf(1), "pdf").found == []


def test_pdf_with_too_many_pages_is_refused(tmp_path):
    assert "Pages:           50\n" in pdfinfo(clean(pages_pdf(50), "pdf").data, tmp_path)
    assert rejection_code(pages_pdf(51), "pdf") == "too_many_pages"


def test_pdf_with_a_huge_page_is_refused_before_rendering():
    assert rejection_code(pages_pdf(1, media_box=b"0 0 14400 14400"), "pdf") == "pages_too_large"


def test_password_protected_pdf_is_refused():
    # An owner and user key that the empty password does not open.
    encrypt = b"/Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4" % (b"11" * 32, b"22" * 32)
    document = pages_pdf(
        1, trailer=b"/Encrypt << %s >> /ID [<%s> <%s>]" % (encrypt, b"33" * 16, b"33" * 16)
    )

    assert rejection_code(document, "pdf") == "password_protected"


def rc4(key: bytes, data: bytes) -> bytes:
    state, j = list(range(256)), 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    output, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        output.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(output)


def test_pdf_restricted_only_by_permissions_is_rebuilt(tmp_path):
    # Standard security handler, revision 2, empty user password: anyone may open it, as with
    # many official documents that only forbid copying or printing.
    padding = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")
    owner, permissions, file_id = b"\x11" * 32, -44, b"\x33" * 16
    key = hashlib.md5(padding + owner + struct.pack("<i", permissions) + file_id).digest()[:5]
    content_key = hashlib.md5(key + (4).to_bytes(3, "little") + b"\x00\x00").digest()[:10]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R >>",
        stream(b"", rc4(content_key, b"0 0 1 rg 0 0 144 72 re f")),
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), rc4(key, padding).hex().encode(), permissions),
    ]
    document = make_pdf(
        objects, b"/Encrypt 5 0 R /ID [<%s> <%s>]" % ((file_id.hex().encode(),) * 2)
    )
    assert "Encrypted:       yes" in pdfinfo(document, tmp_path)

    result = clean(document, "pdf")

    assert "Encrypted:       no\n" in pdfinfo(result.data, tmp_path)
    assert first_picture(result.data).getpixel((150, 75)) == pytest.approx((0, 0, 255), abs=8)


def test_poppler_timeouts_together_fit_inside_the_tasks_soft_limit(monkeypatch, settings):
    timeouts: list[float] = []
    real_run = subprocess.run

    def recording_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        timeouts.append(kwargs["timeout"])
        return real_run(*args, **kwargs)

    monkeypatch.setattr("casework.uploads.subprocess.run", recording_run)
    clean(pages_pdf(2), "pdf")
    assert len(timeouts) == 5  # pdfinfo, pdfimages -list, pdfinfo -meta, pdfdetach, pdftoppm
    # Headroom for decrypting and rebuilding: a hanging tool is caught before the task limit.
    assert sum(timeouts) + 20 <= settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT


def test_a_hanging_tool_marks_the_pdf_unreadable(monkeypatch):
    def hanging_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise subprocess.TimeoutExpired(args[0], kwargs["timeout"])

    monkeypatch.setattr("casework.uploads.subprocess.run", hanging_run)
    assert rejection_code(pages_pdf(1), "pdf") == "unreadable"


def test_broken_pdf_is_refused():
    assert rejection_code(b"%PDF-1.4\nthis is not a document\n", "pdf") == "unreadable"


def test_truncated_or_garbage_jpeg_is_refused():
    jpeg = camera_jpeg()

    assert rejection_code(jpeg[: len(jpeg) // 2], "jpeg") == "unreadable"
    assert rejection_code(b"\xff\xd8\xff\xe0" + b"\x13\x37" * 500, "jpeg") == "unreadable"
    assert rejection_code(plain_png()[:40], "png") == "unreadable"


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas, as decompression bombs do."""
    png = plain_png()
    header = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + header + struct.pack(">I", zlib.crc32(header)) + png[33:]


@pytest.mark.parametrize("side", [8_000, 20_000])  # over our limit; over Pillow's own limit
def test_image_claiming_a_huge_canvas_is_refused_before_decoding(side):
    assert rejection_code(png_claiming_size(side, side), "png") == "image_too_large"


def test_describe_found_gives_plain_phrases_in_order():
    with translation.override("en"):
        phrases = [str(phrase) for phrase in describe_found(["gps", "exif", "pdf_author"])]

    assert phrases == [
        "GPS position present",
        "Camera details (EXIF) present",
        "Author name present",
    ]


def test_sha256_hex():
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def pdf_showing_picture(width: int, height: int) -> bytes:
    """One small page that shows a picture whose dictionary claims `width` x `height` pixels
    (its data is a few compressed bytes: a decompression bomb for whoever renders the page)."""
    return make_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 144 72] /Contents 4 0 R"
            b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
            stream(b"", b"q 144 0 0 72 0 0 cm /Im1 Do Q"),
            stream(
                b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                b" /BitsPerComponent 8 /Filter /FlateDecode" % (width, height),
                zlib.compress(b"\x80" * 4096),
            ),
        ]
    )


def test_a_pdf_hiding_a_huge_picture_is_refused_before_rendering(monkeypatch):
    tools: list[str] = []
    real_run = subprocess.run

    def recording_run(command, *args, **kwargs):  # type: ignore[no-untyped-def]
        tools.append(Path(command[0]).name)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr("casework.uploads.subprocess.run", recording_run)
    assert rejection_code(pdf_showing_picture(20_000, 20_000), "pdf") == "pages_too_large"
    assert "pdftoppm" not in tools and "pdfimages" in tools
    # A picture within the limit on the same page is rendered as usual.
    tools.clear()
    assert clean(pdf_showing_picture(400, 200), "pdf").content_type == "application/pdf"
    assert tools[-1] == "pdftoppm"


def test_each_poppler_run_has_a_memory_limit(monkeypatch, tmp_path):
    """A tool that asks for 2 GB is stopped by its own limit, so the file is unreadable
    (with room for it, it gets the memory and reports a readable one-page PDF)."""
    import shutil

    greedy = tmp_path / "pdfinfo"
    greedy.write_text(
        f"#!{sys.executable}\n"
        "import mmap\n"
        "block = mmap.mmap(-1, 2 * 1024 ** 3)\n"
        "print('Pages:          1')\n"
        "print('Page    1 size: 144 x 72 pts')\n"
    )
    greedy.chmod(0o755)
    real_which = shutil.which
    monkeypatch.setattr(
        "casework.uploads.shutil.which",
        lambda tool: str(greedy) if tool == "pdfinfo" else real_which(tool),
    )
    assert rejection_code(pages_pdf(1), "pdf") == "unreadable"
    monkeypatch.setattr("casework.uploads.TOOL_MEMORY_MB", 4 * 1024)
    assert clean(pages_pdf(1), "pdf").content_type == "application/pdf"
