"""Owners' joint decisions (Civil Code Art. 278): voting entities, valid ballots and the four checks, exactly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

Choice = Literal["agree", "oppose", "abstain", "spoiled"]
Approval = Literal["3/4", ">1/2"]
Outcome = Literal["passed", "rejected", "no_quorum"]
SpoiledBallots = Literal["participate", "exclude"]
# The developer entity is keyed by this literal; every other entity by its exact owner set, so the two
# kinds of key can never collide, even if an owner's opaque id happens to be "developer".
EntityKey = frozenset[str] | Literal["developer"]

CHOICES: Final[frozenset[str]] = frozenset(get_args(Choice))
SPOILED_BALLOTS: Final[frozenset[str]] = frozenset(get_args(SpoiledBallots))
DEVELOPER: Final = "developer"
# Art. 278 items 6 (raise the maintenance fund), 7 (rebuild or alter) and 8 (change use of common parts).
SUPERMAJORITY_MATTERS: Final[frozenset[int]] = frozenset({6, 7, 8})
MATTERS: Final[range] = range(1, 10)

# ASCII digits only: `\d` would also accept e.g. Arabic-Indic digits, which int() silently converts.
_AREA_RE = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
_TOO_PRECISE_RE = re.compile(r"[0-9]+\.[0-9]{3,}")
# Far beyond any real flat; keeps int() away from its huge-string limit and its unclear message.
_MAX_AREA_DIGITS: Final = 15


@dataclass(frozen=True, slots=True)
class Flat:
    """One exclusive unit of the electorate; `area` in integer hundredths of m²."""

    unit: str
    area: int
    owners: frozenset[str]
    designated_voter: str | None = None
    developer_unsold: bool = False


@dataclass(frozen=True, slots=True)
class Ballot:
    """The final ballot of one voter for one unit; `channel` and `proxy` are informational only."""

    unit: str
    voter: str
    choice: Choice
    channel: str | None = None
    proxy: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """The community settings for unsettled points of law; both are printed with the minutes."""

    spoiled_ballots: SpoiledBallots = "participate"
    silent_majority: bool = False

    def __post_init__(self) -> None:
        if self.spoiled_ballots not in SPOILED_BALLOTS:
            raise ValueError(f"unknown spoiled_ballots setting {self.spoiled_ballots!r}")


@dataclass(frozen=True, slots=True)
class Measure:
    """A number of voting entities and their exclusive area in hundredths of m²."""

    headcount: int
    area: int


@dataclass(frozen=True, slots=True)
class Checks:
    """The four independent Art. 278 checks; all four must hold for a decision to pass."""

    participation_headcount: bool
    participation_area: bool
    approval_headcount: bool
    approval_area: bool


@dataclass(frozen=True, slots=True)
class Result:
    """A judged count; `adjusted` is the silent-majority result, present only when that setting is on."""

    outcome: Outcome
    approval: Approval
    totals: Measure
    participating: Measure
    agreeing: Measure
    opposing: Measure
    abstaining: Measure
    checks: Checks
    invalid_ballots: int
    adjusted: Result | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One voting entity (one head): the developer, or one exact set of owners with all its units."""

    key: EntityKey
    units: tuple[str, ...]
    area: int

    @property
    def is_developer(self) -> bool:
        return self.key == DEVELOPER


def approval_threshold(matter: int) -> Approval:
    """The approval threshold for an Art. 278 item: ≥ 3/4 for items 6–8, > 1/2 for the others."""
    # bool is an int in Python, and 7.0 in range(1, 10) is True: neither is an Art. 278 item.
    if isinstance(matter, bool) or not isinstance(matter, int) or matter not in MATTERS:
        raise ValueError(f"matter must be an Art. 278 item from 1 to 9, got {matter!r}")
    return "3/4" if matter in SUPERMAJORITY_MATTERS else ">1/2"


@dataclass(slots=True)
class _Electorate:
    """Step 1 as parallel lists indexed by entity, plus the two lookups ballots need."""

    keys: list[EntityKey]
    area_of: list[int]
    entity_of_unit: dict[str, int]
    flat_of_unit: dict[str, Flat]


def _electorate(flats: Iterable[Flat]) -> _Electorate:
    """Step 1 in one pass; rejects flats that would make the count ambiguous rather than guess.

    No per-entity objects are built here: at 100,000 flats the allocations cost more than the counting.
    """
    index_of_key: dict[EntityKey, int] = {}
    keys: list[EntityKey] = []
    area_of: list[int] = []
    entity_of_unit: dict[str, int] = {}
    flat_of_unit: dict[str, Flat] = {}
    for flat in flats:
        unit = flat.unit
        if unit in flat_of_unit:
            raise ValueError(f"duplicate unit {unit!r} in the electorate")
        if flat.area < 0:
            raise ValueError(f"unit {unit!r} has a negative area")
        key: EntityKey
        if flat.developer_unsold:
            key = DEVELOPER
        elif flat.owners:
            key = flat.owners
        else:
            raise ValueError(f"unit {unit!r} has no owners and is not developer_unsold")
        voter = flat.designated_voter
        if (
            voter is not None
            and voter not in flat.owners
            and not (flat.developer_unsold and voter == DEVELOPER)
        ):
            raise ValueError(f"designated voter {voter!r} is not an owner of unit {unit!r}")
        index = index_of_key.get(key)
        if index is None:
            index = index_of_key[key] = len(keys)
            keys.append(key)
            area_of.append(flat.area)
        else:
            area_of[index] += flat.area
        entity_of_unit[unit] = index
        flat_of_unit[unit] = flat
    return _Electorate(keys, area_of, entity_of_unit, flat_of_unit)


def entity_of_units(flats: Iterable[Flat]) -> tuple[dict[str, int], dict[str, Flat]]:
    """Step 1's lookups without building the entities: each unit's voting entity (its index in `voting_entities`)
    and its flat."""
    electorate = _electorate(flats)
    return electorate.entity_of_unit, electorate.flat_of_unit


def voting_entities(flats: Iterable[Flat]) -> list[Entity]:
    """Step 1: all developer_unsold units form one entity; other units are grouped by their exact owner set.

    Entities come in the order their first unit appears, and units in electorate order, so the list is
    deterministic.
    """
    electorate = _electorate(flats)
    units_of: list[list[str]] = [[] for _ in electorate.keys]
    for unit, index in electorate.entity_of_unit.items():  # dicts keep insertion (electorate) order
        units_of[index].append(unit)
    return [
        Entity(key, tuple(units), area)
        for key, units, area in zip(electorate.keys, units_of, electorate.area_of, strict=True)
    ]


def _checks(approval: Approval, totals: Measure, participating: Measure, agreeing: Measure) -> Checks:
    """Step 5 by integer cross-multiplication (Art. 1259: 以上 includes the boundary, 过半数 is strict).

    A check whose denominator is zero fails: the ratio is undefined, and an empty measure cannot carry a
    decision. This covers "zero participants" and also degenerate electorates with zero area.
    """
    t, p, y = totals, participating, agreeing
    if approval == "3/4":
        approval_headcount = p.headcount > 0 and 4 * y.headcount >= 3 * p.headcount
        approval_area = p.area > 0 and 4 * y.area >= 3 * p.area
    else:
        approval_headcount = p.headcount > 0 and 2 * y.headcount > p.headcount
        approval_area = p.area > 0 and 2 * y.area > p.area
    return Checks(
        participation_headcount=t.headcount > 0 and 3 * p.headcount >= 2 * t.headcount,
        participation_area=t.area > 0 and 3 * p.area >= 2 * t.area,
        approval_headcount=approval_headcount,
        approval_area=approval_area,
    )


def _judge(
    approval: Approval,
    totals: Measure,
    participating: Measure,
    agreeing: Measure,
    opposing: Measure,
    abstaining: Measure,
    invalid_ballots: int,
) -> Result:
    """Steps 5–6."""
    checks = _checks(approval, totals, participating, agreeing)
    outcome: Outcome
    if not (checks.participation_headcount and checks.participation_area):
        outcome = "no_quorum"
    elif checks.approval_headcount and checks.approval_area:
        outcome = "passed"
    else:
        outcome = "rejected"
    return Result(
        outcome=outcome,
        approval=approval,
        totals=totals,
        participating=participating,
        agreeing=agreeing,
        opposing=opposing,
        abstaining=abstaining,
        checks=checks,
        invalid_ballots=invalid_ballots,
    )


def _plus(measure: Measure, headcount: int, area: int) -> Measure:
    return Measure(measure.headcount + headcount, measure.area + area)


def tally(
    matter: int,
    flats: Sequence[Flat],
    ballots: Sequence[Ballot],
    settings: Settings,
    served: frozenset[str] = frozenset(),
) -> Result:
    """Count one vote (steps 1–7 of `yishi.vote-record/1`); linear in flats + ballots.

    Raises ValueError for input the record format forbids (unknown matter or choice, duplicate unit,
    negative area, ownerless non-developer unit, designated voter who is not an owner).
    """
    approval = approval_threshold(matter)
    electorate = _electorate(flats)
    area_of = electorate.area_of
    entity_of_unit = electorate.entity_of_unit
    flat_of_unit = electorate.flat_of_unit

    # Steps 2–3, inlined because this loop runs once per ballot. None = no valid ballot (yet); a second,
    # different valid choice makes the entity spoiled.
    choice_of: list[Choice | None] = [None] * len(area_of)
    invalid_ballots = 0
    for ballot in ballots:
        choice = ballot.choice
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        unit = ballot.unit
        flat = flat_of_unit.get(unit)
        if flat is None:
            invalid_ballots += 1
            continue
        voter = ballot.voter
        designated = flat.designated_voter
        if designated is not None:
            # Where a voter is designated, every other ballot for the unit is invalid.
            valid = voter == designated
        else:
            valid = voter in flat.owners or (flat.developer_unsold and voter == DEVELOPER)
        if not valid:
            invalid_ballots += 1
            continue
        index = entity_of_unit[unit]
        current = choice_of[index]
        if current is None:
            choice_of[index] = choice
        elif current != choice:
            choice_of[index] = "spoiled"

    # Step 4: one pass over entities, summing each measure as plain ints.
    spoiled_participates = settings.spoiled_ballots == "participate"
    participates = [False] * len(area_of)
    part_h = part_a = agree_h = agree_a = oppose_h = oppose_a = abstain_h = abstain_a = 0
    for index, entity_choice in enumerate(choice_of):
        if entity_choice is None or (entity_choice == "spoiled" and not spoiled_participates):
            continue
        area = area_of[index]
        participates[index] = True
        part_h += 1
        part_a += area
        if entity_choice == "agree":
            agree_h += 1
            agree_a += area
        elif entity_choice == "oppose":
            oppose_h += 1
            oppose_a += area
        elif entity_choice == "abstain":
            abstain_h += 1
            abstain_a += area

    totals = Measure(len(area_of), sum(area_of))
    participating = Measure(part_h, part_a)
    agreeing = Measure(agree_h, agree_a)
    opposing = Measure(oppose_h, oppose_a)
    abstaining = Measure(abstain_h, abstain_a)
    strict = _judge(approval, totals, participating, agreeing, opposing, abstaining, invalid_ballots)
    if not settings.silent_majority:
        return strict

    # Step 7: the majority among strict participants must hold on both measures, else nobody is added.
    silent = {entity_of_unit[unit] for unit in served if unit in entity_of_unit}
    silent = {index for index in silent if not participates[index]}
    added_h = len(silent)
    added_a = sum(area_of[index] for index in silent)
    if 2 * agree_h > part_h and 2 * agree_a > part_a:
        agreeing = _plus(agreeing, added_h, added_a)
    elif 2 * oppose_h > part_h and 2 * oppose_a > part_a:
        opposing = _plus(opposing, added_h, added_a)
    else:
        added_h = added_a = 0
    participating = _plus(participating, added_h, added_a)
    adjusted = _judge(approval, totals, participating, agreeing, opposing, abstaining, invalid_ballots)
    return replace(strict, adjusted=adjusted)


def _still_needed(total: int, participating: int) -> int:
    """Smallest n with 3 * (participating + n) >= 2 * total: ceil((2t - 3p) / 3), never negative."""
    shortfall = 2 * total - 3 * participating
    return 0 if shortfall <= 0 else -(-shortfall // 3)


def missing_for_participation(totals: Measure, participating: Measure) -> Measure:
    """How many more entities and how much more area (hundredths) reach 2/3 on each measure; 0 if reached."""
    return Measure(
        headcount=_still_needed(totals.headcount, participating.headcount),
        area=_still_needed(totals.area, participating.area),
    )


def format_area(hundredths: int) -> str:
    """Hundredths of m² as a decimal string with exactly two decimals, e.g. 88000 -> "880.00"."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def _quoted(text: str) -> str:
    """JSON-style quoting for messages: escapes newlines so a message stays one line; long input is cut."""
    shown = json.dumps(text[:40], ensure_ascii=False)
    return shown if len(text) <= 40 else shown[:-1] + '…"'


def parse_area(text: str) -> int:
    """A decimal m² string with at most two decimals as exact hundredths; raises ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f'area must be a decimal string such as "70.00", got {text!r}')
    match = _AREA_RE.fullmatch(text)
    if match is None:
        if text.startswith("-"):
            raise ValueError(f"area {_quoted(text)} is negative")
        if _TOO_PRECISE_RE.fullmatch(text):
            raise ValueError(f"area {_quoted(text)} has more than two decimals")
        raise ValueError(f'area {_quoted(text)} is not a decimal number of m² such as "70.00"')
    whole, cents = match.groups()
    if len(whole) > _MAX_AREA_DIGITS:
        raise ValueError(f"area {_quoted(text)} is too large")
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))
