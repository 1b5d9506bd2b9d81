"""The community's minimum voting periods, read from its settings and checked when a vote is published with a
closing time and when a facilitator closes one (rules in `votes.periods`)."""

from __future__ import annotations

from datetime import datetime

from community import i18n
from community.config import get_config
from community.errors import Conflict
from community.tables import Community
from votes.periods import PeriodProblem, VotingPeriods, close_problem, parse_periods, window_problem

SETTINGS_KEY = "procedure"  # Community.settings["procedure"]["min_voting_days"]: {key: days}


async def voting_periods(community_id: int) -> VotingPeriods:
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = (row or {}).get("settings") or {}
    section = stored.get(SETTINGS_KEY) if isinstance(stored, dict) else None
    days = section.get("min_voting_days") if isinstance(section, dict) else None
    periods, _errors = parse_periods(days if isinstance(days, dict) else {})
    return periods


def refusal(problem: PeriodProblem) -> Conflict:
    """The problem as the Conflict a page shows, its times written in the reader's language."""
    params = {
        key: i18n.format_datetime(value, get_config().timezone, "short") if isinstance(value, datetime) else value
        for key, value in problem.params.items()
    }
    return Conflict(problem.message, **params)


async def check_window(community_id: int, kind: str, matter: int | None, opens_at: datetime | None,
                       closes_at: datetime | None, now: datetime) -> None:  # fmt: skip
    problem = window_problem(await voting_periods(community_id), kind, matter, opens_at, closes_at, now)
    if problem is not None:
        raise refusal(problem)


async def check_close(community_id: int, kind: str, matter: int | None, opened_at: datetime | None, now: datetime) -> None:
    problem = close_problem(await voting_periods(community_id), kind, matter, opened_at, now)
    if problem is not None:
        raise refusal(problem)
