"""A meeting's lifecycle: its numbered notices (each with the agenda as it stood), starting the session, closing it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict
from community.i18n import lazy
from deliberation import rules
from deliberation.access import MeetingContext
from deliberation.meetings import agenda, audit, guests, scope_label, scope_options
from deliberation.procedure import store as procedure
from deliberation.tables import Meeting, Notice


async def notices(meeting_id: int) -> list[dict[str, Any]]:
    """The meeting's notices, each with the fingerprint of its publication on the notice board."""
    from deliberation.minutes.notices import fingerprints

    rows = await Notice.select().where(Notice.meeting == meeting_id).order_by(Notice.number)
    prints = await fingerprints([int(r["id"]) for r in rows])
    for r in rows:
        r["fingerprint"] = prints.get(int(r["id"]), "")
        if isinstance(r["snapshot"], str):
            r["snapshot"] = json.loads(r["snapshot"])
        for key in ("starts_at", "ends_at"):
            value = r["snapshot"].get(key)
            r[key] = datetime.fromisoformat(value) if value else None
    return rows


async def notice_snapshot(meeting_id: int) -> dict[str, Any]:
    """The meeting as announced: details and the agenda exactly as it stands now."""
    meeting = await Meeting.select(
        *Meeting.all_columns(), Meeting.venue.name, Meeting.venue.address, Meeting.facilitator.display_name,
        Meeting.recorder.display_name,
    ).where(Meeting.id == meeting_id).first()  # fmt: skip
    assert meeting is not None
    options = await scope_options(int(meeting["community"]))
    scope_kind, places = scope_label(meeting, options)
    rules_in_force, _periods = await procedure.procedure_of(int(meeting["community"]))
    return {
        "notice_days": rules_in_force.days_for(str(meeting["kind"])),  # printed on the notice
        "title": meeting["title"],
        "kind": meeting["kind"],
        "starts_at": meeting["starts_at"].isoformat() if meeting["starts_at"] else None,
        "ends_at": meeting["ends_at"].isoformat() if meeting["ends_at"] else None,
        "venue": meeting["venue.name"] or "",
        "venue_address": meeting["venue.address"] or "",
        "scope_kind": meeting["scope_kind"],
        "scope_places": places,
        "facilitator": meeting["facilitator.display_name"] or "",
        "recorder": meeting["recorder.display_name"] or "",
        "guests": [
            {"name": g["name"], "role": g["role"], "organisation": g["organisation"]} for g in await guests(meeting_id)
        ],
        "items": [
            {"position": n, "title": i["title"], "description": i["description"], "origin": i["origin"]}
            for n, i in enumerate(await agenda(meeting_id), start=1)
        ],
    }


async def publish_next_notice(ctx: MeetingContext, actor: int | None, at: datetime | None = None) -> int:
    """Inside a write transaction: the next numbered notice with today's agenda, dated `at` (default: now). The
    first notice must state time, place and topics; every notice leaves the community's notice period."""
    last = await Notice.select(Notice.number).where(Notice.meeting == ctx.id).order_by(
        Notice.number, ascending=False
    ).first()
    number = int(last["number"]) + 1 if last else 1
    await procedure.check_notice(ctx.id, at or now(), supplementary=number > 1)
    from deliberation.minutes.notices import chain_notice

    try:
        rows = await Notice.insert(
            Notice(meeting=ctx.id, number=number, published_by=actor, published_at=(at or now()).replace(microsecond=0),
                   snapshot=await notice_snapshot(ctx.id))  # fmt: skip
        ).returning(Notice.id)
        # On the community's notice board, so in its publication chain like minutes and result notices.
        await chain_notice(int(rows[0]["id"]), actor)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("Someone else has just published a notice. Please reload the page.")) from exc
        raise
    await audit(ctx.community_id, actor, "notice_published", "meeting", ctx.id, {"number": number})
    return number


async def publish_notice(ctx: MeetingContext, at: datetime | None = None) -> None:
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        fresh = await Meeting.select(Meeting.status).where(Meeting.id == ctx.id).first()
        try:  # then time, place, topics and the notice period (procedure.check_notice), every problem at once
            rules.next_status(str(fresh["status"] if fresh else ""), "publish_notice")
        except rules.RuleError as exc:
            raise Conflict(exc.message) from exc
        await Meeting.update({Meeting.status: "noticed"}).where(Meeting.id == ctx.id)
        await publish_next_notice(ctx, actor, at)


async def change_status(ctx: MeetingContext, action: str) -> str:
    """Start the session or close the meeting; the status is re-read inside the transaction."""
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        fresh = await Meeting.select(Meeting.status, Meeting.starts_at, Meeting.community).where(Meeting.id == ctx.id).first()
        try:
            status = rules.next_status(str(fresh["status"] if fresh else ""), action)
        except rules.RuleError as exc:
            raise Conflict(exc.message) from exc
        if action == "start" and fresh is not None:
            await procedure.check_start(fresh, now())  # not before the noticed time (less the grace)
        columns: dict[Any, Any] = {Meeting.status: status}
        if action == "start":
            columns[Meeting.started_at] = now()
        elif action == "close":
            columns[Meeting.closed_at] = now()
        await Meeting.update(columns).where(Meeting.id == ctx.id)
        if action == "close":
            # Hands still up when the meeting closes are not left waiting for ever.
            from deliberation.tables import SpeakerRequest

            await SpeakerRequest.update({SpeakerRequest.status: "withdrawn", SpeakerRequest.finished_at: now()}).where(
                (SpeakerRequest.meeting == ctx.id) & SpeakerRequest.status.is_in(["waiting", "speaking"])
            )
        await audit(ctx.community_id, actor, f"meeting_{status}", "meeting", ctx.id)
    return status

