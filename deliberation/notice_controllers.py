"""Publishing a meeting's notice: refused with every reason at once (procedure), or, when its text names
people of the register, shown where and asked (deliberation/names_check.py); else published."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath
from litestar.response import Template

from community.roster import names
from community.web import page, require_user
from deliberation import names_check
from deliberation.access import meeting_for
from deliberation.controllers import _manage, _written
from deliberation.procedure.store import NoticeRefused
from deliberation.views import announce_after, back


@post("/m/{meeting_id:int}/notice", name="notice_publish")
async def notice_publish(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any] | Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    confirmed = names.confirmed_names(str(form.get("names_confirmed", ""))) if form.get("names_checked") == "1" else []
    try:
        await names_check.publish_notice(ctx, confirmed)
    except NoticeRefused as exc:  # every reason at once, on the manage page: nothing was published
        return await _manage(request, ctx, problems=[_written(p) for p in exc.problems], status_code=409, fragment=None)
    except names.NamesFound as exc:
        return page(request, "minutes/names_check.html", status_code=409, found=exc.found, names=exc.names,
                    title=ctx.meeting["title"], edit_url=f"/m/{meeting_id}/manage#agenda",
                    action_url=f"/m/{meeting_id}/notice")  # fmt: skip
    return announce_after(back(request, f"/m/{meeting_id}/manage#notices"), meeting_id, "now", "agenda")


ROUTES = [notice_publish]
