"""What the minutes pages show, computed from published content: the four checks, countdowns, pseudonymised records."""

from __future__ import annotations

import hashlib
import hmac
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


def _pseudonyms(values: set[str], salt: str, prefix: str) -> dict[str, str]:
    """Stable pseudonyms ordered by a keyed hash: the order reveals neither floor nor name."""
    keyed = sorted(values, key=lambda v: hmac.new(salt.encode(), (prefix + v).encode(), hashlib.sha256).hexdigest())
    width = max(3, len(str(len(keyed))))
    return {value: f"{prefix}{index:0{width}d}" for index, value in enumerate(keyed, start=1)}


def redact_record(record: Mapping[str, object], salt: str) -> dict[str, object]:
    """A vote record whose units and owner ids are replaced by pseudonyms, consistently throughout.

    The count does not depend on what units and owners are called, only on which are the same, so
    `yishi recount` confirms a redacted record exactly as it confirms the full one; but nobody can read
    from it which household chose what.
    """
    electorate = cast(list[Mapping[str, object]], record.get("electorate") or [])
    ballots = cast(list[Mapping[str, object]], record.get("ballots") or [])
    served = cast(list[str], record.get("served") or [])
    units = {str(e["unit"]) for e in electorate} | {str(b["unit"]) for b in ballots} | set(served)
    people: set[str] = set()
    for entry in electorate:
        people.update(str(o) for o in cast(list[object], entry.get("owners") or []))
        if entry.get("designated_voter"):
            people.add(str(entry["designated_voter"]))
    for ballot in ballots:
        people.add(str(ballot["voter"]))
        if ballot.get("proxy"):
            people.add(str(ballot["proxy"]))
    people.discard("developer")  # the developer is one public voting entity, not a person
    unit_of = _pseudonyms(units, salt, "U")
    person_of = _pseudonyms(people, salt, "P")

    def person(value: object) -> str:
        return person_of.get(str(value), str(value))

    new_electorate = []
    for entry in electorate:
        copy = dict(entry)
        copy["unit"] = unit_of[str(entry["unit"])]
        copy["owners"] = sorted(person(o) for o in cast(list[object], entry.get("owners") or []))
        if entry.get("designated_voter"):
            copy["designated_voter"] = person(entry["designated_voter"])
        new_electorate.append(copy)
    new_electorate.sort(key=lambda e: str(e["unit"]))
    new_ballots = []
    for ballot in ballots:
        ballot_copy = dict(ballot)
        ballot_copy["unit"] = unit_of[str(ballot["unit"])]
        ballot_copy["voter"] = person(ballot["voter"])
        if ballot.get("proxy"):
            ballot_copy["proxy"] = person(ballot["proxy"])
        new_ballots.append(ballot_copy)
    new_ballots.sort(key=lambda b: (str(b["unit"]), str(b["voter"])))
    redacted = dict(record)
    redacted["electorate"] = new_electorate
    redacted["ballots"] = new_ballots
    redacted["served"] = sorted(unit_of[unit] for unit in served)
    return redacted
