"""Checking uploaded files and serving private ones.

The type comes from the file's content (``filetype`` reads its magic numbers; images are also decoded by Pillow so
that a PNG header glued onto HTML is refused), never from its name or the client's Content-Type. So do the stored
name's extension (``stored_name``), the served Content-Type and the download name's extension
(``private_file_response``): a PDF uploaded as ``evil.html`` is stored, served and downloaded as a PDF.
"""

import filetype
from django.conf import settings
from django.http import FileResponse
from PIL import Image, UnidentifiedImageError

from diagnopet.errors import ValidationFailed

PRESCRIPTION_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
REPORT_TYPES = frozenset({"application/pdf"})
_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
# The extension of each type we accept; anything else is served as bytes under ".bin".
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_UNKNOWN_TYPE, _UNKNOWN_EXTENSION = "application/octet-stream", ".bin"
# Kept out of a download name: path separators, quotes and what ends a header parameter.
_NAME_REFUSED = frozenset("/\\\"';:*?<>|")


def content_type_of(head: bytes) -> str:
    """The accepted type that the first bytes of a file show, else ``application/octet-stream``."""
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in EXTENSIONS else _UNKNOWN_TYPE


def stored_name(mime: str, *, stem: str = "file") -> str:
    """A file name whose extension is the one of the checked type (for ``upload_to``; never the client's)."""
    return stem + EXTENSIONS.get(mime, _UNKNOWN_EXTENSION)


def download_name_for(name: str, mime: str) -> str:
    """``name`` fit for Content-Disposition: its base name only, without quotes, separators or control characters,
    and the extension of the served type in place of its own (``evil.html`` served as a PDF is ``evil.pdf``)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in _NAME_REFUSED)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" .")[:100] or "file"
    return stem + EXTENSIONS.get(mime, _UNKNOWN_EXTENSION)


def upload_check(file, *, allowed: frozenset[str], field: str = "file") -> str:
    """Return the MIME type of ``file`` read from its content, or raise ``ValidationFailed`` (HTTP 400).

    Refuses empty files, files over ``settings.UPLOAD_MAX_BYTES`` and anything whose content is not one of
    ``allowed``.
    """
    size = getattr(file, "size", None) or 0
    if size <= 0:
        raise ValidationFailed("The file is empty.", code="empty_file", field=field)
    if size > settings.UPLOAD_MAX_BYTES:
        limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        raise ValidationFailed(f"The file is larger than {limit_mb} MB.", code="file_too_large", field=field)
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    allowed_names = ", ".join(sorted(_LABELS.get(m, m) for m in allowed))
    if mime not in allowed:
        raise ValidationFailed(f"Upload a {allowed_names} file.", code="unsupported_file_type", field=field)
    if mime.startswith("image/"):
        try:
            with Image.open(file) as image:
                # Pillow refuses twice its pixel limit itself (DecompressionBombError) and only warns between one
                # and two times: both are refused here, before anything decodes the pixels.
                if Image.MAX_IMAGE_PIXELS and image.width * image.height > Image.MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.verify()
        except Image.DecompressionBombError as exc:
            megapixels = (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000
            raise ValidationFailed(
                f"The image has too many pixels (at most {megapixels} megapixels); send a smaller scan.",
                code="image_too_large",
                field=field,
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationFailed(
                "The image is damaged or not really an image.", code="unsupported_file_type", field=field
            ) from exc
        finally:
            file.seek(0)
    elif mime == "application/pdf":
        file.seek(max(size - 2048, 0))
        tail = file.read()
        file.seek(0)
        if b"%%EOF" not in tail:
            raise ValidationFailed("The PDF is incomplete or damaged.", code="unsupported_file_type", field=field)
    return mime


def private_file_response(field_file, *, download_name: str) -> FileResponse:
    """Serve a stored private file as a download: never inline, never sniffed by the browser.

    The Content-Type is read from the file's content (as ``upload_check`` did), never from the stored name, which
    older uploads took from the customer's file; the download name gets the matching extension.
    """
    stream = field_file.open("rb")
    head = stream.read(8192)
    stream.seek(0)
    content_type = content_type_of(head)
    response = FileResponse(
        stream, as_attachment=True, filename=download_name_for(download_name, content_type), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
