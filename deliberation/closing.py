"""Closing a meeting is asked for first: a page says what the close does, and only its form, which carries the
confirmation, closes. The same page answers a close posted without it (an old page, a double click elsewhere),
so nothing closes by accident, with or without JavaScript."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.errors import Conflict
from community.web import require_user
from deliberation import lifecycle, rules, session
from deliberation.access import MeetingContext, meeting_for
from deliberation.views import announce_after, back, show

CONFIRM_FIELD = "confirm"


def confirmed(form: Any) -> bool:
    """The close form's hidden field: present only on the confirmation page's form."""
    return str(form.get(CONFIRM_FIELD, "") or "") == "yes"


async def _confirm_page(request: Request[Any, Any, Any], ctx: MeetingContext, status_code: int = 200) -> Template:
    try:
        rules.next_status(str(ctx.meeting["status"]), "close")
    except rules.RuleError as exc:  # nothing to confirm: say why at once
        raise Conflict(exc.message) from exc
    queue = await session.queue(ctx.id, int(ctx.meeting["speaking_limit"]))
    waiting = len(queue.waiting) + (1 if queue.speaking else 0)
    return show(request, "deliberation/close.html", status_code=status_code, meeting=ctx.meeting, details=ctx.meeting,
                waiting=waiting, asked=status_code != 200)  # fmt: skip


@get("/m/{meeting_id:int}/close", name="meeting_close_confirm")
async def meeting_close_confirm(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    if ctx.meeting["status"] != "in_session":  # nothing to ask (an old link): the control page says where it is
        return Redirect(path=f"/m/{meeting_id}/control", status_code=303)
    return await _confirm_page(request, ctx)


@post("/m/{meeting_id:int}/close", name="meeting_close")
async def meeting_close(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    if not confirmed(await request.form()):
        return await _confirm_page(request, ctx, status_code=422)
    await lifecycle.change_status(ctx, "close")
    return announce_after(back(request, f"/m/{meeting_id}/manage"), meeting_id, "now", "queue", "agenda",
                          every_hand=True)  # fmt: skip


CLOSING_ROUTES = [meeting_close_confirm, meeting_close]
