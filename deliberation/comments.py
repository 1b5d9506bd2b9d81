"""Comments on agenda items: paged threads, posting within a per-account limit, editing, hiding, the projector."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import engine, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.tables import Account
from deliberation import rules
from deliberation.access import MeetingContext, item_of
from deliberation.meetings import audit
from deliberation.tables import Comment

PAGE_SIZE = 20
REPLIES_SHOWN = 50
PROJECTOR_COMMENTS = 6

COLUMNS = (
    Comment.id,
    Comment.item,
    Comment.parent,
    Comment.author,
    Comment.author.display_name,
    Comment.position,
    Comment.body,
    Comment.created_at,
    Comment.edited_at,
    Comment.hidden_at,
    Comment.hidden_reason,
    Comment.pinned,
    Comment.off_projector,
)


@dataclass
class ThreadPage:
    """Newest top-level comments first, each with its replies (oldest first)."""

    comments: list[dict[str, Any]]
    replies: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    more_replies: dict[int, int] = field(default_factory=dict)
    older: int | None = None  # `before` value of the next (older) page, if any
    total: int = 0


async def thread_page(
    item_id: int, before: int | None = None, limit: int = PAGE_SIZE, total: int | None = None,
    first: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> ThreadPage:  # fmt: skip
    """`total`: the item's number of comments; `first`: the first page's ids (limit + 1 of them, newest first) and
    those comments with their replies (by id), as the item page read them with its own statement
    (deliberation.phone_reads)."""
    # The page's ids first, from the (item, parent, id) index alone; then those rows and their replies with their
    # authors. In one query a planner without fresh statistics joins every comment of the item before sorting.
    if first is not None and before is None:
        ids = [int(r["id"]) for r in first[0]]
    else:
        query = Comment.select(Comment.id).where((Comment.item == item_id) & Comment.parent.is_null())
        if before is not None:
            query = query.where(Comment.id < before)
        ids = [int(r["id"]) for r in await query.order_by(Comment.id, ascending=False).limit(limit + 1)]
    older = ids[limit - 1] if len(ids) > limit else None
    ids = ids[:limit]
    if first is not None and before is None:
        found = first[1]
    else:
        found = (
            await Comment.select(*COLUMNS).where(Comment.id.is_in(ids) | Comment.parent.is_in(ids)).order_by(Comment.id)
            if ids else []
        )  # fmt: skip
    shown = set(ids)
    rows = [r for r in reversed(found) if int(r["id"]) in shown]  # newest first
    page = ThreadPage(comments=rows, older=older, total=await count_for(item_id) if total is None else total)
    if ids:
        replies = [r for r in found if int(r["id"]) not in shown]
        for reply in replies:
            bucket = page.replies.setdefault(int(reply["parent"]), [])
            if len(bucket) < REPLIES_SHOWN:
                bucket.append(reply)
            else:
                page.more_replies[int(reply["parent"])] = page.more_replies.get(int(reply["parent"]), 0) + 1
    return page


async def get_comment(ctx: MeetingContext, comment_id: int) -> dict[str, Any]:
    row = await Comment.select(*COLUMNS, Comment.meeting).where(Comment.id == comment_id).first()
    if row is None or int(row["meeting"]) != ctx.id:
        raise NotFound(lazy("This comment does not exist."))
    return row


async def replies_of(comment_id: int) -> list[dict[str, Any]]:
    return await Comment.select(*COLUMNS).where(Comment.parent == comment_id).order_by(Comment.id)


def comment_values(form: Any) -> dict[str, str]:
    return {
        "position": str(form.get("position", "") or "").strip(),
        "body": str(form.get("body", "") or "").replace("\r\n", "\n").strip(),
        "parent": str(form.get("parent", "") or "").strip(),
    }


async def post_comment(ctx: MeetingContext, item_id: int, form: Any, at: datetime | None = None) -> int:
    """Post a comment or a reply; FormErrors (422) with what was typed, TooManyAttempts (429) over the limit."""
    if not ctx.can.comment or ctx.user is None:
        raise Forbidden(lazy("Only people who live in or own a flat covered by this meeting can comment."))
    at = at or now()
    await item_of(ctx, item_id)
    values = comment_values(form)
    parent_id: int | None = None
    if values["parent"]:
        parent = await Comment.select(Comment.id, Comment.item, Comment.parent).where(
            Comment.id == (int(values["parent"]) if values["parent"].isdigit() else -1)
        ).first()
        if parent is None or int(parent["item"]) != item_id:
            raise NotFound(lazy("This comment does not exist."))
        # One level of replies: a reply to a reply joins the same thread.
        parent_id = int(parent["parent"] or parent["id"])
    errors = rules.validate_comment(values["position"], values["body"], is_reply=parent_id is not None)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        if isinstance(engine(), PostgresEngine):
            # Serialise one account's posts, so two processes cannot both slip under the limit.
            await Account.raw("SELECT id FROM account WHERE id = {} FOR UPDATE", ctx.user.id)
        # The same words under the same comment a moment ago: the form was sent twice (a double tap without
        # JavaScript, a page sent again); the first is kept and is the answer.
        same = (Comment.author == ctx.user.id) & (Comment.item == item_id) & (Comment.body == values["body"]) & (
            Comment.created_at > at - rules.SAME_AGAIN_WINDOW) & (
            Comment.parent.is_null() if parent_id is None else Comment.parent == parent_id)  # fmt: skip
        already = await Comment.select(Comment.id).where(same).order_by(Comment.id).first()
        if already is not None:
            return int(already["id"])
        recent = await Comment.count().where(
            (Comment.author == ctx.user.id) & (Comment.created_at > at - rules.COMMENT_LIMIT_WINDOW)
        )
        if rules.over_comment_limit(int(recent)):
            raise TooManyAttempts(lazy("You are posting very quickly. Please wait a minute, then post again."))
        rows = await Comment.insert(
            Comment(
                meeting=ctx.id,
                item=item_id,
                parent=parent_id,
                author=ctx.user.id,
                position=values["position"] if values["position"] in rules.POSITIONS else "",
                body=values["body"],
                created_at=at,
            )
        ).returning(Comment.id)
    return int(rows[0]["id"])


def may_edit(ctx: MeetingContext, comment: dict[str, Any], at: datetime | None = None) -> bool:
    return ctx.user is not None and rules.can_edit_comment(
        comment["author"], ctx.user.id, comment["created_at"], at or now(), comment["hidden_at"] is not None
    )


async def edit_comment(ctx: MeetingContext, comment_id: int, form: Any, at: datetime | None = None) -> None:
    comment = await get_comment(ctx, comment_id)
    if not may_edit(ctx, comment, at):
        raise Forbidden(lazy("A comment can only be edited by its author, within 10 minutes of posting."))
    if not rules.comments_open(str(ctx.meeting["status"])):
        raise Conflict(lazy("Comments are closed for this meeting."))
    values = comment_values(form)
    values["parent"] = str(comment["parent"] or "")
    is_reply = comment["parent"] is not None
    errors = rules.validate_comment(values["position"], values["body"], is_reply=is_reply)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await Comment.update(
            {
                Comment.body: values["body"],
                Comment.position: values["position"] if values["position"] in rules.POSITIONS else "",
                Comment.edited_at: at or now(),
            }
        ).where(Comment.id == comment_id)


async def hide_comment(ctx: MeetingContext, comment_id: int, reason: str) -> None:
    """Hidden by the facilitator with a reason that stays visible in place of the text, and is logged."""
    comment = await get_comment(ctx, comment_id)
    reason = reason.strip()
    errors = rules.validate_hide_reason(reason)
    if errors:
        raise FormErrors(errors, {"reason": reason})
    if comment["hidden_at"] is not None:
        raise Conflict(lazy("This comment is already hidden."))
    actor = ctx.user.id if ctx.user else None
    async with write_transaction():
        await Comment.update(
            {Comment.hidden_at: now(), Comment.hidden_by: actor, Comment.hidden_reason: reason, Comment.pinned: False}
        ).where(Comment.id == comment_id)
        await audit(
            ctx.community_id, actor, "comment_hidden", "comment", comment_id,
            {"meeting": ctx.id, "reason": reason, "author": comment["author"]},
        )  # fmt: skip


async def set_on_projector(ctx: MeetingContext, comment_id: int, action: str) -> None:
    """Pin a comment to the top of the projector's list, unpin it, or keep it off the projector."""
    comment = await get_comment(ctx, comment_id)
    changes = {
        "pin": {Comment.pinned: True, Comment.off_projector: False},
        "unpin": {Comment.pinned: False},
        "off": {Comment.off_projector: True, Comment.pinned: False},
        "on": {Comment.off_projector: False},
    }.get(action)
    if changes is None:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    if comment["hidden_at"] is not None and action in ("pin", "on"):
        raise Conflict(lazy("A hidden comment cannot be shown on the projector."))
    async with write_transaction():
        await Comment.update(changes).where(Comment.id == comment_id)  # type: ignore[arg-type]


async def projector_comments(meeting_id: int, item_id: int | None, limit: int = PROJECTOR_COMMENTS) -> list[dict[str, Any]]:
    """Pinned comments first, then the newest; hidden ones and those kept off the projector are left out."""
    query = Comment.select(*COLUMNS).where(
        (Comment.meeting == meeting_id) & Comment.hidden_at.is_null() & Comment.off_projector.eq(False)
    )
    if item_id is not None:
        query = query.where(Comment.item == item_id)
    return await query.order_by(Comment.pinned, ascending=False).order_by(Comment.id, ascending=False).limit(limit)


async def recent_comments(meeting_id: int, limit: int = 30) -> list[dict[str, Any]]:
    """The newest comments of the whole meeting, hidden ones included, for the facilitator."""
    return await Comment.select(*COLUMNS, Comment.item.title).where(Comment.meeting == meeting_id).order_by(
        Comment.id, ascending=False
    ).limit(limit)


async def changed_since(meeting_id: int, since: datetime) -> bool:
    """Was any comment of the meeting posted, edited or hidden after `since`? (A reconnecting phone resyncs.)"""
    return bool(
        await Comment.exists().where(
            (Comment.meeting == meeting_id)
            & ((Comment.created_at > since) | (Comment.edited_at > since) | (Comment.hidden_at > since))
        )
    )


async def get_comment_row(comment_id: int) -> dict[str, Any] | None:
    return await Comment.select(*COLUMNS).where(Comment.id == comment_id).first()


async def count_for(item_id: int) -> int:
    return int(await Comment.count().where(Comment.item == item_id))
