"""Minimum voting periods: how long a vote must stay open, per Art. 278 matter and per kind of vote. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, NamedTuple

from community.i18n import lazy

# Owners' votes stay open at least 7 days by default, whatever the matter; residents' meetings and
# opinion polls have no minimum unless the community sets one.
PERIOD_KEYS: Final[tuple[str, ...]] = (*(f"matter_{n}" for n in range(1, 10)), "residents", "poll")
DEFAULT_DAYS: Final[dict[str, int]] = {**{f"matter_{n}": 7 for n in range(1, 10)}, "residents": 0, "poll": 0}
MAX_DAYS: Final = 90


class PeriodProblem(NamedTuple):
    """Why a window or an early close is refused: an English msgid and its values."""

    message: str
    params: dict[str, object]


@dataclass(frozen=True)
class VotingPeriods:
    days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))

    def minimum(self, kind: str, matter: int | None) -> timedelta:
        key = f"matter_{matter}" if kind == "owners" else kind
        return timedelta(days=int(self.days.get(key, DEFAULT_DAYS.get(key, 0))))


def parse_periods(data: Mapping[str, object]) -> tuple[VotingPeriods, dict[str, str]]:
    """From stored JSON ({key: days}) or a form ("min_voting_days_<key>"); (periods, field errors)."""
    days: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key in PERIOD_KEYS:
        raw = data.get(key, data.get(f"min_voting_days_{key}"))
        if raw is None or raw == "":
            days[key] = DEFAULT_DAYS[key]
            continue
        text = "" if isinstance(raw, bool) else str(raw).strip()
        if text.isascii() and text.isdigit() and int(text) <= MAX_DAYS:
            days[key] = int(text)
        else:
            errors[f"min_voting_days_{key}"] = lazy("Enter a whole number of days from 0 to 90.")
            days[key] = DEFAULT_DAYS[key]
    return VotingPeriods(days), errors


def window_problem(periods: VotingPeriods, kind: str, matter: int | None, opens_at: datetime | None,
                   closes_at: datetime | None, now: datetime) -> PeriodProblem | None:  # fmt: skip
    """A vote published with a closing time must leave at least the minimum between its opening and its close."""
    minimum = periods.minimum(kind, matter)
    if closes_at is None or not minimum:
        return None
    start = opens_at if opens_at is not None and opens_at > now else now
    if closes_at - start >= minimum:
        return None
    return PeriodProblem(
        lazy("This vote must stay open at least {days} days. Set the closing time to {earliest} or later."),
        {"days": minimum.days, "earliest": start + minimum},
    )


def close_problem(periods: VotingPeriods, kind: str, matter: int | None, opened_at: datetime | None,
                  now: datetime) -> PeriodProblem | None:  # fmt: skip
    """A facilitator may not close a vote before it has been open for the minimum period."""
    minimum = periods.minimum(kind, matter)
    if opened_at is None or not minimum or now - opened_at >= minimum:
        return None
    return PeriodProblem(
        lazy("This vote must stay open at least {days} days, until {earliest}. It cannot be closed before then."),
        {"days": minimum.days, "earliest": opened_at + minimum},
    )
