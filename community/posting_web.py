"""Pages of proof of posting: the staff page that adds photos of a posted notice, and the photos themselves
(public, as the notice they prove is)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community import posting_store, postings
from community.clock import now
from community.config import get_config
from community.errors import Forbidden, FormErrors
from community.web import page, require_user, see_other

UPLOAD_BODY = postings.MAX_PHOTOS * postings.MAX_BYTES + 512 * 1024  # six photos and the rest of the form


async def _page(request: Request[Any, Any, Any], kind: str, notice_id: int, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Template:  # fmt: skip
    user = require_user(request)
    where = await posting_store.target(kind, notice_id)
    if not await posting_store.may_post(user, where):
        raise Forbidden(posting_store.NOT_ALLOWED)
    today = now().astimezone(ZoneInfo(get_config().timezone)).date().isoformat()
    return page(request, "app/postings.html", where=where, kind=kind, notice_id=notice_id, kind_label=postings.NOTICE_KINDS[kind],
                postings=await posting_store.postings_of(kind, notice_id), values=values or {"day": today},
                errors=errors or {}, max_photos=postings.MAX_PHOTOS, status_code=status_code)  # fmt: skip


@get("/postings/{kind:str}/{notice_id:int}", name="postings_page")
async def postings_page(request: Request[Any, Any, Any], kind: FromPath[str], notice_id: FromPath[int]) -> Template:
    """Staff who may post the notice: its proofs so far and the form for another."""
    return await _page(request, kind, notice_id)


@post("/postings/{kind:str}/{notice_id:int}", name="postings_add", request_max_body_size=UPLOAD_BODY)
async def postings_add(request: Request[Any, Any, Any], kind: FromPath[str], notice_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    files: list[bytes] = []
    for upload in form.getall("photos") if "photos" in form else []:
        if hasattr(upload, "read"):
            body = await upload.read()
            if body or getattr(upload, "filename", ""):  # an empty part without a name: no file was chosen
                files.append(body)
    values = {name: str(form.get(name, "") or "").strip() for name in ("place", "day", "time")}
    try:
        await posting_store.add_posting(user, kind, notice_id, values["place"], values["day"], values["time"], files)
    except FormErrors as exc:
        return await _page(request, kind, notice_id, values, exc.errors, status_code=422)
    where = await posting_store.target(kind, notice_id)
    return see_other(request, f"{where.page}#postings")


async def _photo(photo_id: int, thumb: bool) -> Response[bytes]:
    content_type, data = await posting_store.photo(photo_id, thumb)
    return Response(content=data, media_type=content_type,
                    headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
                             "Content-Disposition": f"inline; filename=posting-{photo_id}{'-thumb' if thumb else ''}"})  # fmt: skip


@get("/postings/photos/{photo_id:int}", name="postings_photo")
async def postings_photo(photo_id: FromPath[int]) -> Response[bytes]:
    return await _photo(photo_id, thumb=False)


@get("/postings/photos/{photo_id:int}/thumb", name="postings_photo_thumb")
async def postings_photo_thumb(photo_id: FromPath[int]) -> Response[bytes]:
    return await _photo(photo_id, thumb=True)


ROUTES = [postings_page, postings_add, postings_photo, postings_photo_thumb]
