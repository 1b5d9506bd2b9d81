"""An owners' result explained, as pages show it: the four checks, each reading (strict, adjusted), spoiled and
invalid ballots, the sentences to translate, and percentages that never look on the wrong side of a threshold.

Pure: no framework, no I/O. `explain.py` builds these from what is stored. Texts are English msgids with their
parameters: templates translate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from votes.rules import Approval, Measure, Outcome


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
VERDICTS: Final[dict[str, str]] = {
    "passed": lazy("Passed."),
    "rejected": lazy("Rejected."),
    "no_quorum": lazy("No valid decision:"),
}
_STANDS: Final = lazy("This is the result that stands: the vote applied the silent-majority clause.")
_FOR_COMPARISON: Final = lazy("Published for comparison; the adjusted result stands.")


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

