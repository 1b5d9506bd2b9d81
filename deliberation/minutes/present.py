"""What the minutes pages show, computed from published content: the four checks and countdowns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, cast

from votes.rules import parse_area

CHECK_KEYS: Final = ("participation_headcount", "participation_area", "approval_headcount", "approval_area")


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One of the four Art. 278 checks with its exact figures: `part` out of `whole` against `threshold`."""

    key: str
    part: int  # entities, or hundredths of m²
    whole: int
    by_area: bool
    threshold: str  # "2/3", "3/4" or ">1/2"
    passed: bool

    @property
    def fraction(self) -> str:
        return f"{self.part}/{self.whole}" if not self.by_area else f"{_area(self.part)}/{_area(self.whole)}"

    @property
    def percent(self) -> str:
        return percent_text(self.part, self.whole)

    @property
    def sign(self) -> str:
        return ">" if self.threshold.startswith(">") else "≥"

    @property
    def ratio(self) -> str:
        return self.threshold.lstrip(">")


def _area(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def percent_text(part: int, whole: int) -> str:
    """ "66.67%" rounded half up from exact integers; "—" when there is nothing to divide by."""
    if whole <= 0:
        return "—"
    hundredths = (part * 10000 * 2 + whole) // (2 * whole)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _measure(result: Mapping[str, object], name: str) -> tuple[int, int]:
    measure = cast(Mapping[str, object], result.get(name) or {})
    headcount = measure.get("headcount", 0)
    area = measure.get("area", "0")
    return (headcount if isinstance(headcount, int) else 0, parse_area(area) if isinstance(area, str) else 0)


def check_rows(result: Mapping[str, object]) -> list[CheckRow]:
    """The four checks of an owners' result (`yishi tally` output), each with numerator and denominator."""
    totals_h, totals_a = _measure(result, "totals")
    part_h, part_a = _measure(result, "participating")
    agree_h, agree_a = _measure(result, "agreeing")
    thresholds = cast(Mapping[str, object], result.get("thresholds") or {})
    approval = str(thresholds.get("approval", ">1/2"))
    checks = cast(Mapping[str, object], result.get("checks") or {})
    figures = {
        "participation_headcount": (part_h, totals_h, False, "2/3"),
        "participation_area": (part_a, totals_a, True, "2/3"),
        "approval_headcount": (agree_h, part_h, False, approval),
        "approval_area": (agree_a, part_a, True, approval),
    }
    return [
        CheckRow(key, part, whole, by_area, threshold, checks.get(key) is True)
        for key, (part, whole, by_area, threshold) in figures.items()
    ]


@dataclass(frozen=True, slots=True)
class Countdown:
    """Time left in a notice period, in whole days and hours (rounded down: never promises more time)."""

    days: int
    hours: int
    over: bool


def countdown(ends_at: datetime, now: datetime) -> Countdown:
    left = ends_at - now
    if left <= timedelta(0):
        return Countdown(0, 0, True)
    hours = int(left.total_seconds()) // 3600
    return Countdown(hours // 24, hours % 24, False)
