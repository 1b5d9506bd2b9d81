"""Controllers for the meeting itself: the phone page, comments, check-in, raised hands and the projector.

The facilitator's control page, attendance and the recorder's notes are `control.py`.
"""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from community import clock, i18n
from community.config import get_config
from community.errors import Forbidden, FormErrors, NotFound, TooManyAttempts
from community.i18n import lazy
from community.qr import qr_svg
from community.web import current_user, is_htmx, public_url, require_user
from deliberation import agenda, comments, contributions, feed, panels, phone_reads, session
from deliberation.access import MeetingContext, get_meeting, item_of, meeting_for
from deliberation.control import control_comments, control_context
from deliberation.views import announce_after, back, show

# --- Phone: the meeting page -----------------------------------------------------------------------------------------


def _live_urls(meeting_id: int) -> dict[str, Any]:
    return {
        "phones_url": f"/live/{feed.phones_channel(meeting_id, i18n.get_language())}?since={int(time.time())}",
        "language": i18n.get_language(),
    }


async def _hand_context(ctx: MeetingContext, queue: session.Queue | None = None) -> dict[str, Any]:
    state = await session.hand_state(ctx.id, ctx.user.id, queue) if ctx.user else {"speaker": None, "place": None}
    return {**state, "may_raise": ctx.can.raise_hand}


@get("/m/{meeting_id:int}", name="meeting")
async def meeting_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    user = require_user(request)
    # One statement: the meeting with its agenda, item links, queue, guests and households present.
    read = await phone_reads.meeting_page(meeting_id, user.id)
    ctx = await meeting_for(user, meeting_id, meeting=read.meeting)
    data = await phone_reads.phone_data(read)
    verified = list(ctx.verified_flats or ())
    present = sorted(int(r["flat"]) for r in read.lists["present"] if int(r["flat"]) in verified)
    return show(
        request,
        "deliberation/meeting.html",
        **data,
        details=ctx.meeting,
        can=ctx.can,
        guests=read.lists["guests"],
        verified_flats=verified,
        present_flats=present,
        checked_in=request.query_params.get("checked_in") == "1",
        **await _hand_context(ctx, data["queue"]),
        **_live_urls(meeting_id),
    )


# --- Phone: an item and its thread ------------------------------------------------------------------------------------


async def _item_context(
    ctx: MeetingContext, item_id: int, before: int | None = None, read: phone_reads.Read | None = None
) -> dict[str, Any]:
    """`read`: the item with its attachments, links and number of comments, if the page read them with the
    meeting (phone_reads.item_page)."""
    if read is None:
        item = await item_of(ctx, item_id)
        links = await contributions.item_links([item_id])
        attachments, total, first = (await agenda.attachments_of([item_id]))[item_id], None, None
    else:
        if not read.lists["item"]:
            raise NotFound(lazy("This agenda item does not exist."))
        item, links = read.lists["item"][0], await read.item_links([item_id])
        attachments, total = read.lists["attachments"], read.comments
        first = (read.lists["thread_ids"], read.lists["thread"])
    return {
        "links": links,
        "meeting": ctx.meeting,
        "details": ctx.meeting,
        "item": item,
        "can": ctx.can,
        "attachments": attachments,
        "thread": await comments.thread_page(item_id, before, total=total, first=first),
        "before": before,
        "editable": _editable_ids(ctx),
        "values": {"position": "", "body": ""},
        "errors": {},
        **_live_urls(ctx.id),
    }


def _editable_ids(ctx: MeetingContext) -> Any:
    """A test the thread template applies to each comment: may the user edit it now?"""
    return lambda comment: comments.may_edit(ctx, comment)


@get("/m/{meeting_id:int}/items/{item_id:int}", name="item")
async def item_page(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int],
                    before: FromQuery[int | None] = None) -> Template:  # fmt: skip
    user = require_user(request)
    read = await phone_reads.item_page(meeting_id, item_id)  # one statement: the meeting, the item and its parts
    ctx = await meeting_for(user, meeting_id, meeting=read.meeting)
    context = await _item_context(ctx, item_id, before, read)
    if before is not None and is_htmx(request):
        # "Older comments" with htmx: only the next page, appended in place of the button.
        return show(request, "deliberation/_thread_page.html", **context)
    return show(request, "deliberation/item.html", fragment="deliberation/_thread.html", **context)


@get("/m/{meeting_id:int}/items/{item_id:int}/comments", name="comment_list")
async def comment_list(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    """The newest comments again: a phone whose live feed reconnected after missing changes fetches them."""
    ctx = await meeting_for(require_user(request), meeting_id)
    if not is_htmx(request):
        return Redirect(path=f"/m/{meeting_id}/items/{item_id}#comments", status_code=303)
    return show(request, "deliberation/_comment_list.html", **await _item_context(ctx, item_id))


@post("/m/{meeting_id:int}/items/{item_id:int}/comments", name="comment_post")
async def comment_post(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "comment")
    form = await request.form()
    is_reply = bool(str(form.get("parent", "") or "").strip())
    try:
        comment_id = await comments.post_comment(ctx, item_id, form)
    except (FormErrors, TooManyAttempts) as exc:
        status = exc.status_code
        values = comments.comment_values(form)
        errors = exc.errors if isinstance(exc, FormErrors) else {"body": exc.message}
        if is_htmx(request):
            template = "deliberation/_reply_form.html" if is_reply else "deliberation/_comment_form.html"
            parent = {"id": int(values["parent"])} if is_reply and values["parent"].isdigit() else None
            return show(request, template, meeting=ctx.meeting, item={"id": item_id}, values=values, errors=errors,
                        parent=parent, can=ctx.can, status_code=status)  # fmt: skip
        context = await _item_context(ctx, item_id)
        context.update(values=values, errors=errors)
        return show(request, "deliberation/item.html", status_code=status, **context)
    row = await comments.get_comment(ctx, comment_id)
    if is_htmx(request):
        template = "deliberation/_posted_reply.html" if is_reply else "deliberation/_posted_comment.html"
        response: Response[Any] = show(request, template, meeting=ctx.meeting, item={"id": item_id}, comment=row,
                                       values={"position": "", "body": ""}, errors={}, can=ctx.can,
                                       editable=_editable_ids(ctx), posted=True,
                                       total=await comments.count_for(item_id))  # fmt: skip
    else:
        response = Redirect(path=f"/m/{meeting_id}/items/{item_id}#comment-{comment_id}", status_code=303)
    return announce_after(response, meeting_id, "comments", new_comment=comment_id)


async def _comment_context(ctx: MeetingContext, comment_id: int) -> dict[str, Any]:
    comment = await comments.get_comment(ctx, comment_id)
    item = await item_of(ctx, int(comment["item"]))
    return {
        "meeting": ctx.meeting,
        "details": ctx.meeting,
        "item": item,
        "comment": comment,
        "replies": await comments.replies_of(comment_id) if comment["parent"] is None else [],
        "can": ctx.can,
        "editable": _editable_ids(ctx),
        "values": {"position": comment["position"], "body": comment["body"]},
        "errors": {},
    }


@get("/m/{meeting_id:int}/comments/{comment_id:int}", name="comment")
async def comment_page(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id)
    return show(request, "deliberation/comment.html", **await _comment_context(ctx, comment_id))


@get("/m/{meeting_id:int}/comments/{comment_id:int}/reply", name="comment_reply")
async def comment_reply(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "comment")
    context = await _comment_context(ctx, comment_id)
    parent = context["comment"]
    context.update(parent={"id": parent["parent"] or parent["id"]}, values={"position": "", "body": ""})
    if is_htmx(request):
        return show(request, "deliberation/_reply_form.html", **context)
    return show(request, "deliberation/comment.html", replying=True, **context)


@get("/m/{meeting_id:int}/comments/{comment_id:int}/edit", name="comment_edit")
async def comment_edit(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id)
    context = await _comment_context(ctx, comment_id)
    if not comments.may_edit(ctx, context["comment"]):
        raise Forbidden(lazy("A comment can only be edited by its author, within 10 minutes of posting."))
    return show(request, "deliberation/comment_edit.html", fragment="deliberation/_comment_edit_form.html", **context)


@post("/m/{meeting_id:int}/comments/{comment_id:int}/edit", name="comment_update")
async def comment_update(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id)
    form = await request.form()
    try:
        await comments.edit_comment(ctx, comment_id, form)
    except FormErrors as exc:
        context = await _comment_context(ctx, comment_id)
        context.update(values=exc.values, errors=exc.errors)
        return show(request, "deliberation/comment_edit.html", fragment="deliberation/_comment_edit_form.html",
                    status_code=422, **context)  # fmt: skip
    context = await _comment_context(ctx, comment_id)
    if is_htmx(request):
        response: Response[Any] = show(request, "deliberation/_comment.html", **context)
    else:
        response = Redirect(path=f"/m/{meeting_id}/items/{context['item']['id']}#comment-{comment_id}", status_code=303)
    return announce_after(response, meeting_id, "comments", changed_comment=comment_id)


@post("/m/{meeting_id:int}/comments/{comment_id:int}/hide", name="comment_hide")
async def comment_hide(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    try:
        await comments.hide_comment(ctx, comment_id, str(form.get("reason", "") or ""))
    except FormErrors as exc:
        if is_htmx(request) and form.get("from") == "control":
            context = await control_context(request, ctx)
            context.update(errors=exc.errors, error_comment=comment_id)
            return show(request, "deliberation/_control_comments.html", status_code=422, **context)
        context = await _comment_context(ctx, comment_id)
        context.update(errors=exc.errors, hide_values=exc.values)
        return show(request, "deliberation/comment.html", fragment="deliberation/_hide_form.html", status_code=422,
                    **context)  # fmt: skip
    if is_htmx(request) and form.get("from") == "control":
        response: Response[Any] = await control_comments(request, ctx)
    elif is_htmx(request):
        response = show(request, "deliberation/_comment.html", **await _comment_context(ctx, comment_id))
    else:
        target = f"/m/{meeting_id}/control#moderation" if form.get("from") == "control" else f"/m/{meeting_id}/comments/{comment_id}"
        response = Redirect(path=target, status_code=303)
    return announce_after(response, meeting_id, "comments", changed_comment=comment_id)


@post("/m/{meeting_id:int}/comments/{comment_id:int}/projector", name="comment_projector")
async def comment_projector(request: Request[Any, Any, Any], meeting_id: FromPath[int], comment_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    await comments.set_on_projector(ctx, comment_id, str(form.get("action", "")))
    response = await control_comments(request, ctx) if is_htmx(request) else back(request, f"/m/{meeting_id}/control#moderation")
    return announce_after(response, meeting_id, "comments", changed_comment=comment_id)  # phones show the pin too


# --- Check-in and raised hands ------------------------------------------------------------------------------------


@get("/m/{meeting_id:int}/checkin", name="checkin")
async def checkin_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id)
    verified, present = await session.my_household_present(ctx)
    places = {p.flat_id: p for p in await session.scope_places(ctx.meeting)} if verified else {}
    return show(request, "deliberation/checkin.html", details=ctx.meeting, can=ctx.can,
                verified_flats=[places[f] for f in verified if f in places], present_flats=present)  # fmt: skip


@post("/m/{meeting_id:int}/checkin", name="checkin_submit")
async def checkin_submit(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id)
    if not ctx.can.check_in:
        raise Forbidden(lazy("Only residents with a verified link to a flat covered by this meeting can check in."))
    await session.check_in(ctx)
    return announce_after(back(request, f"/m/{meeting_id}?checked_in=1"), meeting_id, "attendance")


@get("/m/{meeting_id:int}/hand", name="hand")
async def hand(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id)
    if not is_htmx(request):  # the fragment is part of the meeting page, never a page of its own
        return Redirect(path=f"/m/{meeting_id}#hand", status_code=303)
    return show(request, "deliberation/_hand.html", meeting=ctx.meeting, **await _hand_context(ctx))


@post("/m/{meeting_id:int}/hand", name="hand_submit")
async def hand_submit(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id)
    form = await request.form()
    if form.get("action") == "lower":
        await session.lower_hand(ctx)
    else:
        await session.raise_hand(ctx)
    if is_htmx(request):
        response: Response[Any] = show(request, "deliberation/_hand.html", meeting=ctx.meeting, **await _hand_context(ctx))
    else:
        response = Redirect(path=f"/m/{meeting_id}#hand", status_code=303)
    assert ctx.user is not None
    return announce_after(response, meeting_id, "queue", hands=(ctx.user.id,))



def _base(request: Request[Any, Any, Any]) -> str:
    return public_url(request)



# --- Projector --------------------------------------------------------------------------------------------------------


@get("/m/{meeting_id:int}/projector", name="projector")
async def projector(request: Request[Any, Any, Any], meeting_id: FromPath[int], key: FromQuery[str | None] = None) -> Template:
    """The room's screen. Opened by anyone who may see the meeting, or — on a laptop nobody is signed in to —
    with the meeting's secret projector link (the key), shown to the facilitator on the control page."""
    meeting = await get_meeting(meeting_id)
    if not feed.key_matches(meeting, key):
        user = current_user(request)
        if user is None:
            require_user(request)
        await meeting_for(user, meeting_id)
    data = await feed.gather(meeting_id, feed.PARTS, meeting)
    join_url = f"{_base(request)}/m/{meeting_id}/checkin"  # in the QR code, and word for word beside it
    return show(
        request,
        "deliberation/projector.html",
        **data,
        details=meeting,
        vote_panels=await panels.render(meeting_id, i18n.get_language()),
        qr=qr_svg(join_url, light="#fff"),
        join_url=join_url,
        now=clock.now().astimezone(ZoneInfo(get_config().timezone)),
        live_url=f"/live/{feed.projector_channel(meeting_id)}" + (f"?key={meeting['projector_key']}" if key else ""),
        language=i18n.get_language(),
    )



ROOM_ROUTES = [
    meeting_page,
    item_page,
    comment_list,
    comment_post,
    comment_page,
    comment_reply,
    comment_edit,
    comment_update,
    comment_hide,
    comment_projector,
    checkin_page,
    checkin_submit,
    hand,
    hand_submit,
    projector,
]
