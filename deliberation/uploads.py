"""Attachments on disk: the real type sniffed from the bytes, a size cap, images downscaled for phones.

The checks themselves (type, pixels, re-encoding) are `community.images`, shared with votes and community."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from community.i18n import lazy
from community.images import PHONE_MAX_PX, THUMB_MAX_PX, UploadRefused, encode, open_image, sniff, thumb_name

__all__ = ["MAX_BYTES", "Stored", "UploadRefused", "path_of", "remove", "sniff", "store", "thumb_name"]

MAX_BYTES = 10 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


def upload_dir() -> Path:
    """YISHI_UPLOAD_DIR, else ./var/uploads; with several hosts it must be a shared directory."""
    return Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads") / "deliberation"


@dataclass(frozen=True)
class Stored:
    stored_name: str  # file name under upload_dir(), e.g. "k3J…q.jpg"
    content_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str = ""  # of the stored bytes (what is served), hex


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
        image = open_image(data)
        body = encode(image, content_type, PHONE_MAX_PX)
        (directory / thumb_name(name)).write_bytes(encode(image, content_type, THUMB_MAX_PX))
        with Image.open(io.BytesIO(body)) as stored:
            width, height = stored.size
    (directory / name).write_bytes(body)
    return Stored(name, content_type, len(body), width, height, hashlib.sha256(body).hexdigest())


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
