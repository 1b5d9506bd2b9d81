"""Counting outside Art. 278: residents' meetings (Organic Law of Residents' Committees Art. 9) and opinion polls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from votes.rules import Measure, format_area
from votes.settings import VoteSettings

ResidentsOutcome = Literal["passed", "rejected", "no_quorum"]


@dataclass(frozen=True, slots=True)
class ResidentsResult:
    """More than half of the households present, and more than half of those present agreeing."""

    outcome: ResidentsOutcome
    households: int
    participating: int
    agreeing: int
    opposing: int
    abstaining: int
    spoiled: int
    participation_check: bool
    approval_check: bool


def residents_tally(households: int, choices: Sequence[str], settings: VoteSettings) -> ResidentsResult:
    """Count one household ballot per entry of `choices` ("agree", "oppose", "abstain", "spoiled").

    "过半数" is strict: exactly half present, or exactly half agreeing, is not enough. No households, or
    nobody present, never divides by zero: both checks fail.
    """
    agreeing = choices.count("agree")
    opposing = choices.count("oppose")
    abstaining = choices.count("abstain")
    spoiled = choices.count("spoiled")
    participating = agreeing + opposing + abstaining
    if settings.spoiled_ballots == "participate":
        participating += spoiled
    participation_check = households > 0 and 2 * participating > households
    approval_check = participating > 0 and 2 * agreeing > participating
    outcome: ResidentsOutcome
    if not participation_check:
        outcome = "no_quorum"
    elif approval_check:
        outcome = "passed"
    else:
        outcome = "rejected"
    return ResidentsResult(
        outcome, households, participating, agreeing, opposing, abstaining, spoiled, participation_check, approval_check
    )


def residents_to_json(result: ResidentsResult) -> dict[str, object]:
    return {
        "outcome": result.outcome,
        "thresholds": {"participation": ">1/2", "approval": ">1/2"},
        "households": result.households,
        "participating": result.participating,
        "agreeing": result.agreeing,
        "opposing": result.opposing,
        "abstaining": result.abstaining,
        "spoiled": result.spoiled,
        "checks": {"participation": result.participation_check, "approval": result.approval_check},
    }


@dataclass(frozen=True, slots=True)
class PollResult:
    """How many voting entities, and how much area, chose each option; no thresholds, nothing decided."""

    totals: Measure
    participating: Measure
    options: tuple[tuple[str, Measure], ...]  # (option key, measure) in the poll's order


def poll_option_keys(options: Sequence[str]) -> list[str]:
    """Stable keys for a poll's options: "o1", "o2", … in the order they were written."""
    return [f"o{index}" for index in range(1, len(options) + 1)]


def poll_tally(options: Sequence[str], entity_areas: Mapping[str, int], choices: Mapping[str, str]) -> PollResult:
    """Count `choices` ({entity key: option key}) over the electorate ({entity key: area})."""
    keys = poll_option_keys(options)
    heads = dict.fromkeys(keys, 0)
    areas = dict.fromkeys(keys, 0)
    part_h = part_a = 0
    for entity, choice in choices.items():
        area = entity_areas.get(entity)
        if area is None or choice not in heads:
            continue
        heads[choice] += 1
        areas[choice] += area
        part_h += 1
        part_a += area
    return PollResult(
        totals=Measure(len(entity_areas), sum(entity_areas.values())),
        participating=Measure(part_h, part_a),
        options=tuple((key, Measure(heads[key], areas[key])) for key in keys),
    )


def poll_to_json(options: Sequence[str], result: PollResult) -> dict[str, object]:
    return {
        "outcome": "poll",
        "totals": {"headcount": result.totals.headcount, "area": format_area(result.totals.area)},
        "participating": {"headcount": result.participating.headcount, "area": format_area(result.participating.area)},
        "options": [
            {"key": key, "label": label, "headcount": measure.headcount, "area": format_area(measure.area)}
            for (key, measure), label in zip(result.options, options, strict=True)
        ],
    }
