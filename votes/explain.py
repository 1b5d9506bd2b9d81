"""An owners' result in plain words: one sentence, the four checks, spoiled and invalid ballots, the settings.

Pure: no framework, no I/O. It reads what is stored and published (the `yishi tally` object of Vote.result or
of the minutes, Vote.result_detail, the vote's settings) and says what the result page, the projector and the
minutes show. Figures are exact integers (areas in hundredths of m²); percentages are rounded half up from
them and never decide anything. Texts are English msgids with their parameters: templates translate them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal, cast

from votes.households import entity_choice
from votes.rules import DEVELOPER, Approval, Ballot, Flat, Measure, Outcome, parse_area, voting_entities
from votes.settings import VoteSettings


def lazy(message: str) -> str:
    """Marks a msgid for extraction (as community.i18n.lazy does) without importing the framework."""
    return message


Status = Literal["met", "not_met", "not_reached"]
Threshold = Literal["2/3", "3/4", ">1/2"]
CheckKey = Literal["participation_headcount", "participation_area", "approval_headcount", "approval_area"]
ReadingKind = Literal["result", "strict", "adjusted"]

CHECK_KEYS: Final[tuple[CheckKey, ...]] = (
    "participation_headcount",
    "participation_area",
    "approval_headcount",
    "approval_area",
)
_RATIO: Final[dict[Threshold, Fraction]] = {"2/3": Fraction(2, 3), "3/4": Fraction(3, 4), ">1/2": Fraction(1, 2)}
_MAX_DECIMALS: Final = 12

CHECK_LABELS: Final[dict[CheckKey, str]] = {
    "participation_headcount": lazy("Households taking part"),
    "participation_area": lazy("Floor area taking part"),
    "approval_headcount": lazy("Households agreeing, of those taking part"),
    "approval_area": lazy("Floor area agreeing, of the area taking part"),
}
STATUS_LABELS: Final[dict[Status, str]] = {
    "met": lazy("met"),
    "not_met": lazy("not met"),
    "not_reached": lazy("not reached (not judged)"),
}
STATUS_ICONS: Final[dict[Status, str]] = {"met": "✓", "not_met": "✗", "not_reached": "–"}
OUTCOME_TITLES: Final[dict[str, str]] = {
    "passed": lazy("Passed"),
    "rejected": lazy("Rejected"),
    "no_quorum": lazy("No valid decision"),
}
READING_HEADINGS: Final[dict[ReadingKind, str]] = {
    "result": lazy("Result"),
    "strict": lazy("Strict result"),
    "adjusted": lazy("Adjusted result (silent-majority clause)"),
}
SPOILED_REASONS: Final[dict[str, str]] = {
    "differed": lazy("the household's ballots differed"),
    "unreadable": lazy("ballot unreadable"),
    "unrecorded": lazy("reason not recorded"),
}
INVALID_REASONS: Final[dict[str, str]] = {
    "not_owner": lazy("not an owner of the unit"),
    "not_designated": lazy("not the designated voter"),
    "outside": lazy("outside the electorate"),
    "unrecorded": lazy("reason not recorded"),
}
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
VERDICTS: Final[dict[str, str]] = {
    "passed": lazy("Passed."),
    "rejected": lazy("Rejected."),
    "no_quorum": lazy("No valid decision:"),
}
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
_STANDS: Final = lazy("This is the result that stands: the vote applied the silent-majority clause.")
_FOR_COMPARISON: Final = lazy("Published for comparison; the adjusted result stands.")
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


@dataclass(frozen=True, slots=True)
class Message:
    """One sentence to translate: an English msgid and its %-parameters (already formatted)."""

    text: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)


def percent(part: int, whole: int, decimals: int = 1) -> str:
    """part/whole as a percentage rounded half up from the integers, e.g. (18, 26) -> "69.2%"; "—" if whole <= 0."""
    if whole <= 0:
        return "—"
    scale = 10 ** (decimals + 2)
    scaled = (2 * part * scale + whole) // (2 * whole)
    whole_part, fraction = divmod(scaled, 10**decimals)
    return f"{whole_part}.{fraction:0{decimals}d}%" if decimals else f"{whole_part}%"


def percent_against(part: int, whole: int, threshold: Threshold, met: bool) -> str:
    """One decimal, or as many more as it takes for the shown figure to fall on the same side of the threshold
    as the exact one: 6666/10000 under ≥ 2/3 shows "66.66%", never "66.7%" next to "not met"."""
    if whole <= 0:
        return "—"
    ratio = _RATIO[threshold]
    for decimals in range(1, _MAX_DECIMALS + 1):
        scale = 10 ** (decimals + 2)
        shown = Fraction((2 * part * scale + whole) // (2 * whole), scale)
        looks_met = shown > ratio if threshold == ">1/2" else shown >= ratio
        if looks_met == met:
            return percent(part, whole, decimals)
    return percent(part, whole, _MAX_DECIMALS)


@dataclass(frozen=True, slots=True)
class Check:
    """One of the four Art. 278 checks: `part` of `whole` (entities, or hundredths of m²) against `threshold`."""

    key: CheckKey
    part: int
    whole: int
    by_area: bool
    threshold: Threshold
    status: Status
    percent: str

    @property
    def label(self) -> str:
        return CHECK_LABELS[self.key]

    @property
    def fraction(self) -> str:
        """The exact fraction, e.g. "18/26" (areas in m² with two decimals, e.g. "712.00/1000.00")."""
        if self.by_area:
            return f"{_area(self.part)}/{_area(self.whole)}"
        return f"{self.part}/{self.whole}"

    @property
    def sign(self) -> str:
        return ">" if self.threshold == ">1/2" else "≥"

    @property
    def ratio(self) -> str:
        return self.threshold.lstrip(">")

    @property
    def needed(self) -> str:
        return f"{self.sign} {self.ratio}"

    @property
    def met(self) -> bool:
        return self.status == "met"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.status]


@dataclass(frozen=True, slots=True)
class Reading:
    """One judged result explained: the strict one, or the silent-majority adjusted one, or the only one."""

    kind: ReadingKind
    outcome: Outcome
    approval: Approval
    totals: Measure
    participating: Measure
    agreeing: Measure
    opposing: Measure | None
    abstaining: Measure | None
    checks: tuple[Check, ...]
    sentences: tuple[Message, ...]  # after the verdict

    @property
    def heading(self) -> str:
        return READING_HEADINGS[self.kind]

    @property
    def title(self) -> str:
        return OUTCOME_TITLES[self.outcome]

    @property
    def verdict(self) -> Message:
        """The sentence's first words ("Passed."), shown in bold before `sentences`."""
        return Message(VERDICTS[self.outcome])

    @property
    def messages(self) -> tuple[Message, ...]:
        """The whole plain sentence: the verdict, then the figures and reasons."""
        return (self.verdict, *self.sentences)

    @property
    def failed(self) -> tuple[CheckKey, ...]:
        """The checks that were judged and not met (approval checks are not judged without participation)."""
        return tuple(check.key for check in self.checks if check.status == "not_met")

    @property
    def not_reached(self) -> bool:
        return any(check.status == "not_reached" for check in self.checks)


@dataclass(frozen=True, slots=True)
class Problems:
    """Spoiled (households) or invalid (ballots): how many, and why where that was recorded."""

    kind: Literal["spoiled", "invalid"]
    total: int | None  # None: not known (an older result kept no count of them)
    reasons: tuple[tuple[str, int], ...]  # (reason key, count), only those with a count

    @property
    def known(self) -> bool:
        return self.total is not None

    @property
    def lines(self) -> tuple[tuple[str, int], ...]:
        """(reason msgid, count) for each reason."""
        labels = SPOILED_REASONS if self.kind == "spoiled" else INVALID_REASONS
        return tuple((labels[reason], n) for reason, n in self.reasons)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything the result page, the projector and the minutes say about an owners' result."""

    strict: Reading
    adjusted: Reading | None
    spoiled: Problems
    spoiled_participate: bool
    invalid: Problems
    settings: tuple[tuple[str, str], ...]  # (label msgid, value msgid)
    notes: tuple[Message, ...]  # the silent-majority clause: whom it added, which result stands

    @property
    def standing(self) -> Reading:
        """The result that stands: the adjusted one whenever the vote applied the silent-majority clause."""
        return self.adjusted if self.adjusted is not None else self.strict

    @property
    def readings(self) -> tuple[Reading, ...]:
        """The standing result first, then (under the silent-majority clause) the strict one for comparison."""
        return (self.standing,) if self.adjusted is None else (self.adjusted, self.strict)

    @property
    def stands_note(self) -> Message | None:
        return None if self.adjusted is None else Message(_STANDS)

    @property
    def comparison_note(self) -> Message | None:
        return None if self.adjusted is None else Message(_FOR_COMPARISON)


def _area(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


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
    entity_of_unit: dict[str, int] = {}
    for index, entity in enumerate(voting_entities(flats)):
        for unit in entity.units:
            entity_of_unit[unit] = index
    flat_of_unit = {flat.unit: flat for flat in flats}
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
