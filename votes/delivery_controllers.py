"""Controllers of the service (送达) of ballots with the silent-majority warning: one flat's delivery with its
evidence, its photo, and an owner's read receipt."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.errors import FormErrors
from community.web import require_user, see_other
from votes import deliveries
from votes.controllers import UPLOAD_LIMIT, _manage


@post("/v/{vote_id:int}/deliveries", name="votes_delivery_record", request_max_body_size=UPLOAD_LIMIT)
async def delivery_record(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template | Response[Any]:
    user = require_user(request)
    form = await request.form()
    photo = form.get("photo")
    try:
        await deliveries.record_delivery(user, vote_id, form, photo if hasattr(photo, "read") else None)
    except FormErrors as exc:
        return await _manage(request, vote_id, served_values=exc.values, served_errors=exc.errors, status_code=422)
    return see_other(request, f"/v/{vote_id}/manage?served=1#served")


@get("/v/{vote_id:int}/deliveries/{delivery_id:int}/photo", name="votes_delivery_photo")
async def delivery_photo(request: Request[Any, Any, Any], vote_id: FromPath[int], delivery_id: FromPath[int]) -> Response[bytes]:
    user = require_user(request)
    photo = await deliveries.delivery_photo(user, vote_id, delivery_id)
    return Response(content=photo.data, media_type=photo.content_type, headers={"Cache-Control": "private, no-store"})


@post("/v/{vote_id:int}/acknowledge", name="votes_acknowledge")
async def acknowledge(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Redirect:
    """The owner read the ballot and the warning in Yishi: the read receipt is their flats' evidence of service."""
    user = require_user(request)
    await deliveries.acknowledge(user, vote_id)
    return Redirect(path=f"/v/{vote_id}?read=1#warning", status_code=303)


ROUTES = [delivery_record, delivery_photo, acknowledge]
