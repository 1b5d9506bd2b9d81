"""The building diagram: an elevation of a stairwell unit (floors × flats) with a progress bar per threshold.

Pure layout: the template draws it as SVG with words from the catalog. What each flat shows follows the vote's
settings: participation only where ballots are named, choices only where ballots are named and choices are
shown (live, or after the close); never a choice for secret ballots. Every state has its own pattern and
symbol as well as its colour, and the template adds a text alternative and a table with the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from community.i18n import lazy
from votes.disclosure import Viewer, shows_choices, shows_participation
from votes.participation import natural_key
from votes.settings import Disclosure

CellState = Literal["agree", "oppose", "abstain", "spoiled", "voted", "not_voted", "hidden", "not_open"]
CELL_STATES: Final[tuple[CellState, ...]] = (
    "agree", "oppose", "abstain", "spoiled", "voted", "not_voted", "hidden", "not_open",
)  # fmt: skip
SYMBOLS: Final[dict[str, str]] = {
    "agree": "✓",
    "oppose": "✗",
    "abstain": "−",
    "spoiled": "⊘",
    "voted": "✓",
    "not_voted": "○",
    "hidden": "·",
    "not_open": "",
}
CONSENT_SYMBOLS: Final[dict[str, str]] = {"given": "✓", "pending": "?", "refused": "✗"}
Mode = Literal["not_open", "hidden", "participation", "choices"]

STATE_LABELS: Final[dict[str, str]] = {
    "agree": lazy("Agreed"),
    "oppose": lazy("Opposed"),
    "abstain": lazy("Abstained"),
    "spoiled": lazy("Spoiled ballot"),
    "voted": lazy("Took part"),
    "not_voted": lazy("Not voted yet"),
    "hidden": lazy("Not shown: how each flat votes is not public"),
    "not_open": lazy("The vote has not opened yet"),
}
BAR_LABELS: Final[dict[str, str]] = {
    "participation_headcount": lazy("Taking part, by headcount"),
    "participation_area": lazy("Taking part, by floor area"),
    "approval_headcount": lazy("Agreeing, by headcount of those taking part"),
    "approval_area": lazy("Agreeing, by floor area of those taking part"),
}
BAR_SHORT: Final[dict[str, str]] = {
    "participation_headcount": lazy("Headcount taking part"),
    "participation_area": lazy("Floor area taking part"),
    "approval_headcount": lazy("Agreeing"),
    "approval_area": lazy("Area agreeing"),
}

CELL_WIDTH: Final = 128
CELL_HEIGHT: Final = 66
COMPACT_CELL_HEIGHT: Final = 40  # for a meeting's projector, where the diagram shares a column with the vote
GAP: Final = 10
FLOOR_LABEL_WIDTH: Final = 72
ROW_TALLY_WIDTH: Final = 84
BAR_WIDTH_MIN: Final = 400
BAR_HEIGHT: Final = 24
BAR_LABEL_HEIGHT: Final = 30
BAR_SPACING: Final = 16
TOP: Final = 12


@dataclass(frozen=True, slots=True)
class DiagramFlat:
    """A flat as the diagram may show it; `participated` None and `choice` None when they must not be shown."""

    unit: str  # "3-2-601"
    room: str  # "601"
    floor: int
    participated: bool | None = None
    choice: str | None = None
    consent: str | None = None  # pending / given / refused for a flat the works occupy; None otherwise


@dataclass(frozen=True, slots=True)
class Bar:
    """Progress toward one threshold; `missing` is what is still needed (entities, or hundredths of m²)."""

    key: str  # participation_headcount / participation_area / approval_headcount / approval_area
    part: int
    total: int
    threshold: Fraction
    strict: bool  # "more than half" (strictly above) rather than "at least"
    missing: int | None = None

    @property
    def reached(self) -> bool:
        if self.total <= 0:
            return False
        if self.strict:
            return self.part * self.threshold.denominator > self.threshold.numerator * self.total
        return self.part * self.threshold.denominator >= self.threshold.numerator * self.total

    @property
    def by_area(self) -> bool:
        return self.key.endswith("_area")

    @property
    def threshold_text(self) -> str:
        return f"{self.threshold.numerator}/{self.threshold.denominator}"


@dataclass(frozen=True, slots=True)
class Cell:
    """A flat's box, and where its room number, symbol and consent badge go."""

    x: int
    y: int
    flat: DiagramFlat
    state: CellState
    height: int = CELL_HEIGHT

    @property
    def room_at(self) -> tuple[int, int]:
        return self.x + 10, self.y + (27 if self.height >= CELL_HEIGHT else 28)

    @property
    def symbol_at(self) -> tuple[int, int]:
        if self.height >= CELL_HEIGHT:
            return self.x + CELL_WIDTH - 12, self.y + self.height - 12
        # Low boxes: the symbol sits beside the consent badge rather than under it.
        return self.x + CELL_WIDTH - (36 if self.flat.consent else 10), self.y + 30

    @property
    def badge_at(self) -> tuple[int, int]:
        return self.x + CELL_WIDTH - 16, self.y + (16 if self.height >= CELL_HEIGHT else 20)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.state]

    @property
    def consent_symbol(self) -> str:
        return CONSENT_SYMBOLS.get(self.flat.consent or "", "")


@dataclass(frozen=True, slots=True)
class Row:
    floor: int
    y: int
    flats: int
    voted: int | None  # None when participation is not shown


@dataclass(frozen=True, slots=True)
class PlacedBar:
    bar: Bar
    y: int
    fill: int  # filled width
    marker: int  # x offset of the threshold line


@dataclass(frozen=True, slots=True)
class Diagram:
    mode: Mode
    width: int
    height: int
    building_width: int
    building_height: int
    cells: tuple[Cell, ...]
    rows: tuple[Row, ...]
    bars: tuple[PlacedBar, ...]
    bar_x: int
    bar_width: int
    counts: dict[str, int]  # cell state → flats, for the text alternative and the legend
    consents: dict[str, int]  # consent state → occupied flats
    cell_height: int = CELL_HEIGHT

    @property
    def states(self) -> list[str]:
        """The states present, in legend order."""
        return [state for state in CELL_STATES if self.counts.get(state)]

    @property
    def floors(self) -> int:
        return len(self.rows)

    @property
    def flats(self) -> int:
        return len(self.cells)


def cell_state(flat: DiagramFlat, mode: Mode) -> CellState:
    if mode == "not_open":
        return "not_open"
    if mode == "hidden" or flat.participated is None:
        return "hidden"
    if mode == "choices" and flat.choice in ("agree", "oppose", "abstain", "spoiled"):
        return flat.choice  # type: ignore[return-value]
    return "voted" if flat.participated else "not_voted"


def build_diagram(flats: Iterable[DiagramFlat], bars: Sequence[Bar], mode: Mode, compact: bool = False) -> Diagram:
    """Lay out the flats top floor first, rooms left to right in natural order, bars underneath."""
    cell_height = COMPACT_CELL_HEIGHT if compact else CELL_HEIGHT
    chosen = list(flats)
    by_floor: dict[int, list[DiagramFlat]] = {}
    for flat in chosen:
        by_floor.setdefault(flat.floor, []).append(flat)
    floors = sorted(by_floor, reverse=True)
    columns = max((len(group) for group in by_floor.values()), default=0)
    building_width = columns * CELL_WIDTH + max(columns - 1, 0) * GAP
    cells: list[Cell] = []
    rows: list[Row] = []
    counts: dict[str, int] = {}
    consents: dict[str, int] = {}
    for index, floor in enumerate(floors):
        y = TOP + index * (cell_height + GAP)
        group = sorted(by_floor[floor], key=lambda f: natural_key(f.room or f.unit))
        voted = 0
        for position, flat in enumerate(group):
            state = cell_state(flat, mode)
            counts[state] = counts.get(state, 0) + 1
            if flat.consent:
                consents[flat.consent] = consents.get(flat.consent, 0) + 1
            if state not in ("not_voted", "hidden", "not_open"):
                voted += 1
            cells.append(Cell(FLOOR_LABEL_WIDTH + position * (CELL_WIDTH + GAP), y, flat, state, cell_height))
        shown = mode in ("participation", "choices") and all(f.participated is not None for f in group)
        rows.append(Row(floor, y, len(group), voted if shown else None))
    building_height = TOP + len(floors) * (cell_height + GAP)
    bar_width = max(BAR_WIDTH_MIN, building_width + ROW_TALLY_WIDTH)
    placed: list[PlacedBar] = []
    y = building_height + 20
    for bar in bars:
        fill = min(bar_width, bar.part * bar_width // bar.total) if bar.total > 0 else 0
        marker = bar.threshold.numerator * bar_width // bar.threshold.denominator
        placed.append(PlacedBar(bar, y + BAR_LABEL_HEIGHT, fill, marker))
        y += BAR_LABEL_HEIGHT + BAR_HEIGHT + BAR_SPACING
    width = FLOOR_LABEL_WIDTH + (max(building_width + ROW_TALLY_WIDTH, bar_width) if bars else building_width + ROW_TALLY_WIDTH) + 8
    return Diagram(
        mode=mode,
        width=width,
        height=y + 4,
        building_width=building_width,
        building_height=building_height,
        cells=tuple(cells),
        rows=tuple(rows),
        bars=tuple(placed),
        bar_x=FLOOR_LABEL_WIDTH,
        bar_width=bar_width,
        cell_height=cell_height,
        counts=counts,
        consents=consents,
    )


def choose_mode(vote_status: str | None, disclosure: Disclosure, viewer: Viewer) -> Mode:
    """What flats may show this viewer (votes.disclosure): nothing before the vote opens; choices only for an
    open vote after the close, to its owners and staff; who has voted only to staff; else nothing per flat."""
    if vote_status not in ("open", "closed"):
        return "not_open"
    if shows_choices(disclosure, vote_status, viewer):
        return "choices"
    if shows_participation(disclosure, vote_status, viewer):
        return "participation"
    return "hidden"


def visit_list(flats: Iterable[DiagramFlat]) -> list[tuple[int, list[DiagramFlat]]]:
    """Flats still to visit, by floor from the top: not voted yet, or an occupied flat without consent."""
    wanted: dict[int, list[DiagramFlat]] = {}
    for flat in flats:
        if flat.participated is False or (flat.consent is not None and flat.consent != "given"):
            wanted.setdefault(flat.floor, []).append(flat)
    return [
        (floor, sorted(group, key=lambda f: natural_key(f.room or f.unit)))
        for floor, group in sorted(wanted.items(), reverse=True)
    ]
