"""Participation while a vote is open: against the thresholds, what is still missing, per stairwell unit and floor."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from votes.rules import Measure, missing_for_participation
from votes.settings import VoteKind, VoteSettings

TWO_THIRDS: Final = Fraction(2, 3)
HALF: Final = Fraction(1, 2)


@dataclass(frozen=True, slots=True)
class Participation:
    """Who took part so far, against all voting entities; `missing` is 0/0 once the threshold is reached."""

    totals: Measure
    participating: Measure
    missing: Measure
    by_area: bool  # owners' votes and polls measure area too; a residents' meeting counts households only
    counts: tuple[tuple[str, int], ...] = ()  # (choice, entities) so far, only when shown live

    @property
    def reached(self) -> bool:
        return self.missing.headcount == 0 and (not self.by_area or self.missing.area == 0)

    def share(self, measure: str) -> Fraction:
        total = getattr(self.totals, measure)
        part = getattr(self.participating, measure)
        return Fraction(part, total) if total else Fraction(0)


@dataclass(frozen=True, slots=True)
class Group:
    """Flats of one stairwell unit, or of one floor of it: how many and how much area took part."""

    stairwell: str
    floor: int | None
    flats: int
    voted: int
    area: int
    voted_area: int

    @property
    def missing(self) -> int:
        return self.flats - self.voted


def counts_as_participating(choice: str, settings: VoteSettings) -> bool:
    return choice != "spoiled" or settings.spoiled_ballots == "participate"


def residents_missing(households: int, present: int) -> int:
    """Smallest n with 2 * (present + n) > households (more than half); 0 once reached."""
    return max(0, households // 2 + 1 - present)


def participation(
    kind: VoteKind,
    settings: VoteSettings,
    totals: Measure,
    per_choice: Mapping[str, Measure],
    show_counts: bool = False,
) -> Participation:
    """Participation from the counted ballots so far ({choice: entities and area}) against the electorate."""
    part_h = part_a = 0
    for choice, measure in per_choice.items():
        if counts_as_participating(choice, settings):
            part_h += measure.headcount
            part_a += measure.area
    participating = Measure(part_h, part_a)
    if kind == "residents":
        missing = Measure(residents_missing(totals.headcount, participating.headcount), 0)
    elif kind == "poll":
        missing = Measure(0, 0)  # no threshold to reach
    else:
        missing = missing_for_participation(totals, participating)
    counts = tuple(sorted((choice, m.headcount) for choice, m in per_choice.items())) if show_counts else ()
    return Participation(totals, participating, missing, by_area=kind != "residents", counts=counts)


def ordered_groups(rows: Iterable[tuple[str, int | None, int, int, int, int]]) -> list[Group]:
    """Groups from (stairwell, floor or None, flats, voted, area, voted area), in natural order.

    Counted per flat: an owner of two flats in two stairwell units shows in both, which is what a
    building lead knocking on doors needs.
    """
    return [Group(*row) for row in sorted(rows, key=lambda row: (natural_key(row[0]), row[1] or 0))]


# Remembered: building, unit and room names repeat across an electorate (an opening sorts 100,000 flats by them).
@functools.lru_cache(maxsize=1 << 16)
def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort "2-10" after "2-9": runs of digits compare as numbers."""
    parts: list[tuple[int, int, str]] = []
    run = ""
    for char in text + "\0":
        if run and (char.isdigit() != run[-1].isdigit() or char == "\0"):
            parts.append((0, int(run), "") if run[-1].isdigit() else (1, 0, run))
            run = ""
        run += char
    return tuple(parts)


def bar_width(part: int, total: int, width: int = 300) -> int:
    """Whole pixels for a progress bar (integer arithmetic; the figures themselves are shown exactly)."""
    if total <= 0:
        return 0
    return min(width, part * width // total)


def percent_text(part: int, total: int) -> str:
    """ "66.67%" rounded half up from exact integers, for display next to the exact fraction."""
    if total <= 0:
        return "0.00%"
    hundredths = (part * 10000 * 2 + total) // (2 * total)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"
