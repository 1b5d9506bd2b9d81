"""Join codes printed on slips (no look-alike characters) and names masked for pages anyone may open."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final, Literal

# No 0/O, 1/I/L: a code is read off paper by elderly residents and typed on a phone.
ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH: Final = 8
DEFAULT_VALIDITY: Final = timedelta(days=30)
MAX_VALIDITY_DAYS: Final = 365
# Wrong passwords typed on one code's page before the code is locked and a new slip is needed.
MAX_FAILED_ATTEMPTS: Final = 5

CodeState = Literal["valid", "used", "expired", "revoked", "locked"]

_SEPARATORS: Final = re.compile(r"[\s\-_.·]+")


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A fresh random code of CODE_LENGTH characters from ALPHABET."""
    return "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code as stored, from what someone typed or scanned ("abcd-efgh", full-width letters); None if
    it cannot be a code (wrong length, a character outside ALPHABET)."""
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_code(code: str) -> str:
    """ABCD-EFGH: two groups of four are easier to read aloud and to type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def code_state(
    *,
    now: datetime,
    expires_at: datetime,
    used_at: datetime | None,
    revoked_at: datetime | None,
    failed_attempts: int,
) -> CodeState:
    """Whether a code can still be claimed; revocation and use win over expiry."""
    if revoked_at is not None:
        return "revoked"
    if used_at is not None:
        return "used"
    if failed_attempts >= MAX_FAILED_ATTEMPTS:
        return "locked"
    if now >= expires_at:
        return "expired"
    return "valid"


def mask_name(name: str) -> str:
    """张*华, 李*, A*** B: enough for the owner to recognise, not enough to identify a neighbour."""
    text = name.strip()
    if not text:
        return ""
    if any(unicodedata.east_asian_width(ch) in "WF" for ch in text):
        if len(text) == 1:
            return text
        if len(text) == 2:
            return text[0] + "*"
        return text[0] + "*" * (len(text) - 2) + text[-1]
    words = text.split()
    return " ".join(word[0] + "*" * (len(word) - 1) for word in words)
