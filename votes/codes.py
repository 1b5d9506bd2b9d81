"""Receipt codes (shown once, stored only as a hash) and paper ballot serial numbers with a check digit."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Final
from urllib.parse import parse_qs, urlsplit

# Crockford's base 32: no I, L, O or U, so a code read aloud or copied by hand is not misread.
_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS: Final = {"I": "1", "L": "1", "O": "0", "U": "V"}
RECEIPT_LENGTH: Final = 12  # 60 bits: not guessable, short enough to write down
_SERIAL_RE = re.compile(r"([0-9]+)-([0-9]{5,})")


def receipt_code(secret: str, nonce: str) -> str:
    """The receipt code for the confirm form's `nonce`: the same nonce always gives the same code, so a
    repeated submit shows the same receipt, and nothing but its hash needs storing."""
    digest = hmac.new(secret.encode(), b"receipt:" + nonce.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> 4  # 60 bits
    chars = []
    for _ in range(RECEIPT_LENGTH):
        number, index = divmod(number, 32)
        chars.append(_ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt(text: str) -> str | None:
    """A typed receipt code in canonical form (upper case, dashes, I/L/O read as digits); None if malformed."""
    cleaned = unicodedata.normalize("NFKC", text or "").upper()
    cleaned = "".join(_READ_AS.get(char, char) for char in cleaned if char not in " -\t")
    if len(cleaned) != RECEIPT_LENGTH or any(char not in _ALPHABET for char in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_hash(code: str) -> str:
    """What is stored: the SHA-256 of the canonical code (60 random bits make a plain hash safe)."""
    return hashlib.sha256(code.encode()).hexdigest()


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(b"nonce:" + nonce.encode()).hexdigest()


def _luhn_digit(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def paper_serial(vote_id: int, number: int) -> str:
    """ "12-000345": the vote, the voting entity's number (5 digits or more) and a Luhn check digit."""
    body = f"{number:05d}"
    return f"{vote_id}-{body}{_luhn_digit(str(vote_id) + body)}"


def parse_serial(text: str) -> tuple[int, int] | None:
    """(vote id, entity number) from a typed serial, or from the URL a scanned QR code gives; None if the
    text is not a serial or its check digit is wrong (a typing error)."""
    cleaned = unicodedata.normalize("NFKC", (text or "").strip())
    if "://" in cleaned or cleaned.startswith("/"):
        values = parse_qs(urlsplit(cleaned).query).get("serial")
        if not values:
            return None
        cleaned = values[0].strip()
    cleaned = cleaned.replace(" ", "").replace("—", "-").replace("–", "-")
    match = _SERIAL_RE.fullmatch(cleaned)
    if match is None:
        return None
    vote_part, rest = match.groups()
    body, check = rest[:-1], rest[-1]
    if len(body) < 5 or _luhn_digit(vote_part + body) != int(check):
        return None
    return int(vote_part), int(body)
