"""The scan of a signed paper agreement: photos only, by their bytes, limited in size and pixels, re-encoded."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from community.i18n import lazy
from community.images import PHOTO_TYPES, sniff

MAX_BYTES: Final = 8 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000  # read from the header, before anything is decoded
EDGE: Final = 2400  # pixels: enough to read a signature and the fine print
EMPTY: Final = lazy("Please attach the scan or photo of the signed page.")
TOO_LARGE: Final = lazy("The scan is larger than 8 MB. Please send a smaller one.")
TOO_MANY_PIXELS: Final = lazy("The scan has too many pixels (at most 40 megapixels).")
NOT_A_PHOTO: Final = lazy("The scan must be a photo (JPEG, PNG or WebP).")
UNREADABLE: Final = lazy("This image cannot be read. Please send a JPEG, PNG or WebP photo.")


class ScanRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Scan:
    content_type: str
    data: bytes
    sha256: str  # of the bytes as received: what the chain and the audit can be checked against


def clean_scan(data: bytes) -> Scan:
    """Check a scan and re-encode it as JPEG, upright, at most EDGE pixels, without metadata (no location)."""
    if not data:
        raise ScanRefused(EMPTY)
    if len(data) > MAX_BYTES:
        raise ScanRefused(TOO_LARGE)
    if sniff(data) not in PHOTO_TYPES:  # a PDF is a document, not a scan we can re-encode
        raise ScanRefused(NOT_A_PHOTO)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ScanRefused(TOO_MANY_PIXELS)
            image.load()
            upright = (ImageOps.exif_transpose(image) or image).convert("RGB")
            upright.thumbnail((EDGE, EDGE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=85)
    except ScanRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ScanRefused(UNREADABLE) from exc
    return Scan("image/jpeg", out.getvalue(), hashlib.sha256(data).hexdigest())
