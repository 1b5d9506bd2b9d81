"""Attachments on disk: the real type sniffed from the bytes, a size cap, images downscaled for phones."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from community.i18n import lazy

MAX_BYTES = 10 * 1024 * 1024
PHONE_MAX_PX = 1600  # the stored image: sharp on a phone, a fraction of a camera's size
THUMB_MAX_PX = 320
# A small file can still decode to an enormous bitmap; refuse anything larger than this.
MAX_PIXELS = 60_000_000

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


def upload_dir() -> Path:
    """YISHI_UPLOAD_DIR, else ./var/uploads; with several hosts it must be a shared directory."""
    return Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads") / "deliberation"


class UploadRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Stored:
    stored_name: str  # file name under upload_dir(), e.g. "k3J…q.jpg"
    content_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str = ""  # of the stored bytes (what is served), hex


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


def _encode(image: Image.Image, content_type: str, max_px: int) -> bytes:
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


def _open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        # The header gives the size: refuse a decompression bomb before decoding it.
        if image.width * image.height > MAX_PIXELS:
            raise UploadRefused(lazy("This image is too large. Please send a photo of at most 60 megapixels."))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadRefused(lazy("This image cannot be read. Please send a JPEG, PNG or WebP photo.")) from exc
    # Photos from phones are often stored sideways with an orientation tag: turn them upright.
    return ImageOps.exif_transpose(image) or image


def store(data: bytes) -> Stored:
    """Check and write an upload. Images are re-encoded (which also drops location data) at phone size,
    with a thumbnail beside them; PDFs are kept as they are."""
    if not data:
        raise UploadRefused(lazy("Please choose a file."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(lazy("The file is larger than 10 MB."))
    content_type = sniff(data)
    if content_type is None:
        raise UploadRefused(lazy("Only photos (JPEG, PNG, WebP) and PDF documents can be attached."))
    directory = upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_urlsafe(18)
    name = f"{stem}.{EXTENSIONS[content_type]}"
    width = height = None
    if content_type == "application/pdf":
        body = data
    else:
        image = _open_image(data)
        body = _encode(image, content_type, PHONE_MAX_PX)
        (directory / thumb_name(name)).write_bytes(_encode(image, content_type, THUMB_MAX_PX))
        with Image.open(io.BytesIO(body)) as stored:
            width, height = stored.size
    (directory / name).write_bytes(body)
    return Stored(name, content_type, len(body), width, height, hashlib.sha256(body).hexdigest())


def thumb_name(stored_name: str) -> str:
    stem, _dot, extension = stored_name.rpartition(".")
    return f"{stem}-thumb.{extension}"


def path_of(stored_name: str, thumb: bool = False) -> Path:
    # Stored names are generated here (token_urlsafe), so they never contain a path separator.
    assert "/" not in stored_name and "\\" not in stored_name and not stored_name.startswith(".")
    return upload_dir() / (thumb_name(stored_name) if thumb else stored_name)


def sha256_of(stored_name: str) -> str | None:
    """The SHA-256 of a stored file as it is now on disk; None if it is gone."""
    try:
        handle = path_of(stored_name).open("rb")
    except (FileNotFoundError, IsADirectoryError):
        return None
    digest = hashlib.sha256()
    with handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def remove(stored_name: str) -> None:
    for thumb in (False, True):
        path_of(stored_name, thumb).unlink(missing_ok=True)
