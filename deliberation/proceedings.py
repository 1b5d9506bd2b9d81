"""In session, the agenda's items: which one is current, the status of each, and the recorder's notes on it."""

from __future__ import annotations

from typing import Any

from community.bulk_sql import upsert
from community.clock import now
from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from deliberation import rules
from deliberation.access import MeetingContext, item_of
from deliberation.meetings import audit
from deliberation.session import require_session
from deliberation.tables import AgendaItem, ItemNote, Meeting


async def set_current_item(ctx: MeetingContext, item_id: int | None) -> None:
    require_session(ctx)
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        if item_id is not None:
            item = await AgendaItem.select(AgendaItem.status).where(
                (AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id)
            ).first()
            if item is None:
                raise NotFound(lazy("This agenda item does not exist."))
            if item["status"] == "pending":
                await AgendaItem.update({AgendaItem.status: "discussing"}).where(AgendaItem.id == item_id)
        await Meeting.update({Meeting.current_item: item_id}).where(Meeting.id == ctx.id)
        await audit(ctx.community_id, actor, "current_item_set", "meeting", ctx.id, {"item": item_id})


async def next_item_id(meeting_id: int, current: int | None) -> int | None:
    items = await AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == meeting_id).order_by(
        AgendaItem.position
    ).order_by(AgendaItem.id)
    ids = [int(r["id"]) for r in items]
    if not ids:
        return None
    if current not in ids:
        return ids[0]
    index = ids.index(current)
    return ids[index + 1] if index + 1 < len(ids) else None


async def set_item_status(ctx: MeetingContext, item_id: int, status: str) -> None:
    if status not in rules.ITEM_STATUSES:
        raise FormErrors({"status": lazy("Please choose a status.")})
    if ctx.meeting["status"] not in ("in_session", "closed"):
        raise Conflict(lazy("The meeting is not in session."))
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        updated = await AgendaItem.update({AgendaItem.status: status}).where(
            (AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id)
        ).returning(AgendaItem.id)
        if not updated:
            raise NotFound(lazy("This agenda item does not exist."))
        await audit(ctx.community_id, actor, "item_status_set", "agenda_item", item_id, {"status": status})



# --- Recorder's notes ----------------------------------------------------------------------------------------------

NOTE_FIELDS = ("positions_heard", "objections", "agreed_points", "open_points")
NOTE_LABELS = {
    "positions_heard": lazy("Positions heard"),
    "objections": lazy("Objections"),
    "agreed_points": lazy("Agreed points"),
    "open_points": lazy("Open points"),
}


async def notes(meeting_id: int) -> dict[int, dict[str, Any]]:
    rows = await ItemNote.select(*ItemNote.all_columns(), ItemNote.updated_by.display_name).where(
        ItemNote.item.meeting == meeting_id
    )
    return {int(r["item"]): r for r in rows}


async def save_note(ctx: MeetingContext, item_id: int, form: Any) -> dict[str, str]:
    await item_of(ctx, item_id)  # a note belongs to an item of this meeting, never to another meeting's
    values = {name: str(form.get(name, "") or "").replace("\r\n", "\n").strip() for name in NOTE_FIELDS}
    errors = {name: lazy("At most 20,000 characters.") for name, v in values.items() if len(v) > rules.NOTE_MAX_LENGTH}
    if errors:
        raise FormErrors(errors, values)
    actor = ctx.user.id if ctx.user else None
    columns = {getattr(ItemNote, name): value for name, value in values.items()}
    async with write_transaction():
        await upsert(ItemNote, (ItemNote.item,), {ItemNote.item: item_id, **columns, ItemNote.updated_by: actor, ItemNote.updated_at: now()})
    return values
