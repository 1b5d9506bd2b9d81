"""Uploaded photos and documents, checked before anything is stored: the real type sniffed from the bytes, a
size cap, a pixel cap read from the header (a small file can decode to an enormous bitmap), re-encoded at
phone size (which also drops location data) with a thumbnail beside it. Pure: bytes in, bytes out."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from community.i18n import lazy

PHONE_MAX_PX = 1600  # the stored image: sharp on a phone, a fraction of a camera's size
THUMB_MAX_PX = 320
# A small file can still decode to an enormous bitmap; refuse anything larger than this.
MAX_PIXELS = 60_000_000

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
DOCUMENT_TYPES = {**PHOTO_TYPES, "application/pdf": "pdf"}

EMPTY = lazy("One of the files is empty. Please choose it again.")
NOT_A_PHOTO = lazy("Only photos (JPEG, PNG or WebP) can be attached.")
NOT_A_DOCUMENT = lazy("Only photos (JPEG, PNG, WebP) and PDF documents can be attached.")
TOO_MANY_PIXELS = lazy("This image is too large. Please send a photo of at most 60 megapixels.")
UNREADABLE = lazy("This image cannot be read. Please send a JPEG, PNG or WebP photo.")


class UploadRefused(Exception):
    """Why an upload is refused, as an English message id (translated where it is shown)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(data: bytes) -> str | None:
    """The content type from the first bytes, whatever the file is called; None if not allowed."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def encode(image: Image.Image, content_type: str, max_px: int) -> bytes:
    """The image at most `max_px` on its longer side, in its own format (JPEG for anything else)."""
    copy = image.copy()
    copy.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if content_type == "image/png":
        copy.save(out, format="PNG", optimize=True)
    elif content_type == "image/webp":
        copy.save(out, format="WEBP", quality=82)
    else:
        copy.convert("RGB").save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def open_image(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The decoded image, turned upright; UploadRefused for a bitmap over `max_pixels` or unreadable bytes."""
    try:
        with warnings.catch_warnings():
            # Pillow warns of a large bitmap at open; the header check below refuses it anyway.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        # The header gives the size: refuse a decompression bomb before decoding it.
        if image.width * image.height > max_pixels:
            raise UploadRefused(TOO_MANY_PIXELS)
        image.load()
    except Image.DecompressionBombError as exc:  # larger still: Pillow refuses it at open
        raise UploadRefused(TOO_MANY_PIXELS) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadRefused(UNREADABLE) from exc
    # Photos from phones are often stored sideways with an orientation tag: turn them upright.
    return ImageOps.exif_transpose(image) or image


def thumb_name(stored_name: str) -> str:
    stem, _dot, extension = stored_name.rpartition(".")
    return f"{stem}-thumb.{extension}"


@dataclass(frozen=True, slots=True)
class Cleaned:
    """A checked upload as it will be stored and served: `sha256` is the fingerprint of `body`."""

    content_type: str
    body: bytes
    thumb: bytes  # empty for a PDF
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        return DOCUMENT_TYPES[self.content_type]


def clean(data: bytes, max_bytes: int, documents: bool = False, too_large: str = "") -> Cleaned:
    """Check one upload and re-encode it (photos) or keep it as it is (PDF, when `documents`).

    Raises UploadRefused with the reason; nothing is written anywhere.
    """
    if not data:
        raise UploadRefused(EMPTY)
    if len(data) > max_bytes:
        raise UploadRefused(too_large or lazy("A file is larger than the limit. Please send a smaller one."))
    content_type = sniff(data)
    allowed = DOCUMENT_TYPES if documents else PHOTO_TYPES
    if content_type not in allowed:
        raise UploadRefused(NOT_A_DOCUMENT if documents else NOT_A_PHOTO)
    if content_type == "application/pdf":
        return Cleaned(content_type, data, b"", 0, 0, hashlib.sha256(data).hexdigest())
    image = open_image(data)
    body = encode(image, content_type, PHONE_MAX_PX)
    thumb = encode(image, content_type, THUMB_MAX_PX)
    with Image.open(io.BytesIO(body)) as stored:
        width, height = stored.size
    return Cleaned(content_type, body, thumb, width, height, hashlib.sha256(body).hexdigest())
