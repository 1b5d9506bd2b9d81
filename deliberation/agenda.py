"""The agenda of a meeting: adding, editing, moving and deleting items, and their attachments."""

from __future__ import annotations

import asyncio
from typing import Any

from community.db import write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from deliberation import rules, uploads
from deliberation.access import MeetingContext, item_of
from deliberation.lifecycle import publish_next_notice
from deliberation.meetings import agenda
from deliberation.tables import AgendaItem, Attachment


def _item_values(form: Any) -> dict[str, str]:
    return {
        "title": str(form.get("title", "") or "").strip(),
        "description": str(form.get("description", "") or "").replace("\r\n", "\n").strip(),
        "origin": str(form.get("origin", "") or "").strip(),
    }


async def add_item(ctx: MeetingContext, form: Any) -> int:
    """Add an item: freely while a draft; once noticed, only with a new, dated notice (both stay on record)."""
    status = str(ctx.meeting["status"])
    values = _item_values(form)
    if not (rules.agenda_editable(status) or rules.item_needs_new_notice(status)):
        raise Conflict(lazy("The agenda of a closed meeting cannot change."))
    errors = rules.validate_item(values["title"], values["description"], values["origin"])
    if errors:
        raise FormErrors(errors, values)
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        last = await AgendaItem.select(AgendaItem.position).where(AgendaItem.meeting == ctx.id).order_by(
            AgendaItem.position, ascending=False
        ).first()
        rows = await AgendaItem.insert(
            AgendaItem(
                meeting=ctx.id,
                position=(int(last["position"]) + 1) if last else 1,
                title=values["title"],
                description=values["description"],
                origin=values["origin"],
            )
        ).returning(AgendaItem.id)
        item_id = int(rows[0]["id"])
        if rules.item_needs_new_notice(status):
            await publish_next_notice(ctx, actor)
    return item_id


def _require_editable_agenda(ctx: MeetingContext) -> None:
    if not rules.agenda_editable(str(ctx.meeting["status"])):
        raise Conflict(
            lazy("The agenda is locked since the notice was published. Add an item with a new notice instead.")
        )


async def update_item(ctx: MeetingContext, item_id: int, form: Any) -> None:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    values = _item_values(form)
    errors = rules.validate_item(values["title"], values["description"], values["origin"])
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await AgendaItem.update(
            {AgendaItem.title: values["title"], AgendaItem.description: values["description"],
             AgendaItem.origin: values["origin"]}  # fmt: skip
        ).where((AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id))


async def move_item(ctx: MeetingContext, item_id: int, direction: str) -> None:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    async with write_transaction():
        order = [int(r["id"]) for r in await agenda(ctx.id)]
        for position, moved_id in enumerate(rules.moved(order, item_id, direction), start=1):
            await AgendaItem.update({AgendaItem.position: position}).where(
                (AgendaItem.id == moved_id) & (AgendaItem.meeting == ctx.id)
            )


def _in_meeting(ctx: MeetingContext) -> Any:
    """Where-clause: attachments of this meeting's items, in this meeting's community (never by id alone)."""
    return (Attachment.item.meeting == ctx.id) & (Attachment.item.meeting.community == ctx.community_id)


async def delete_item(ctx: MeetingContext, item_id: int) -> None:
    """Delete one of this meeting's items and the files of its attachments; 404 for any other item id."""
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    async with write_transaction():
        names = [
            r["stored_name"]
            for r in await Attachment.select(Attachment.stored_name).where((Attachment.item == item_id) & _in_meeting(ctx))
        ]
        deleted = await AgendaItem.delete().where(
            (AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id)
        ).returning(AgendaItem.id)
    if not deleted:
        raise NotFound(lazy("This agenda item does not exist."))
    for name in names:
        uploads.remove(name)


# --- Attachments -----------------------------------------------------------------------------------------------


async def attachments_of(item_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in item_ids}
    if not item_ids:
        return result
    rows = await Attachment.select().where(Attachment.item.is_in(item_ids)).order_by(Attachment.id)
    for r in rows:
        result[int(r["item"])].append(r)
    return result


async def add_attachment(ctx: MeetingContext, item_id: int, filename: str, data: bytes) -> int:
    _require_editable_agenda(ctx)
    await item_of(ctx, item_id)
    try:
        stored = await asyncio.to_thread(uploads.store, data)  # image work must not block the event loop
    except uploads.UploadRefused as exc:
        raise FormErrors({"file": exc.message}) from exc
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or stored.stored_name
    try:
        async with write_transaction():
            rows = await Attachment.insert(
                Attachment(
                    item=item_id,
                    original_name=name,
                    stored_name=stored.stored_name,
                    content_type=stored.content_type,
                    size=stored.size,
                    width=stored.width,
                    height=stored.height,
                    sha256=stored.sha256,
                    uploaded_by=ctx.user.id if ctx.user else None,
                )
            ).returning(Attachment.id)
    except Exception:
        uploads.remove(stored.stored_name)
        raise
    return int(rows[0]["id"])


async def get_attachment(ctx: MeetingContext, attachment_id: int) -> dict[str, Any]:
    row = await Attachment.select(*Attachment.all_columns(), Attachment.item.meeting).where(
        (Attachment.id == attachment_id) & _in_meeting(ctx)
    ).first()
    if row is None:
        raise NotFound(lazy("This attachment does not exist."))
    return row


async def public_attachment(meeting_id: int, attachment_id: int) -> dict[str, Any] | None:
    """The attachment if it is public: its meeting's notice is published on the notice board, which anyone may
    read, and attachments can only be added while the meeting is a draft, so every one of them was announced
    with that notice. None otherwise (then only people who may see the meeting get it)."""
    from deliberation.minutes.tables import Publication

    published = await Publication.exists().where(
        (Publication.kind == "meeting_notice") & (Publication.notice.meeting == meeting_id)
    )
    if not published:
        return None
    return await Attachment.select(*Attachment.all_columns(), Attachment.item.meeting).where(
        (Attachment.id == attachment_id) & (Attachment.item.meeting == meeting_id)
    ).first()


async def delete_attachment(ctx: MeetingContext, attachment_id: int) -> None:
    _require_editable_agenda(ctx)
    row = await get_attachment(ctx, attachment_id)
    async with write_transaction():
        await Attachment.delete().where((Attachment.id == attachment_id) & (Attachment.item == row["item"]))
    uploads.remove(str(row["stored_name"]))

