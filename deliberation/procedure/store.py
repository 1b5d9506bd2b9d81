"""The community's rules of procedure read and saved, and applied to a meeting: its notice, its start, its venue."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from community import i18n
from community.accounts import CurrentUser
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict, FormErrors
from community.permissions import require_rule
from community.tables import AuditLog, Community
from deliberation.procedure.rules import (
    Booking,
    NoticeFacts,
    Problem,
    Procedure,
    clashes,
    notice_problems,
    parse_procedure,
    procedure_to_json,
    start_problem,
)
from deliberation.tables import AgendaItem, Meeting, Venue
from votes.periods import VotingPeriods, parse_periods
from votes.queries import QueryWindows, parse_windows

SETTINGS_KEY = "procedure"


class NoticeRefused(Conflict):
    """A notice the rules refuse; `problems` lists every reason (the message is the first)."""

    def __init__(self, problems: list[tuple[str, dict[str, object]]]) -> None:
        message, params = problems[0]
        super().__init__(message, **params)
        self.problems = problems


def _written(problem: Problem) -> tuple[str, dict[str, object]]:
    """The problem with its times written for the reader (language and time zone of the request)."""
    params = {
        key: i18n.format_datetime(value, get_config().timezone, "short") if isinstance(value, datetime) else value
        for key, value in problem.params.items()
    }
    return problem.message, params


async def _section(community_id: int) -> dict[str, Any]:
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = (row or {}).get("settings") or {}
    section = stored.get(SETTINGS_KEY) if isinstance(stored, dict) else None
    return dict(section) if isinstance(section, dict) else {}


async def procedure_of(community_id: int) -> tuple[Procedure, VotingPeriods]:
    """The community's meeting procedure and minimum voting periods (defaults where it set nothing)."""
    section = await _section(community_id)
    procedure, _errors = parse_procedure(section)
    days = section.get("min_voting_days")
    periods, _more = parse_periods(days if isinstance(days, dict) else {})
    return procedure, periods


async def query_windows_of(community_id: int) -> QueryWindows:
    """Days of the query window after a vote closes, per kind of vote (votes.queries)."""
    days = (await _section(community_id)).get("query_days")
    windows, _errors = parse_windows(days if isinstance(days, dict) else {})
    return windows


async def save_procedure(user: CurrentUser, community_id: int, form: Mapping[str, Any]) -> None:
    """Facilitators set the notice periods, the start grace, the minimum voting periods and the query windows;
    FormErrors if wrong."""
    await require_rule(user, community_id, "organise_meetings")
    values = {str(k): str(v).strip() for k, v in form.items() if str(k) != "_csrf_token"}
    procedure, errors = parse_procedure(values)
    periods, more = parse_periods(values)
    errors.update(more)
    windows, wrong = parse_windows(dict(values))
    errors.update(wrong)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
        stored = dict((row or {}).get("settings") or {})
        section = {**procedure_to_json(procedure), "min_voting_days": dict(periods.days),
                   "query_days": dict(windows.days)}
        stored[SETTINGS_KEY] = section
        await Community.update({Community.settings: stored}).where(Community.id == community_id)
        await AuditLog.insert(
            AuditLog(community=community_id, actor=user.id, action="procedure_changed", object_type="community",
                     object_id=community_id, detail=section)
        )  # fmt: skip


async def check_notice(meeting_id: int, at: datetime, supplementary: bool = False) -> None:
    """Inside the publishing transaction: NoticeRefused unless the notice states time, place and topics and
    leaves the community's notice period for this kind of meeting."""
    meeting = await Meeting.select(Meeting.kind, Meeting.starts_at, Meeting.venue.name, Meeting.community).where(
        Meeting.id == meeting_id
    ).first()
    if meeting is None:
        return
    count = await AgendaItem.count().where(AgendaItem.meeting == meeting_id)
    procedure, _periods = await procedure_of(int(meeting["community"]))
    facts = NoticeFacts(str(meeting["kind"]), meeting["starts_at"], str(meeting["venue.name"] or ""), int(count))
    problems = notice_problems(facts, at, procedure, get_config().timezone, supplementary)
    if problems:
        raise NoticeRefused([_written(p) for p in problems])


async def check_start(meeting: Mapping[str, Any], now: datetime) -> None:
    """Conflict if the session would start before the noticed time (less the community's grace)."""
    procedure, _periods = await procedure_of(int(meeting["community"]))
    problem = start_problem(meeting.get("starts_at"), now, procedure.start_grace_minutes)
    if problem is not None:
        message, params = _written(problem)
        raise Conflict(message, **params)


async def bookings(venue_id: int, since: datetime | None = None) -> list[dict[str, Any]]:
    """The meetings at a venue that are not closed (from `since`), earliest first."""
    query = Meeting.select(Meeting.id, Meeting.title, Meeting.kind, Meeting.status, Meeting.starts_at,
                           Meeting.ends_at).where((Meeting.venue == venue_id) & (Meeting.status != "closed"))  # fmt: skip
    rows = [r for r in await query.order_by(Meeting.starts_at) if r["starts_at"] is not None]
    if since is not None:
        rows = [r for r in rows if Booking(0, "", r["starts_at"], r["ends_at"]).until > since]
    return rows


async def venue_clashes(community_id: int, venue_id: int | None, starts_at: datetime | None, ends_at: datetime | None,
                        meeting_id: int | None) -> list[Booking]:  # fmt: skip
    """Other meetings, not closed, at the same venue of this community whose time overlaps."""
    if venue_id is None or starts_at is None:
        return []
    venue = await Venue.select(Venue.id).where((Venue.id == venue_id) & (Venue.community == community_id)).first()
    if venue is None:
        return []
    others = [Booking(int(r["id"]), str(r["title"]), r["starts_at"], r["ends_at"]) for r in await bookings(venue_id)]
    return clashes(Booking(meeting_id or 0, "", starts_at, ends_at), others)
