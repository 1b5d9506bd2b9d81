"""Controllers of canvassing (扫楼) and reminders: the tracker, one flat's status, the door-to-door sheet, sending
a reminder and printing its slips, the public share page of a vote, and an owner's notices."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from community import paging
from community.errors import Conflict, FormErrors
from community.permissions import is_staff
from community.web import current_user, page, public_url, require_user
from votes import canvass, canvass_store, paper, reminders, services, turnout
from votes.controllers import vote_context

# Flats of the tracker per page: each carries its own small form (~1 KB), 100,000 of them would be 100 MB.
FLATS_PER_PAGE = 50
# Reminder slips per page: each carries the join QR code (~2 KB); a community-wide reminder leaves tens of thousands.
SLIPS_PER_PAGE = 50
REMINDERS_SHOWN = 100  # the latest reminders the tracker lists (templates/votes/canvass.html)


def _canvass_labels() -> dict[str, Any]:
    return {"canvass_labels": canvass.STATUS_LABELS, "staff_statuses": canvass.STAFF_STATUSES,
            "reminder_templates": canvass.TEMPLATES, "reminder_methods": canvass.METHODS}  # fmt: skip


async def _tracker(request: Request[Any, Any, Any], vote_id: int, status_code: int = 200, **context: Any) -> Template:
    user = require_user(request)
    stairwell = request.query_params.get("stairwell") or None
    page_number = paging.number(request)
    tracked = await canvass_store.tracker(user, vote_id, stairwell, page_number, FLATS_PER_PAGE)
    vote = tracked.vote
    templates = {key: reminders.reminder_text(key, vote.title, vote.closes_at) for key in canvass.TEMPLATES}
    context.setdefault("flat_errors", {})
    context.setdefault("flat_values", {})
    context.setdefault("reminder_errors", {})
    return page(
        request, "votes/canvass.html", status_code=status_code, t=tracked, stairwell=stairwell,
        flat_page=tracked.flats,
        reminder_log=await reminders.log(vote, tracked.view, limit=REMINDERS_SHOWN),
        template_texts=templates, share_url=f"{public_url(request)}/v/{vote.id}/share",
        saved=request.query_params.get("saved", ""), sent=request.query_params.get("sent", ""),
        staff=await is_staff(user, vote.community_id),
        **vote_context(vote), **_canvass_labels(), **context,
    )  # fmt: skip


@get("/v/{vote_id:int}/canvass", name="votes_canvass")
async def tracker(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """Every flat of an open owners' vote in the staff member's buildings: its status, note and next visit."""
    return await _tracker(request, vote_id)


@post("/v/{vote_id:int}/canvass/{flat_id:int}", name="votes_canvass_set")
async def set_status(request: Request[Any, Any, Any], vote_id: FromPath[int], flat_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    try:
        await canvass_store.set_status(user, vote_id, flat_id, form)
    except FormErrors as exc:
        return await _tracker(request, vote_id, status_code=422, flat_errors={flat_id: exc.errors},
                              flat_values={flat_id: exc.values})  # fmt: skip
    back = str(form.get("stairwell", "") or "")
    page_number = str(form.get("page", "") or "")
    query = f"?stairwell={back}&saved={flat_id}" if back else f"?saved={flat_id}"
    if page_number.isdigit():  # back to the page of flats the form was on
        query += f"&page={page_number}"
    return Redirect(path=f"/v/{vote_id}/canvass{query}#flat-{flat_id}", status_code=303)


@get("/v/{vote_id:int}/canvass/sheet", name="votes_canvass_sheet")
async def door_sheet(request: Request[Any, Any, Any], vote_id: FromPath[int], stairwell: FromQuery[str] = "") -> Template:
    """A printable A4 door-to-door sheet of one stairwell unit: flats, owners' names, boxes to tick."""
    user = require_user(request)
    vote, stairwell, flats = await canvass_store.sheet(user, vote_id, stairwell)
    return page(request, "votes/canvass_sheet.html", flats=flats, stairwell=stairwell, today=canvass_store.today(),
                **vote_context(vote), **_canvass_labels())  # fmt: skip


@post("/v/{vote_id:int}/reminders", name="votes_reminders_send")
async def send_reminders(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    form = await request.form()
    try:
        sent = await reminders.send(user, vote_id, form)
    except FormErrors as exc:
        return await _tracker(request, vote_id, status_code=422, reminder_errors=exc.errors)
    except Conflict as exc:
        return await _tracker(request, vote_id, status_code=409, reminder_problem=exc.message)
    return Redirect(path=f"/v/{vote_id}/canvass?sent={sent.in_app}-{sent.slips}#reminders", status_code=303)


@get("/v/{vote_id:int}/reminders/slips", name="votes_reminder_slips")
async def reminder_slips(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """Today's reminder slips for flats without an account, to print and put in letterboxes."""
    user = require_user(request)
    vote, rows, total = await reminders.slips(user, vote_id, paging.number(request), SLIPS_PER_PAGE)
    base = public_url(request)
    slips = [{"flat": flat, "text": reminders.reminder_text(template, vote.title, vote.closes_at)} for flat, template in rows.items]
    return page(request, "votes/reminder_slips.html", slips=slips, slip_pages=rows, slip_total=total, join_url=f"{base}/join",
                join_qr=paper.qr_svg(f"{base}/join"), share_url=f"{base}/v/{vote.id}/share",
                **vote_context(vote))  # fmt: skip


@get("/v/{vote_id:int}/share", name="votes_share")
async def share(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """The vote in plain words for someone who has not voted, without signing in: nothing personal."""
    vote = await services.visible_vote(current_user(request), vote_id)
    context: dict[str, Any] = {}
    if vote.status in ("open", "closed"):
        context["p"] = await turnout.participation_of(vote)
    base = public_url(request)
    return page(request, "votes/share.html", share_url=f"{base}/v/{vote.id}/share", vote_url=f"{base}/v/{vote.id}",
                qr=paper.qr_svg(f"{base}/v/{vote.id}"), join_url=f"{base}/join", **vote_context(vote),
                **context)  # fmt: skip


@get("/votes/notices/{vote_notice_id:int}", name="votes_notice")
async def notice(request: Request[Any, Any, Any], vote_notice_id: FromPath[int]) -> Template:
    """One of the account's notices; opening it marks it read."""
    user = require_user(request)
    row = await reminders.open_notice(user, vote_notice_id)
    return page(request, "votes/notice.html", notice=row)


ROUTES = [tracker, set_status, door_sheet, send_reminders, reminder_slips, share, notice]
