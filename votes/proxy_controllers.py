"""Controllers of written authorisations (proxies): record, revoke, invite the holder, show the photo."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.errors import FormErrors
from community.web import page, public_url, require_user
from votes import proxies, services
from votes.controllers import UPLOAD_LIMIT, vote_context
from votes.services import VoteInfo


async def _proxies_page(request: Request[Any, Any, Any], vote: VoteInfo, values: dict[str, str] | None = None,
                        errors: dict[str, str] | None = None, status_code: int = 200, saved: bool = False,
                        invited: Any = None) -> Template:
    from community.roster.codes import format_code

    return page(request, "votes/proxies.html", fragment="votes/_proxy_form.html", proxies=await proxies.proxies_of(vote),
                values=values or {}, errors=errors or {}, saved=saved, status_code=status_code, invited=invited,
                format_code=format_code, activate_url=public_url(request) + "/activate", **vote_context(vote))


@get("/v/{vote_id:int}/proxies", name="votes_proxies")
async def proxies_page(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await services.require_facilitator(user, vote)
    return await _proxies_page(request, vote, saved=request.query_params.get("saved") == "1")


@post("/v/{vote_id:int}/proxies", name="votes_proxy_record", request_max_body_size=UPLOAD_LIMIT)
async def proxy_record(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await services.require_facilitator(user, vote)
    form = await request.form()
    photo = form.get("photo")
    try:
        await proxies.record_proxy(user, vote_id, form, photo if hasattr(photo, "read") else None)
    except FormErrors as exc:
        return await _proxies_page(request, vote, exc.values, exc.errors, status_code=422)
    return Redirect(path=f"/v/{vote_id}/proxies?saved=1", status_code=303)


@post("/v/{vote_id:int}/proxies/{proxy_id:int}/revoke", name="votes_proxy_revoke")
async def proxy_revoke(request: Request[Any, Any, Any], vote_id: FromPath[int], proxy_id: FromPath[int]) -> Redirect:
    user = require_user(request)
    await proxies.revoke_proxy(user, vote_id, proxy_id)
    return Redirect(path=f"/v/{vote_id}/proxies", status_code=303)


@post("/v/{vote_id:int}/proxies/{proxy_id:int}/invite", name="votes_proxy_invite")
async def proxy_invite(request: Request[Any, Any, Any], vote_id: FromPath[int], proxy_id: FromPath[int]) -> Template:
    """An account for a proxy holder from outside the register; the one-time code is in this response only."""
    from votes import proxy_invites

    user = require_user(request)
    try:
        invited = await proxy_invites.invite(user, vote_id, proxy_id)
    except FormErrors as exc:
        vote = await services.get_vote(vote_id)
        return await _proxies_page(request, vote, errors=exc.errors, status_code=422)
    return await _proxies_page(request, await services.get_vote(vote_id), invited=invited)


@get("/v/{vote_id:int}/proxies/{proxy_id:int}/photo", name="votes_proxy_photo")
async def proxy_photo(request: Request[Any, Any, Any], vote_id: FromPath[int], proxy_id: FromPath[int]) -> Response[bytes]:
    user = require_user(request)
    photo = await proxies.proxy_photo(user, vote_id, proxy_id)
    return Response(content=photo.data, media_type=photo.content_type, headers={"Cache-Control": "private, no-store"})


ROUTES = [proxies_page, proxy_record, proxy_revoke, proxy_invite, proxy_photo]
