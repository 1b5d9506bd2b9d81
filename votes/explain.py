"""An owners' result in plain words: one sentence, the four checks, spoiled and invalid ballots, the settings.

Pure: no framework, no I/O. It reads what is stored and published (the `yishi tally` object of Vote.result or
of the minutes, Vote.result_detail, the vote's settings) and says what the result page, the projector and the
minutes show. Figures are exact integers (areas in hundredths of m²); percentages are rounded half up from
them and never decide anything. Texts are English msgids with their parameters: templates translate them.
What an explanation holds (checks, readings, sentences, percentages) is `explanation.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal, cast

from votes.explanation import (
    CHECK_KEYS,
    OUTCOME_TITLES,
    Check,
    CheckKey,
    Explanation,
    Message,
    Problems,
    Reading,
    ReadingKind,
    Status,
    Threshold,
    lazy,
    percent_against,
)
from votes.households import entity_choice
from votes.rules import DEVELOPER, Approval, Ballot, Flat, Measure, Outcome, entity_of_units, parse_area
from votes.settings import VoteSettings

# The settings a count depends on, each as (label, what it was) in plain words.
_SETTING_TEXTS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "spoiled_ballots": (
        lazy("Spoiled ballots (households)"),
        {"participate": lazy("Count as taking part, not agreeing"), "exclude": lazy("Do not count as taking part")},
    ),
    "silent_majority": (lazy("Silent-majority clause"), {"on": lazy("Applied"), "off": lazy("Not applied")}),
    "allow_change": (
        lazy("Changing a ballot"),
        {"on": lazy("Allowed until the close"), "off": lazy("A ballot is final once returned")},
    ),
    "conflict": (
        lazy("Co-owners without a designated voter"),
        {"first": lazy("The first ballot counts"), "spoil": lazy("Differing ballots spoil the household's ballot")},
    ),
    "parking": (
        lazy("Parking spaces"),
        {"include": lazy("Part of owners' votes"), "exclude": lazy("Not part of owners' votes")},
    ),
}

# The plain sentence: the verdict ("Passed."), then the figures and the reasons, which name the failed checks.
_PASSED: Final[dict[tuple[Approval, bool], str]] = {
    ("3/4", False): lazy(
        "%(part)s of %(total)s households took part (%(part_area)s of the area); of them %(agree)s agreed "
        "(%(agree_area)s of the area), reaching 3/4."
    ),
    (">1/2", False): lazy(
        "%(part)s of %(total)s households took part (%(part_area)s of the area); of them %(agree)s agreed "
        "(%(agree_area)s of the area), more than half."
    ),
    ("3/4", True): lazy(
        "%(part)s of %(total)s households are counted as taking part (%(part_area)s of the area); of them "
        "%(agree)s are counted as agreeing (%(agree_area)s of the area), reaching 3/4."
    ),
    (">1/2", True): lazy(
        "%(part)s of %(total)s households are counted as taking part (%(part_area)s of the area); of them "
        "%(agree)s are counted as agreeing (%(agree_area)s of the area), more than half."
    ),
}
_REJECTED: Final[dict[bool, str]] = {
    False: lazy(
        "%(part)s of %(total)s households took part (%(part_area)s of the area); of them %(agree)s agreed "
        "(%(agree_area)s of the area)."
    ),
    True: lazy(
        "%(part)s of %(total)s households are counted as taking part (%(part_area)s of the area); of them "
        "%(agree)s are counted as agreeing (%(agree_area)s of the area)."
    ),
}
_NOT_AGREED: Final[dict[tuple[Approval, bool, bool], str]] = {
    # (approval, headcount failed, area failed)
    ("3/4", True, False): lazy("Agreeing households did not reach 3/4."),
    ("3/4", False, True): lazy("The agreeing households hold less than 3/4 of the floor area that took part."),
    ("3/4", True, True): lazy("Neither the agreeing households nor their floor area reached 3/4."),
    (">1/2", True, False): lazy("Agreeing households were not more than half."),
    (">1/2", False, True): lazy("The agreeing households hold no more than half of the floor area that took part."),
    (">1/2", True, True): lazy("Neither the agreeing households nor their floor area were more than half."),
}
_NO_QUORUM: Final[dict[tuple[bool, bool], str]] = {
    # (headcount failed, area failed)
    (True, False): lazy("fewer than two thirds of the households took part."),
    (False, True): lazy("the households that took part hold less than two thirds of the floor area."),
    (True, True): lazy(
        "fewer than two thirds of the households took part, and they hold less than two thirds of the floor area."
    ),
}
_TOOK_PART: Final[dict[bool, str]] = {
    False: lazy("%(part)s of %(total)s households took part (%(part_area)s of the area)."),
    True: lazy("%(part)s of %(total)s households are counted as taking part (%(part_area)s of the area)."),
}
_NOBODY_ADDED: Final = lazy(
    "Those who voted had no majority on both headcount and floor area, so no silent owner was added: the adjusted "
    "result is the same as the strict one."
)
_ADDED: Final[dict[str, str]] = {
    "agree": lazy(
        "%(n)s households that were served the ballot with a warning and did not vote are counted as agreeing, "
        "with the majority of those who voted."
    ),
    "oppose": lazy(
        "%(n)s households that were served the ballot with a warning and did not vote are counted as opposing, "
        "with the majority of those who voted."
    ),
}



def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _measure(value: object) -> Measure:
    """A stored {"headcount": 3, "area": "260.00"}; missing or malformed parts read as zero."""
    if not isinstance(value, Mapping):
        return Measure(0, 0)
    area = value.get("area")
    try:
        hundredths = parse_area(area) if isinstance(area, str) else _int(area)
    except ValueError:
        hundredths = 0
    return Measure(_int(value.get("headcount")), hundredths)


def _optional_measure(value: object) -> Measure | None:
    return _measure(value) if isinstance(value, Mapping) else None


def _checks(
    stored: Mapping[str, object], approval: Approval, totals: Measure, participating: Measure, agreeing: Measure
) -> tuple[Check, ...]:
    flags = stored.get("checks")
    flags = flags if isinstance(flags, Mapping) else {}
    met = {key: flags.get(key) is True for key in CHECK_KEYS}
    took_part = met["participation_headcount"] and met["participation_area"]
    approval_threshold: Threshold = "3/4" if approval == "3/4" else ">1/2"
    figures: dict[CheckKey, tuple[int, int, bool, Threshold]] = {
        "participation_headcount": (participating.headcount, totals.headcount, False, "2/3"),
        "participation_area": (participating.area, totals.area, True, "2/3"),
        "approval_headcount": (agreeing.headcount, participating.headcount, False, approval_threshold),
        "approval_area": (agreeing.area, participating.area, True, approval_threshold),
    }
    checks = []
    for key in CHECK_KEYS:
        part, whole, by_area, threshold = figures[key]
        status: Status = "met" if met[key] else "not_met"
        if key.startswith("approval") and not took_part:
            status = "not_reached"  # never judged (and never green) when participation failed
        checks.append(Check(key, part, whole, by_area, threshold, status, percent_against(part, whole, threshold, met[key])))
    return tuple(checks)


def _sentences(outcome: Outcome, approval: Approval, adjusted: bool, checks: Sequence[Check], totals: Measure,
               participating: Measure, agreeing: Measure) -> tuple[Message, ...]:
    by_key = {check.key: check for check in checks}
    figures = (
        ("part", str(participating.headcount)),
        ("total", str(totals.headcount)),
        ("part_area", by_key["participation_area"].percent),
        ("agree", str(agreeing.headcount)),
        ("agree_area", by_key["approval_area"].percent),
    )
    if outcome == "passed":
        return (Message(_PASSED[(approval, adjusted)], figures),)
    if outcome == "rejected":
        headcount = by_key["approval_headcount"].status == "not_met"
        area = by_key["approval_area"].status == "not_met"
        reason = _NOT_AGREED.get((approval, headcount, area))
        return (Message(_REJECTED[adjusted], figures),) + ((Message(reason),) if reason else ())
    headcount = by_key["participation_headcount"].status == "not_met"
    area = by_key["participation_area"].status == "not_met"
    reason = _NO_QUORUM.get((headcount, area), _NO_QUORUM[(True, True)])
    return (Message(reason), Message(_TOOK_PART[adjusted], figures[:3]))


def _reading(kind: ReadingKind, stored: Mapping[str, object], opposing: Measure | None,
             abstaining: Measure | None) -> Reading:
    outcome_value = stored.get("outcome")
    outcome = cast(Outcome, outcome_value if outcome_value in OUTCOME_TITLES else "no_quorum")
    thresholds = stored.get("thresholds")
    approval_value = thresholds.get("approval") if isinstance(thresholds, Mapping) else None
    approval: Approval = "3/4" if approval_value == "3/4" else ">1/2"
    totals = _measure(stored.get("totals"))
    participating = _measure(stored.get("participating"))
    agreeing = _measure(stored.get("agreeing"))
    checks = _checks(stored, approval, totals, participating, agreeing)
    sentences = _sentences(outcome, approval, kind == "adjusted", checks, totals, participating, agreeing)
    return Reading(kind, outcome, approval, totals, participating, agreeing, opposing, abstaining, checks, sentences)


def _counts(value: object, reasons: Iterable[str]) -> tuple[tuple[str, int], ...]:
    found = value if isinstance(value, Mapping) else {}
    counts = ((reason, _int(found.get(reason))) for reason in reasons)
    return tuple((reason, n) for reason, n in counts if n > 0)


def _problems(
    recorded: object, kind: Literal["spoiled", "invalid"], reasons: Iterable[str], fallback_total: int | None
) -> Problems:
    """Counts by reason from result_detail["ballot_problems"][kind]; else the total the result itself gives."""
    if isinstance(recorded, Mapping) and isinstance(recorded.get(kind), Mapping):
        counted = _counts(recorded.get(kind), reasons)
        return Problems(kind, sum(n for _reason, n in counted), counted)
    if fallback_total is None:
        return Problems(kind, None, ())
    return Problems(kind, fallback_total, (("unrecorded", fallback_total),) if fallback_total else ())


def _settings(settings: VoteSettings) -> tuple[tuple[str, str], ...]:
    chosen = {
        "spoiled_ballots": settings.spoiled_ballots,
        "silent_majority": "on" if settings.silent_majority else "off",
        "allow_change": "on" if settings.allow_change else "off",
        "conflict": settings.conflict,
        "parking": settings.parking,
    }
    return tuple((label, values[chosen[name]]) for name, (label, values) in _SETTING_TEXTS.items())


def explain(
    result: Mapping[str, object], detail: Mapping[str, object] | None, settings: VoteSettings
) -> Explanation:
    """The explanation of a stored owners' result (`yishi tally` shape), its detail and the vote's settings.

    Under the silent-majority clause the adjusted result stands and the strict one is shown beside it,
    as the projects' notices decide (votes.projects.rounds.vote_outcome).
    """
    detail = detail or {}
    opposing = _optional_measure(detail.get("opposing"))
    abstaining = _optional_measure(detail.get("abstaining"))
    adjusted_stored = result.get("adjusted")
    silent = isinstance(adjusted_stored, Mapping)
    strict = _reading("strict" if silent else "result", result, opposing, abstaining)
    adjusted: Reading | None = None
    notes: tuple[Message, ...] = ()
    if isinstance(adjusted_stored, Mapping):
        adjusted = _reading("adjusted", adjusted_stored, _optional_measure(detail.get("adjusted_opposing")), abstaining)
        added = adjusted.participating.headcount - strict.participating.headcount
        if added <= 0:
            notes = (Message(_NOBODY_ADDED),)
        else:
            side = "agree" if adjusted.agreeing.headcount > strict.agreeing.headcount else "oppose"
            notes = (Message(_ADDED[side], (("n", str(added)),)),)

    spoiled_participate = settings.spoiled_ballots == "participate"
    derived_spoiled: int | None = None
    if spoiled_participate and opposing is not None and abstaining is not None:
        derived_spoiled = max(
            0,
            strict.participating.headcount - strict.agreeing.headcount - opposing.headcount - abstaining.headcount,
        )
    recorded = detail.get("ballot_problems")
    return Explanation(
        strict=strict,
        adjusted=adjusted,
        spoiled=_problems(recorded, "spoiled", ("differed", "unreadable"), derived_spoiled),
        spoiled_participate=spoiled_participate,
        invalid=_problems(recorded, "invalid", ("not_owner", "not_designated", "outside"),
                          _int(result.get("invalid_ballots"))),
        settings=_settings(settings),
        notes=notes,
    )


def ballot_problems(
    flats: Sequence[Flat],
    ballots: Sequence[Ballot],
    differed_units: frozenset[str] = frozenset(),
) -> dict[str, dict[str, int]]:
    """Why ballots did not count as a plain choice, for result_detail["ballot_problems"].

    invalid (ballots): the unit is outside the electorate; a voter other than the designated one; not an owner.
    spoiled (voting entities): the household's choice by `votes.households.entity_choice` — valid ballots that
    differ spoil it ("differed"; under the "first" rule only one is ever stored). A spoiled choice is also
    "differed" when its unit is in `differed_units` (a ballot the paper desk marked spoiled because the same
    owner's ballots differed), else an unreadable ballot ("unreadable").
    """
    entity_of_unit, flat_of_unit = entity_of_units(flats)
    invalid = {"not_owner": 0, "not_designated": 0, "outside": 0}
    valid: dict[int, list[Ballot]] = {}
    for ballot in ballots:
        flat = flat_of_unit.get(ballot.unit)
        if flat is None:
            invalid["outside"] += 1
            continue
        if flat.designated_voter is not None:
            if ballot.voter != flat.designated_voter:
                invalid["not_designated"] += 1
                continue
        elif not (ballot.voter in flat.owners or (flat.developer_unsold and ballot.voter == DEVELOPER)):
            invalid["not_owner"] += 1
            continue
        valid.setdefault(entity_of_unit[ballot.unit], []).append(ballot)
    spoiled = {"differed": 0, "unreadable": 0}
    for entity_ballots in valid.values():
        # The household rule every count uses (votes.households): differing ballots spoil the entity.
        if entity_choice(ballot.choice for ballot in entity_ballots) != "spoiled":
            continue
        differed = len({ballot.choice for ballot in entity_ballots}) > 1 or any(
            ballot.unit in differed_units for ballot in entity_ballots if ballot.choice == "spoiled"
        )
        spoiled["differed" if differed else "unreadable"] += 1
    return {"spoiled": spoiled, "invalid": invalid}
