"""Residents' names in text about to be published (pure): which names of the register occur, and where.

Published pages promise that residents' names never appear on them; free text (minutes written by the
recorder, a meeting's description) is where one slips in: "一楼吴国强担心采光". Before publication the text
is matched against the register's names, and the person publishing sees each match and chooses to edit or
to publish anyway (community/roster/names.py does the I/O, the pages ask).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

MIN_LENGTH: Final = 2  # a single character ("吴", "王") is a fragment of too many words to mean a person
CONTEXT: Final = 12  # characters shown on each side of a match


@dataclass(frozen=True, slots=True)
class NameMatch:
    """One occurrence of a register name in the text: `text[start:end] == name` (up to case for Latin)."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A match with some text around it, for the page that asks before publishing."""

    before: str
    name: str
    after: str


def usable_names(names: Iterable[str]) -> list[str]:
    """The register's names worth looking for: trimmed, spaces removed inside Chinese names ("李 娜") and
    collapsed inside Latin ones ("Zhang  Wei"), at least MIN_LENGTH characters; longest first, so that
    "吴国强" is found before "国强"."""
    cleaned = {re.sub(r"\s+", " " if (name or "").isascii() else "", (name or "").strip()) for name in names}
    return sorted((n for n in cleaned if len(n) >= MIN_LENGTH), key=lambda n: (-len(n), n))


def _latin(name: str) -> bool:
    return name.isascii()


def find_names(text: str, names: Iterable[str]) -> list[NameMatch]:
    """Every occurrence of a register name in `text`, in order, never overlapping (the longer name wins).

    Chinese names are found inside running text (no spaces separate Chinese words); a name in Latin letters
    only as a whole word, ignoring case ("Li" is not found in "Likely").
    """
    taken: list[NameMatch] = []
    occupied = bytearray(len(text))
    lowered = text.lower()
    for name in usable_names(names):
        if _latin(name):
            pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(name.lower()) + r"(?![A-Za-z0-9])")
            spans = [(m.start(), m.end()) for m in pattern.finditer(lowered)]
        else:
            spans = []
            start = text.find(name)
            while start != -1:
                spans.append((start, start + len(name)))
                start = text.find(name, start + 1)
        for start, end in spans:
            if not any(occupied[start:end]):
                occupied[start:end] = b"\x01" * (end - start)
                taken.append(NameMatch(name, start, end))
    return sorted(taken, key=lambda m: m.start)


def excerpts(text: str, matches: Iterable[NameMatch], width: int = CONTEXT) -> list[Excerpt]:
    """Each match with `width` characters of context on each side, line breaks shown as spaces."""

    def flat(part: str) -> str:
        return re.sub(r"\s+", " ", part)

    result = []
    for match in matches:
        before = text[max(0, match.start - width) : match.start]
        after = text[match.end : match.end + width]
        result.append(
            Excerpt(
                ("…" if match.start > width else "") + flat(before),
                text[match.start : match.end],
                flat(after) + ("…" if match.end + width < len(text) else ""),
            )
        )
    return result


def matched_names(matches: Iterable[NameMatch]) -> list[str]:
    """The distinct names found, sorted: what the person publishing confirms, and what the audit records."""
    return sorted({m.name for m in matches})
