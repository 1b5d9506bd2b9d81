"""Canvassing (扫楼) an open owners' vote, and reminders to those who have not voted. Pure.

Staff knocking on doors note a status per flat; whether a flat has voted is never noted by staff: it is read
from the ballots, and a flat that has voted stays voted whatever staff noted before. Nobody's choice is ever
used here. The "who to visit first" order says which non-voting voting entities close the gap to the Art. 278
participation thresholds soonest (docs/rules.md, "Canvassing").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from community.i18n import lazy
from community.safetext import form_date
from votes.rules import Measure

# Set by staff; the first is what a flat shows before anyone noted anything.
STAFF_STATUSES: Final[dict[str, str]] = {
    "not_contacted": lazy("Not contacted"),
    "contacted": lazy("Contacted"),
    "promised": lazy("Promised to vote"),
    "refused": lazy("Refused"),
    "unreachable": lazy("Cannot be reached"),
    "vacant": lazy("Vacant or abroad"),
}
# Set by the system from the ballots, never by staff.
VOTED_STATUSES: Final[dict[str, str]] = {
    "voted_online": lazy("Voted online"),
    "voted_paper": lazy("Voted on paper"),
}
STATUS_LABELS: Final[dict[str, str]] = {**STAFF_STATUSES, **VOTED_STATUSES}
NOTE_MAX: Final = 300

# The texts a reminder may carry; %(title)s and %(closes)s are filled in the reader's language.
TEMPLATES: Final[dict[str, str]] = {
    "friendly": lazy("Your neighbours are voting on \"%(title)s\" until %(closes)s. Your flat has not voted yet: "
                     "every flat counts towards the two thirds."),
    "closing": lazy("The vote on \"%(title)s\" closes on %(closes)s and your flat has not voted yet. "
                    "Please vote online or return your paper ballot before then."),
    "help": lazy("Not sure how to vote on \"%(title)s\"? Staff can help you vote online or bring you a paper "
                 "ballot. The vote closes on %(closes)s."),
}
METHODS: Final[dict[str, str]] = {
    "in_app": lazy("In-app notice"),
    "slip": lazy("Printed slip"),
}


def shown_status(staff_status: str | None, voted_channel: str | None) -> str:
    """What the tracker shows for a flat: voted (online or on paper) from the ballots, whatever staff noted;
    otherwise the staff status, or "not contacted"."""
    if voted_channel is not None:
        return "voted_online" if voted_channel == "online" else "voted_paper"
    return staff_status if staff_status in STAFF_STATUSES else "not_contacted"


def voted_channel(channels: Iterable[str]) -> str | None:
    """The channel a voting entity voted by, from its ballots' channels: online if any ballot came online,
    paper for paper or meeting ballots, None without a ballot."""
    seen = set(channels)
    if not seen:
        return None
    return "online" if "online" in seen else "paper"


def parse_visit_date(text: str) -> date | None:
    """A yyyy-mm-dd date; ValueError if it is not one."""
    if not text.strip():
        return None
    day = form_date(text)
    if day is None:
        raise ValueError(text)
    return day


def status_errors(status: str, note: str, next_visit: str, today: date) -> dict[str, str]:
    """{field: English msgid} for what staff noted about one flat; {} when it may be stored."""
    errors: dict[str, str] = {}
    if status in VOTED_STATUSES:
        errors["status"] = lazy("Whether a flat has voted comes from the ballots; it cannot be set by hand.")
    elif status not in STAFF_STATUSES:
        errors["status"] = lazy("Choose one of the statuses.")
    if len(note) > NOTE_MAX:
        errors["note"] = lazy("The note can have at most 300 characters.")
    try:
        visit = parse_visit_date(next_visit)
    except ValueError:
        errors["next_visit"] = lazy("Enter the next visit as a date, e.g. 2026-12-24.")
    else:
        if visit is not None and visit < today:
            errors["next_visit"] = lazy("The next visit cannot be before today.")
    return errors


@dataclass(frozen=True, slots=True)
class Candidate:
    """A voting entity that has not voted: its id, its area (hundredths of m²) and its place in the electorate."""

    entity: int
    area: int
    position: int


@dataclass(frozen=True, slots=True)
class Visit:
    """One entry of the order; `closes_gap`: visiting this one and every one before it would reach both
    participation thresholds (if they all voted)."""

    candidate: Candidate
    rank: int
    closes_gap: bool


@dataclass(frozen=True, slots=True)
class VisitPlan:
    visits: tuple[Visit, ...]
    by_area: bool  # area is short: largest area first
    needed: int | None  # how many of them at least must vote to reach both thresholds; None: not reachable


def visit_order(candidates: Sequence[Candidate], missing: Measure) -> VisitPlan:
    """Who to visit first. Where area is still short, largest area first (ties in electorate order), which
    closes the area gap with the fewest doors; otherwise any non-voter will do, in electorate order."""
    by_area = missing.area > 0
    if by_area:
        ordered = sorted(candidates, key=lambda c: (-c.area, c.position, c.entity))
    else:
        ordered = sorted(candidates, key=lambda c: (c.position, c.entity))
    needed = needed_visits(((c.area, 1) for c in ordered), missing)
    visits = tuple(
        Visit(candidate, rank, needed is not None and rank <= needed) for rank, candidate in enumerate(ordered, start=1)
    )
    return VisitPlan(visits, by_area, needed)


def needed_visits(areas: Iterable[tuple[int, int]], missing: Measure) -> int | None:
    """The smallest number of the first visits whose votes reach both the headcount and the area still missing:
    0 once both are reached, None if even all of them would not. `areas`: (area, how many entities have it) in
    visiting order, so largest first when area is short (a vote over 100,000 flats sends them counted per area)."""
    if missing.headcount <= 0 and missing.area <= 0:
        return 0
    reach: int | None = 1 if missing.area <= 0 else None  # visits that reach the area
    count = area_sum = 0
    for area, entities in areas:
        if reach is None and area_sum + area * entities >= missing.area:
            reach = count + -(-(missing.area - area_sum) // area)  # area > 0 here: the sum grew past what was short
        count += entities
        area_sum += area * entities
    if reach is None or max(missing.headcount, reach) > count:
        return None
    return max(missing.headcount, reach)


@dataclass(frozen=True, slots=True)
class ReminderTarget:
    """A flat a reminder goes to: by an in-app notice to these accounts, or (none) by a printed slip."""

    flat: int
    accounts: tuple[int, ...]

    @property
    def method(self) -> str:
        return "in_app" if self.accounts else "slip"


def reminder_targets(flats: Sequence[tuple[int, tuple[int, ...]]], voted: frozenset[int],
                     reminded_today: frozenset[int]) -> list[ReminderTarget]:  # fmt: skip
    """Of (flat, its owners' accounts), the flats a reminder goes to now: never one that has voted, at most one
    reminder a day per flat."""
    return [ReminderTarget(flat, tuple(sorted(set(accounts)))) for flat, accounts in flats
            if flat not in voted and flat not in reminded_today]  # fmt: skip


def template_errors(template: str) -> dict[str, str]:
    return {} if template in TEMPLATES else {"template": lazy("Choose the text of the reminder.")}
