"""The figures of residents' concerns (民情台账), pure: per community and month, the heat table of buildings ×
kinds, median first-response hours, the rates, and the street's ranking of its communities.

Every rate is a whole-number fraction (numerator, denominator) over the concerns *opened* in the month, judged
as things stand at `now`; a rate with nothing to count has denominator 0 and is shown as "—".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction

from deliberation.concerns.core import GOOD_RATINGS, KINDS, PRIVATE_KINDS, Settings

COMMON_AREA = ""  # the heat table's row for concerns about a common area (no building)


@dataclass(frozen=True)
class Facts:
    """One concern as the figures see it: no text, no reporter."""

    id: int
    kind: str
    channel: str
    building: str  # the building's name, "" for a common area
    status: str
    opened_at: datetime
    first_response_at: datetime | None = None
    first_answer_at: datetime | None = None
    answered_at: datetime | None = None  # the latest answer
    due_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    rating: str = ""  # the latest rating
    escalated: bool = False


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def percent(self) -> str:
        """Rounded half up to a whole percent; "—" when there is nothing to count."""
        if not self.denominator:
            return "—"
        return f"{(200 * self.numerator + self.denominator) // (2 * self.denominator)}%"

    def as_json(self) -> list[int]:
        return [self.numerator, self.denominator]


@dataclass(frozen=True)
class Heat:
    """Buildings × kinds: `rows` are building names ("" = common areas), `cells[(row, kind)]` counts."""

    rows: tuple[str, ...]
    kinds: tuple[str, ...]
    cells: dict[tuple[str, str], int]

    def count(self, row: str, kind: str) -> int:
        return self.cells.get((row, kind), 0)

    @property
    def peak(self) -> int:
        return max(self.cells.values(), default=0)


@dataclass(frozen=True)
class MonthFigures:
    year: int
    month: int
    received: int
    by_kind: tuple[tuple[str, int], ...]
    by_channel: tuple[tuple[str, int], ...]
    by_day: tuple[int, ...]  # concerns received on each day of the month
    median_first_response_minutes: int | None
    answered_on_time: Rate  # first answer on or before the due date
    first_handling: Rate  # closed without ever being reopened (一次调解到位率)
    satisfaction: Rate  # latest rating satisfied or basically satisfied ÷ rated (满意率)
    response: Rate  # first response within the red limit (响应率)
    resolution: Rate  # closed on a good rating ÷ answered (解决率)
    on_time_closure: Rate  # closed, its closing answer on or before the due date (按时办结率)
    open_now: int
    overdue: int
    escalated: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def median_first_response_hours(self) -> str:
        """One decimal, "—" when nobody has been answered yet."""
        return hours_text(self.median_first_response_minutes)


def hours_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    tenths = (minutes + 3) // 6  # to the nearest tenth of an hour, halves up
    return f"{tenths // 10}.{tenths % 10}"


def month_bounds(year: int, month: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in `zone`."""
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def parse_month(text: str) -> tuple[int, int] | None:
    """(year, month) from "YYYY-MM"; None for anything else."""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isascii() or not (text[:4] + text[5:]).isdigit():
        return None
    year, month = int(text[:4]), int(text[5:])
    return (year, month) if 2000 <= year <= 2999 and 1 <= month <= 12 else None


def month_of(moment: datetime, zone: tzinfo) -> tuple[int, int]:
    local = moment.astimezone(zone)
    return local.year, local.month


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def median_minutes(values: Iterable[int]) -> int | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) // 2


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _by(moment: datetime | None, due: datetime | None) -> bool:
    """Something happened, on or before the due moment."""
    return moment is not None and due is not None and moment <= due


def _past(due: datetime | None, now: datetime) -> bool:
    return due is not None and now >= due


def month_figures(facts: Sequence[Facts], year: int, month: int, zone: tzinfo, settings: Settings,
                  now: datetime) -> MonthFigures:  # fmt: skip
    """Figures of the concerns opened in this month (of one community or several)."""
    start, end = month_bounds(year, month, zone)
    # In UTC, like the stored times: comparing datetimes of one time zone skips a conversion per comparison.
    first, after = start.astimezone(UTC), end.astimezone(UTC)
    cohort = [f for f in facts if first <= f.opened_at < after]
    limit = timedelta(hours=settings.red_hours)
    days = (end - start).days
    by_day = [0] * days
    for f in cohort:
        by_day[f.opened_at.astimezone(zone).day - 1] += 1

    responded = [f for f in cohort if f.first_response_at is not None]
    due = [f for f in cohort if f.due_at is not None]
    answered_due = [f for f in due if f.first_answer_at is not None or _past(f.due_at, now)]
    closed = [f for f in cohort if f.status == "closed"]
    closed_due = [f for f in due if f.status == "closed" or _past(f.due_at, now)]
    rated = [f for f in cohort if f.rating]
    window_over = [f for f in cohort if f.first_response_at is not None or now - f.opened_at >= limit]
    return MonthFigures(
        year=year,
        month=month,
        received=len(cohort),
        by_kind=tuple(sorted(Counter(f.kind for f in cohort).items(), key=_kind_order)),
        by_channel=tuple(sorted(Counter(f.channel for f in cohort).items(), key=lambda kv: (-kv[1], kv[0]))),
        by_day=tuple(by_day),
        median_first_response_minutes=median_minutes(
            _minutes(f.first_response_at - f.opened_at) for f in responded if f.first_response_at is not None
        ),
        answered_on_time=Rate(
            sum(1 for f in answered_due if _by(f.first_answer_at, f.due_at)),
            len(answered_due),
        ),
        first_handling=Rate(sum(1 for f in closed if f.reopen_count == 0), len(closed)),
        satisfaction=Rate(sum(1 for f in rated if f.rating in GOOD_RATINGS), len(rated)),
        response=Rate(
            sum(1 for f in window_over if f.first_response_at is not None and f.first_response_at - f.opened_at <= limit),
            len(window_over),
        ),
        resolution=Rate(
            sum(1 for f in cohort if f.status == "closed" and f.rating in GOOD_RATINGS),
            sum(1 for f in cohort if f.first_answer_at is not None),
        ),
        on_time_closure=Rate(
            sum(1 for f in closed_due if f.status == "closed" and _by(f.answered_at, f.due_at)),
            len(closed_due),
        ),
        open_now=sum(1 for f in cohort if f.status not in ("answered", "closed")),
        overdue=sum(1 for f in cohort if f.status not in ("answered", "closed") and _past(f.due_at, now)),
        escalated=sum(1 for f in cohort if f.escalated),
    )


def _kind_order(item: tuple[str, int]) -> tuple[int, int]:
    order = list(KINDS)
    return (-item[1], order.index(item[0]) if item[0] in order else len(order))


def heat_table(facts: Iterable[Facts], building_order: Sequence[str], include_private: bool) -> Heat:
    """Buildings × kinds. Without `include_private` (anything public), neighbour disputes are left out: they
    appear only as a count, never by building."""
    cells: Counter[tuple[str, str]] = Counter()
    for f in facts:
        if f.kind in PRIVATE_KINDS and not include_private:
            continue
        cells[(f.building, f.kind)] += 1
    present = {row for row, _kind in cells}
    rows = [b for b in building_order if b in present] + sorted(present - set(building_order) - {COMMON_AREA})
    if COMMON_AREA in present:
        rows.append(COMMON_AREA)
    kinds = tuple(k for k in KINDS if (include_private or k not in PRIVATE_KINDS))
    return Heat(tuple(rows), kinds, dict(cells))


# --- The street's ranking -------------------------------------------------------------------------------------

RANKED: tuple[str, ...] = ("response", "resolution", "satisfaction", "on_time_closure")


@dataclass(frozen=True)
class Ranked:
    slug: str
    name: str
    figures: MonthFigures
    ranks: dict[str, int]  # metric → place (1 is best); communities with nothing to count come last
    overall: int  # place by the sum of the four places

    def rate(self, metric: str) -> Rate:
        rate: Rate = getattr(self.figures, metric)
        return rate


def _places(values: Sequence[tuple[str, Fraction | None]]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by value, highest first; None after every value, sharing one place."""
    known = sorted((v for _s, v in values if v is not None), reverse=True)
    last = len(known) + 1
    return {slug: (known.index(v) + 1 if v is not None else last) for slug, v in values}


def ranking(communities: Sequence[tuple[str, str, MonthFigures]]) -> list[Ranked]:
    """Each community's place on each of the four rates and overall (the sum of places, then the name)."""
    ranks: dict[str, dict[str, int]] = {slug: {} for slug, _n, _f in communities}
    for metric in RANKED:
        places = _places([(slug, getattr(f, metric).value) for slug, _n, f in communities])
        for slug, place in places.items():
            ranks[slug][metric] = place
    order = sorted(communities, key=lambda c: (sum(ranks[c[0]].values()), c[1], c[0]))
    totals = [sum(ranks[c[0]].values()) for c in order]
    return [
        Ranked(slug, name, figures, ranks[slug], totals.index(sum(ranks[slug].values())) + 1)
        for slug, name, figures in order
    ]


def hot_topics(facts: Iterable[Facts], limit: int = 3) -> list[tuple[str, int]]:
    """The kinds most raised (neighbour disputes included: only their number is shown)."""
    counted = Counter(f.kind for f in facts)
    return sorted(counted.items(), key=_kind_order)[:limit]
