"""Photos of a concern on disk, as meeting attachments are kept (the checks are community.images): the type sniffed from
the bytes, photos only (JPEG, PNG, WebP), a size cap, re-encoded at phone size (which drops location data),
stored under a random name in a directory of their own, served only through an authorised route."""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from community.i18n import lazy
from community.images import (
    PHONE_MAX_PX,
    THUMB_MAX_PX,
    UploadRefused,
    encode,
    open_image,
    sniff,
    thumb_name,
)

MAX_BYTES = 8 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
EMPTY = lazy("One of the photos is empty. Please choose it again.")
TOO_LARGE = lazy("A photo is larger than 8 MB. Please send a smaller one.")
NOT_A_PHOTO = lazy("Only photos (JPEG, PNG or WebP) can be attached.")

__all__ = ["MAX_BYTES", "Stored", "UploadRefused", "check", "path_of", "remove", "store"]


def photo_dir() -> Path:
    """YISHI_UPLOAD_DIR (else ./var/uploads), in a directory of the concerns' own."""
    return Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads") / "concerns"


@dataclass(frozen=True)
class Stored:
    stored_name: str
    content_type: str
    size: int
    width: int
    height: int


def check(data: bytes) -> str:
    """The photo's content type, or UploadRefused with the reason (nothing is written)."""
    if not data:
        raise UploadRefused(EMPTY)
    if len(data) > MAX_BYTES:
        raise UploadRefused(TOO_LARGE)
    content_type = sniff(data)
    if content_type not in EXTENSIONS:
        raise UploadRefused(NOT_A_PHOTO)
    return content_type


def store(data: bytes) -> Stored:
    """Check, decode (refusing decompression bombs), re-encode and write one photo and its thumbnail."""
    content_type = check(data)
    image = open_image(data)
    body = encode(image, content_type, PHONE_MAX_PX)
    directory = photo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(18)}.{EXTENSIONS[content_type]}"
    (directory / thumb_name(name)).write_bytes(encode(image, content_type, THUMB_MAX_PX))
    (directory / name).write_bytes(body)
    with Image.open(io.BytesIO(body)) as stored:
        width, height = stored.size
    return Stored(name, content_type, len(body), width, height)


def path_of(stored_name: str, thumb: bool = False) -> Path:
    # Stored names are generated here (token_urlsafe), so they never contain a path separator.
    assert "/" not in stored_name and "\\" not in stored_name and not stored_name.startswith(".")
    return photo_dir() / (thumb_name(stored_name) if thumb else stored_name)


def remove(stored_name: str) -> None:
    for thumb in (False, True):
        path_of(stored_name, thumb).unlink(missing_ok=True)
