"""In session: attendance (QR check-in and paper) and the speaker queue and timer.

The current item, item status and the recorder's notes are `proceedings.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.tables import Flat
from deliberation import attendance_rules, rules
from deliberation.access import MeetingContext, attached_flats, scope_ids
from deliberation.meetings import audit
from deliberation.tables import Attendance, SpeakerRequest


def require_session(ctx: MeetingContext) -> None:
    if ctx.meeting["status"] != "in_session":
        raise Conflict(lazy("The meeting is not in session."))


# --- Attendance ----------------------------------------------------------------------------------------------------


async def scope_places(meeting: dict[str, Any]) -> list[attendance_rules.FlatPlace]:
    """Every active flat the meeting's scope covers, with its unit and a label, in building order."""
    community_id = int(meeting["community"])
    query = Flat.select(
        Flat.id,
        Flat.area,
        Flat.room,
        Flat.floor,
        Flat.stairwell_unit.id,
        Flat.stairwell_unit.name,
        Flat.stairwell_unit.building.id,
        Flat.stairwell_unit.building.name,
        Flat.stairwell_unit.building.compound.id,
        Flat.stairwell_unit.building.compound.name,
    ).where((Flat.stairwell_unit.building.compound.community == community_id) & Flat.active.eq(True))
    kind, ids = str(meeting["scope_kind"]), list(scope_ids(meeting)) or [-1]
    if kind == "compound":
        query = query.where(Flat.stairwell_unit.building.compound.is_in(ids))
    elif kind == "building":
        query = query.where(Flat.stairwell_unit.building.is_in(ids))
    elif kind == "stairwell_unit":
        query = query.where(Flat.stairwell_unit.is_in(ids))
    rows = await query.order_by(Flat.stairwell_unit.building.compound.name).order_by(
        Flat.stairwell_unit.building.name
    ).order_by(Flat.stairwell_unit.name).order_by(Flat.floor).order_by(Flat.room)
    several = len({r["stairwell_unit.building.compound.id"] for r in rows}) > 1
    places = []
    for r in rows:
        compound = str(r["stairwell_unit.building.compound.name"]) if several else ""
        building, unit = str(r["stairwell_unit.building.name"]), str(r["stairwell_unit.name"])
        places.append(
            attendance_rules.FlatPlace(
                flat_id=int(r["id"]),
                unit_id=int(r["stairwell_unit.id"]),
                building_id=int(r["stairwell_unit.building.id"]),
                compound_id=int(r["stairwell_unit.building.compound.id"]),
                area=int(r["area"]),
                label=str(r["room"]),
                unit_label=" ".join(filter(None, (compound, register_name(building, "号楼"), register_name(unit, "单元")))),
                compound_name=compound,
                building_name=building,
                unit_name=unit,
            )
        )
    return places


def register_name(name: str, suffix: str) -> str:
    """"3" → "3号楼": registers often give bare numbers; the label stays data, in the register's language."""
    return name + suffix if name.isdigit() else name


async def present_flats(meeting_id: int) -> dict[int, dict[str, Any]]:
    rows = await Attendance.select(
        Attendance.flat, Attendance.method, Attendance.attendee_name, Attendance.at, Attendance.account.display_name
    ).where(Attendance.meeting == meeting_id)
    return {int(r["flat"]): r for r in rows}


@dataclass(frozen=True)
class AttendanceView:
    summary: attendance_rules.AttendanceSummary
    places: list[attendance_rules.FlatPlace]
    present: dict[int, dict[str, Any]]


async def attendance(meeting: dict[str, Any]) -> AttendanceView:
    places = await scope_places(meeting)
    present = await present_flats(int(meeting["id"]))
    return AttendanceView(attendance_rules.attendance_summary(places, present), places, present)


async def attendance_summary(meeting: dict[str, Any]) -> attendance_rules.AttendanceSummary:
    return (await attendance(meeting)).summary


async def my_household_present(ctx: MeetingContext) -> tuple[list[int], list[int]]:
    """(the user's verified flats in scope, those already marked present)."""
    if ctx.user is None:
        return [], []
    if ctx.verified_flats is not None:
        verified = list(ctx.verified_flats)
    else:
        _attached, verified = await attached_flats(ctx.user.id, ctx.meeting)
    if not verified:
        return [], []
    rows = await Attendance.select(Attendance.flat).where(
        (Attendance.meeting == ctx.id) & Attendance.flat.is_in(verified)
    )
    return verified, sorted(int(r["flat"]) for r in rows)


async def check_in(ctx: MeetingContext) -> list[int]:
    """Mark the households of a verified resident present (each household once, however many members come)."""
    if ctx.user is None or not ctx.can.check_in:
        raise Forbidden(lazy("Only residents with a verified link to a flat covered by this meeting can check in."))
    verified, already = await my_household_present(ctx)
    marked = []
    for flat_id in verified:
        if flat_id in already:
            continue
        try:
            async with write_transaction():
                await Attendance.insert(
                    Attendance(meeting=ctx.id, flat=flat_id, account=ctx.user.id, method="qr", at=now())
                )
            marked.append(flat_id)
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            # Marked a moment ago by a household member or from the paper sheet: already present.
    return marked


async def mark_paper(ctx: MeetingContext, flat_id: int, name: str) -> None:
    """The facilitator marks a household present from the paper sign-in sheet."""
    if ctx.meeting["status"] not in ("noticed", "in_session"):
        raise Conflict(lazy("Attendance can be taken only before and during the session."))
    if flat_id not in {p.flat_id for p in await scope_places(ctx.meeting)}:
        raise FormErrors({"flat": lazy("This flat is not covered by the meeting.")})
    if len(name) > 100:
        raise FormErrors({"attendee_name": lazy("The name can have at most 100 characters.")}, {"attendee_name": name})
    actor = ctx.user.id if ctx.user else None
    try:
        async with write_transaction():
            await Attendance.insert(
                Attendance(meeting=ctx.id, flat=flat_id, method="paper", attendee_name=name.strip(), marked_by=actor,
                           at=now())  # fmt: skip
            )
            await audit(ctx.community_id, actor, "attendance_marked", "meeting", ctx.id, {"flat": flat_id})
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # Already present (checked in by phone a moment ago): nothing to do.


async def unmark(ctx: MeetingContext, flat_id: int) -> None:
    if ctx.meeting["status"] not in ("noticed", "in_session"):
        raise Conflict(lazy("Attendance can be taken only before and during the session."))
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        await Attendance.delete().where((Attendance.meeting == ctx.id) & (Attendance.flat == flat_id))
        await audit(ctx.community_id, actor, "attendance_removed", "meeting", ctx.id, {"flat": flat_id})



# --- Speaker queue and timer ---------------------------------------------------------------------------------------

QUEUE_COLUMNS = (
    SpeakerRequest.id,
    SpeakerRequest.account,
    SpeakerRequest.account.display_name,
    SpeakerRequest.position,
    SpeakerRequest.status,
    SpeakerRequest.raised_at,
    SpeakerRequest.called_at,
    SpeakerRequest.timer_started_at,
    SpeakerRequest.timer_elapsed,
)


@dataclass(frozen=True)
class Queue:
    speaking: dict[str, Any] | None
    waiting: list[dict[str, Any]]
    spoken: int  # seconds the current speaker has spoken
    running: bool
    limit: int  # seconds per speaker

    @property
    def over(self) -> bool:
        return self.speaking is not None and self.spoken > self.limit


async def queue(meeting_id: int, limit: int, at: datetime | None = None) -> Queue:
    rows = await SpeakerRequest.select(*QUEUE_COLUMNS).where(
        (SpeakerRequest.meeting == meeting_id) & SpeakerRequest.status.is_in(["waiting", "speaking"])
    ).order_by(SpeakerRequest.position).order_by(SpeakerRequest.id)
    return queue_from(rows, limit, at)


def queue_from(rows: list[dict[str, Any]], limit: int, at: datetime | None = None) -> Queue:
    """The queue from its rows (QUEUE_COLUMNS of the waiting and speaking requests, in their order)."""
    speaking = next((r for r in rows if r["status"] == "speaking"), None)
    spoken = 0
    if speaking is not None:
        spoken = rules.spoken_seconds(int(speaking["timer_elapsed"]), speaking["timer_started_at"], at or now())
    return Queue(
        speaking=speaking,
        waiting=[r for r in rows if r["status"] == "waiting"],
        spoken=spoken,
        running=speaking is not None and speaking["timer_started_at"] is not None,
        limit=limit,
    )


async def my_request(meeting_id: int, account_id: int) -> dict[str, Any] | None:
    return await SpeakerRequest.select(*QUEUE_COLUMNS).where(
        (SpeakerRequest.meeting == meeting_id)
        & (SpeakerRequest.account == account_id)
        & SpeakerRequest.status.is_in(["waiting", "speaking"])
    ).first()


def hand_state_in(queue: Queue, account_id: int) -> dict[str, Any]:
    """hand_state from the queue already read (its waiting list is in the same order the count uses)."""
    if queue.speaking is not None and int(queue.speaking["account"]) == account_id:
        return {"speaker": queue.speaking, "place": None}
    for place, row in enumerate(queue.waiting, start=1):
        if int(row["account"]) == account_id:
            return {"speaker": row, "place": place}
    return {"speaker": None, "place": None}


async def hand_state(meeting_id: int, account_id: int, queue: Queue | None = None) -> dict[str, Any]:
    """The person's own request to speak and their place among those waiting (1 = next); `queue`: the
    meeting's queue, if the page already read it."""
    if queue is not None:
        return hand_state_in(queue, account_id)
    request = await my_request(meeting_id, account_id)
    place = None
    if request is not None and request["status"] == "waiting":
        ahead = await SpeakerRequest.count().where(
            (SpeakerRequest.meeting == meeting_id)
            & (SpeakerRequest.status == "waiting")
            & (
                (SpeakerRequest.position < request["position"])
                | ((SpeakerRequest.position == request["position"]) & (SpeakerRequest.id < request["id"]))
            )
        )
        place = int(ahead) + 1
    return {"speaker": request, "place": place}


async def raise_hand(ctx: MeetingContext) -> None:
    if ctx.user is None or not ctx.can.raise_hand:
        raise Forbidden(lazy("Only people attached to this meeting can ask to speak, during the session."))
    try:
        async with write_transaction():
            last = await SpeakerRequest.select(SpeakerRequest.position).where(
                SpeakerRequest.meeting == ctx.id
            ).order_by(SpeakerRequest.position, ascending=False).first()
            await SpeakerRequest.insert(
                SpeakerRequest(
                    meeting=ctx.id,
                    account=ctx.user.id,
                    item=ctx.meeting["current_item"],
                    position=(int(last["position"]) + 1) if last else 1,
                    status="waiting",
                    raised_at=now(),
                )
            )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # The hand is already up (a double tap): nothing changes.


async def lower_hand(ctx: MeetingContext) -> None:
    if ctx.user is None:
        raise Forbidden(lazy("You are not allowed to see or do this."))
    async with write_transaction():
        await SpeakerRequest.update({SpeakerRequest.status: "withdrawn", SpeakerRequest.finished_at: now()}).where(
            (SpeakerRequest.meeting == ctx.id)
            & (SpeakerRequest.account == ctx.user.id)
            & (SpeakerRequest.status == "waiting")
        )


async def _stop_timer(request: dict[str, Any], at: datetime) -> None:
    if request["timer_started_at"] is not None:
        spoken = rules.spoken_seconds(int(request["timer_elapsed"]), request["timer_started_at"], at)
        await SpeakerRequest.update(
            {SpeakerRequest.timer_elapsed: spoken, SpeakerRequest.timer_started_at: None}
        ).where(SpeakerRequest.id == request["id"])


async def queue_action(ctx: MeetingContext, request_id: int, action: str) -> list[int]:
    """The facilitator moves, calls, finishes or removes a speaker, or starts/stops the timer.

    Returns the accounts whose own state changed (their phones are told)."""
    require_session(ctx)
    at = now()
    async with write_transaction():
        rows = await SpeakerRequest.select().where(
            (SpeakerRequest.meeting == ctx.id) & SpeakerRequest.status.is_in(["waiting", "speaking"])
        ).order_by(SpeakerRequest.position).order_by(SpeakerRequest.id)
        target = next((r for r in rows if int(r["id"]) == request_id), None)
        if target is None:
            raise NotFound(lazy("This speaker is no longer in the queue."))
        speaking = next((r for r in rows if r["status"] == "speaking"), None)
        changed = [int(target["account"])]
        if action in ("up", "down") and target["status"] == "waiting":
            waiting = [int(r["id"]) for r in rows if r["status"] == "waiting"]
            positions = sorted(int(r["position"]) for r in rows if r["status"] == "waiting")
            for position, moved_id in zip(positions, rules.moved(waiting, request_id, action), strict=True):
                await SpeakerRequest.update({SpeakerRequest.position: position}).where(SpeakerRequest.id == moved_id)
            changed = []
        elif action == "call" and target["status"] == "waiting":
            if speaking is not None:
                await _stop_timer(speaking, at)
                await SpeakerRequest.update({SpeakerRequest.status: "done", SpeakerRequest.finished_at: at}).where(
                    SpeakerRequest.id == speaking["id"]
                )
                changed.append(int(speaking["account"]))
            await SpeakerRequest.update(
                {SpeakerRequest.status: "speaking", SpeakerRequest.called_at: at, SpeakerRequest.timer_started_at: at}
            ).where(SpeakerRequest.id == request_id)
        elif action == "done" and target["status"] == "speaking":
            await _stop_timer(target, at)
            await SpeakerRequest.update({SpeakerRequest.status: "done", SpeakerRequest.finished_at: at}).where(
                SpeakerRequest.id == request_id
            )
        elif action == "remove" and target["status"] == "waiting":
            await SpeakerRequest.update({SpeakerRequest.status: "removed", SpeakerRequest.finished_at: at}).where(
                SpeakerRequest.id == request_id
            )
        elif action == "start" and target["status"] == "speaking" and target["timer_started_at"] is None:
            await SpeakerRequest.update({SpeakerRequest.timer_started_at: at}).where(SpeakerRequest.id == request_id)
            changed = []
        elif action == "stop" and target["status"] == "speaking":
            await _stop_timer(target, at)
            changed = []
        else:
            raise Conflict(lazy("The queue has changed in the meantime. Please look again."))
    return changed


