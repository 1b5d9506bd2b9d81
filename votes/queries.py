"""After the close: the preliminary result, the query window (询异期), corrections and the final result. Pure.

Closing a vote publishes its count as the preliminary result (初步统计结果). For the community's query window
any owner of the vote's electorate may query the count; staff answer every query in public (without personal
data) and may enter a correction that recounts. The final result (最终结果) is published once the window has
ended and every query is answered — and only then does a passed decision take effect (a project's notice).
A window of 0 days means no window: the close publishes the final result at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from community.i18n import lazy

Stage = Literal["preliminary", "final"]
STAGES: Final[tuple[Stage, ...]] = ("preliminary", "final")
STAGE_LABELS: Final[dict[str, str]] = {
    "preliminary": lazy("Preliminary result"),
    "final": lazy("Final result"),
}

QueryKind = Literal["missing_ballot", "not_owner", "counted_twice", "other"]
QUERY_KINDS: Final[dict[str, str]] = {
    "missing_ballot": lazy("My ballot is missing from the count"),
    "not_owner": lazy("A flat or voter counted is not an owner"),
    "counted_twice": lazy("A ballot was counted twice"),
    "other": lazy("Something else about the count"),
}
QueryStatus = Literal["open", "answered"]
QUERY_STATUS_LABELS: Final[dict[str, str]] = {
    "open": lazy("Waiting for an answer"),
    "answered": lazy("Answered"),
}

CorrectionKind = Literal["add_ballot", "remove_ballot"]
CORRECTION_KINDS: Final[dict[str, str]] = {
    "add_ballot": lazy("A ballot added to the count (e.g. a paper ballot found in the box)"),
    "remove_ballot": lazy("A ballot taken out of the count"),
}

QUERY_TEXT_MAX: Final = 1000
ANSWER_TEXT_MAX: Final = 2000
REASON_MAX: Final = 500

# The community's query window, per kind of vote: owners' decisions under Art. 278 bind every owner, so their
# count is always open to queries (1–30 days, 7 by default); residents' meetings and polls have none unless
# the community sets one (0 = the final result at once).
WINDOW_KEYS: Final[tuple[str, ...]] = ("owners", "residents", "poll")
DEFAULT_WINDOW_DAYS: Final[dict[str, int]] = {"owners": 7, "residents": 0, "poll": 0}
MIN_WINDOW_DAYS: Final[dict[str, int]] = {"owners": 1, "residents": 0, "poll": 0}
MAX_WINDOW_DAYS: Final = 30
FORM_PREFIX: Final = "query_days_"


@dataclass(frozen=True)
class QueryWindows:
    """Days of the query window after a close, per kind of vote."""

    days: dict[str, int]

    def for_kind(self, kind: str) -> int:
        return int(self.days.get(kind, DEFAULT_WINDOW_DAYS.get(kind, 0)))


def parse_windows(data: dict[str, object]) -> tuple[QueryWindows, dict[str, str]]:
    """From stored JSON ({kind: days}) or a form ("query_days_<kind>"); (windows, field errors)."""
    days: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key in WINDOW_KEYS:
        raw = data.get(key, data.get(FORM_PREFIX + key))
        if raw is None or raw == "":
            days[key] = DEFAULT_WINDOW_DAYS[key]
            continue
        text = "" if isinstance(raw, bool) else str(raw).strip()
        if text.isascii() and text.isdigit() and MIN_WINDOW_DAYS[key] <= int(text) <= MAX_WINDOW_DAYS:
            days[key] = int(text)
        else:
            errors[FORM_PREFIX + key] = (
                lazy("Enter a whole number of days from 1 to 30.") if MIN_WINDOW_DAYS[key]
                else lazy("Enter a whole number of days from 0 to 30.")
            )  # fmt: skip
            days[key] = DEFAULT_WINDOW_DAYS[key]
    return QueryWindows(days), errors


def window_end(closed_at: datetime, days: int, tz: ZoneInfo) -> datetime | None:
    """When the query window of a vote closed at `closed_at` ends (exclusive); None for no window (0 days).

    Counted like a public notice (votes.projects.lifecycle.notice_end, Civil Code Arts. 201 and 203): the day
    of the close is not counted and the last day ends at 24:00, so 7 days after a close on 4 December run from
    5 December to the end of 11 December, in the community's time.
    """
    if days < 0:
        raise ValueError("a query window cannot be negative")
    if days == 0:
        return None
    start_day = closed_at.astimezone(tz).date()
    return datetime.combine(start_day + timedelta(days=days + 1), time(0), tzinfo=tz)


def last_day(ends_at: datetime, tz: ZoneInfo) -> date:
    """The last whole day of the window: the date a page says "until"."""
    return (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()


def window_open(ends_at: datetime | None, now: datetime) -> bool:
    return ends_at is not None and now < ends_at


def may_lodge(stage: str, ends_at: datetime | None, now: datetime) -> bool:
    """Queries are lodged while the preliminary result stands and its window runs (to 24:00 of the last day)."""
    return stage == "preliminary" and window_open(ends_at, now)


def may_correct(stage: str) -> bool:
    """Answers and corrections go on until the final result is published (a query of the last day is answered
    after it), never after."""
    return stage == "preliminary"


@dataclass(frozen=True)
class NotYet:
    """Why the final result cannot be published yet: an English msgid and its values."""

    message: str
    params: dict[str, object]


WINDOW_RUNS: Final = lazy("The query window runs until the end of {day}. The final result is published after it.")
QUERIES_OPEN: Final = lazy("{n} queries still wait for an answer. Answer every query before the final result.")
ALREADY_FINAL: Final = lazy("The final result has already been published.")
NOT_CLOSED: Final = lazy("The vote is not closed yet: it has no result to query.")


def why_not_final(stage: str, now: datetime, ends_at: datetime | None, open_queries: int, tz: ZoneInfo) -> NotYet | None:
    """None when the final result may be published now: the window has ended and no query is unanswered."""
    if stage == "final":
        return NotYet(ALREADY_FINAL, {})
    if window_open(ends_at, now):
        assert ends_at is not None
        return NotYet(WINDOW_RUNS, {"day": last_day(ends_at, tz)})
    if open_queries > 0:
        return NotYet(QUERIES_OPEN, {"n": open_queries})
    return None


def may_finalise(stage: str, now: datetime, ends_at: datetime | None, open_queries: int) -> bool:
    return stage == "preliminary" and not window_open(ends_at, now) and open_queries == 0


def outcome_of(result: dict[str, object] | None) -> str:
    """The outcome a result states: the adjusted one under the silent-majority clause (as the result page)."""
    if not isinstance(result, dict):
        return ""
    adjusted = result.get("adjusted")
    if isinstance(adjusted, dict) and adjusted.get("outcome"):
        return str(adjusted["outcome"])
    return str(result.get("outcome") or "")
