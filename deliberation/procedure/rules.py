"""Pure rules of procedure: notice periods per kind of meeting, what a notice must state, when a session may
start, and when two meetings at one venue clash. Times are arguments; nothing here reads a clock or a table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from community.i18n import lazy

# Days between the day a notice is published and the day the meeting is held (the publication day is not
# counted, Civil Code Art. 201). Owners' meetings, regular or interim: at least 15 days (Property Management
# Regulations Art. 13). Other kinds have no period in law; a community may set its own.
NOTICE_DAYS_DEFAULTS: Final[dict[str, int]] = {
    "bench": 0,
    "coordination": 0,
    "hearing": 0,
    "owners": 15,
    "owners_interim": 15,
    "residents": 0,
    "evaluation": 0,
}
MAX_NOTICE_DAYS: Final = 90
START_GRACE_DEFAULT: Final = 15  # minutes a session may start before the noticed time
MAX_START_GRACE: Final = 240
# What people write when the place is not known yet; a notice must name a real place.
PLACEHOLDER_PLACES: Final = frozenset({
    "待定", "未定", "另行通知", "另定", "再定", "待通知", "tbd", "tba", "to be decided", "to be announced",
    "not decided yet", "-", "--", "—", "?", "？", "无", "none", "n/a",
})  # fmt: skip
# A meeting without an end time is taken to last this long when looking for clashes at its venue.
DEFAULT_LENGTH: Final = timedelta(hours=2)


@dataclass(frozen=True)
class Procedure:
    """A community's rules of procedure for meetings (its settings, with the defaults above)."""

    notice_days: Mapping[str, int] = field(default_factory=lambda: dict(NOTICE_DAYS_DEFAULTS))
    start_grace_minutes: int = START_GRACE_DEFAULT

    def days_for(self, kind: str) -> int:
        return int(self.notice_days.get(kind, NOTICE_DAYS_DEFAULTS.get(kind, 0)))


def _whole(raw: object, low: int, high: int) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        number = int(raw.strip())
    else:
        return None
    return number if low <= number <= high else None


def parse_procedure(data: Mapping[str, object]) -> tuple[Procedure, dict[str, str]]:
    """Settings from stored JSON ({"notice_days": {kind: n}, "start_grace_minutes": n}) or from a form
    ("notice_days_<kind>", "start_grace_minutes"); missing values take the defaults. (settings, field errors)."""
    stored = data.get("notice_days")
    days: dict[str, int] = {}
    errors: dict[str, str] = {}
    for kind, default in NOTICE_DAYS_DEFAULTS.items():
        raw = stored.get(kind) if isinstance(stored, Mapping) else data.get(f"notice_days_{kind}")
        if raw is None or raw == "":
            days[kind] = default
            continue
        number = _whole(raw, 0, MAX_NOTICE_DAYS)
        if number is None:
            errors[f"notice_days_{kind}"] = lazy("Enter a whole number of days from 0 to 90.")
            days[kind] = default
        else:
            days[kind] = number
    grace = START_GRACE_DEFAULT
    raw_grace = data.get("start_grace_minutes")
    if raw_grace is not None and raw_grace != "":
        number = _whole(raw_grace, 0, MAX_START_GRACE)
        if number is None:
            errors["start_grace_minutes"] = lazy("Enter a whole number of minutes from 0 to 240.")
        else:
            grace = number
    return Procedure(days, grace), errors


def procedure_to_json(procedure: Procedure) -> dict[str, object]:
    return {"notice_days": dict(procedure.notice_days), "start_grace_minutes": procedure.start_grace_minutes}


# --- The notice -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a notice cannot be published or a session cannot start: an English msgid and its values."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)


def is_placeholder_place(name: str) -> bool:
    return " ".join(name.split()).strip("。.").lower() in PLACEHOLDER_PLACES


def days_between(notice_at: datetime, starts_at: datetime, timezone: str) -> int:
    """Whole days from the notice's day to the meeting's day, in the community's time zone."""
    tz = ZoneInfo(timezone)
    return (starts_at.astimezone(tz).date() - notice_at.astimezone(tz).date()).days


@dataclass(frozen=True)
class NoticeFacts:
    kind: str
    starts_at: datetime | None
    venue_name: str  # "" when no venue is chosen
    item_count: int


def notice_problems(facts: NoticeFacts, at: datetime, procedure: Procedure, timezone: str,
                    supplementary: bool = False) -> list[Problem]:  # fmt: skip
    """Everything that stops this notice from being published at `at`: time, place, topics, notice period. A
    supplementary notice (an item added later) must leave the notice period too: its item is noticed now."""
    problems: list[Problem] = []
    if not supplementary:
        if facts.item_count == 0:
            problems.append(Problem(lazy("Add at least one agenda item before publishing the notice.")))
        if facts.starts_at is None:
            problems.append(Problem(lazy("The notice must give the time of the meeting. Enter when it starts.")))
        elif facts.starts_at <= at:
            problems.append(Problem(lazy("The meeting's starting time has passed. Enter a time in the future.")))
        if not facts.venue_name.strip() or is_placeholder_place(facts.venue_name):
            problems.append(Problem(lazy("The notice must give the place of the meeting. Choose a venue (not “to be decided”).")))
    needed = procedure.days_for(facts.kind)
    if facts.starts_at is not None and needed and (supplementary or facts.starts_at > at):
        have = max(0, days_between(at, facts.starts_at, timezone))
        if have < needed:
            earliest = at.astimezone(ZoneInfo(timezone)).date() + timedelta(days=needed)
            if supplementary:
                return [Problem(
                    lazy("This kind of meeting must be noticed at least {needed} days before it is held; an item "
                         "added now would be noticed only {have} days before. Put it on a later meeting's agenda."),
                    {"needed": needed, "have": have},
                )]  # fmt: skip
            problems.append(Problem(
                lazy("This kind of meeting must be noticed at least {needed} days before it is held; this one is "
                     "held {have} days after today. Move it to {earliest} or later, or change the notice period "
                     "in the community's procedure settings."),
                {"needed": needed, "have": have, "earliest": earliest.isoformat()},
            ))  # fmt: skip
    return problems


def start_problem(starts_at: datetime | None, now: datetime, grace_minutes: int) -> Problem | None:
    """A noticed meeting's session starts at its noticed time, at most `grace_minutes` earlier."""
    if starts_at is None:
        return None
    earliest = starts_at - timedelta(minutes=grace_minutes)
    if now >= earliest:
        return None
    return Problem(
        lazy("This meeting was noticed for {time}. Its session can start from {earliest}, not before."),
        {"time": starts_at, "earliest": earliest},
    )


# --- Venues ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A meeting at a venue: when it starts and ends (None: DEFAULT_LENGTH after the start)."""

    meeting_id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None = None

    @property
    def until(self) -> datetime:
        return self.ends_at if self.ends_at is not None and self.ends_at > self.starts_at else self.starts_at + DEFAULT_LENGTH


def clashes(wanted: Booking, others: list[Booking]) -> list[Booking]:
    """The other meetings at the same venue whose time overlaps the wanted one (touching ends do not clash)."""
    return [
        other for other in others
        if other.meeting_id != wanted.meeting_id and other.starts_at < wanted.until and wanted.starts_at < other.until
    ]  # fmt: skip
