"""Controllers of the minutes and the public notice board: board, feed, minutes pages and records, drafts."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import posting_store
from community.errors import FormErrors, NotFound
from community.permissions import is_staff
from community.roster import names
from community.safetext import parse_id
from community.web import current_user, page, public_url, require_user, see_other
from deliberation import names_check
from deliberation.minutes import board as board_service
from deliberation.minutes import drafts, notices, pages, public_chain, service
from deliberation.text import render_markdown

PUBLIC_CACHE = "public, max-age=60"
PRIVATE_CACHE = "private, no-store"


def _cache(request: Request[Any, Any, Any]) -> str:
    """Public pages are the same for every visitor who is not signed in, so phones and proxies may keep them
    a minute (unless their links come from the request's Host: see community.web.cache_policy); a signed-in
    visitor's page carries their own header and is not kept at all."""
    return PUBLIC_CACHE if current_user(request) is None else PRIVATE_CACHE


def show(request: Request[Any, Any, Any], template: str, *, fragment: str | None = None, status_code: int = 200,
         headers: dict[str, str] | None = None, **context: Any) -> Template:  # fmt: skip
    return page(request, template, fragment=fragment, status_code=status_code, headers=headers,
                **pages.GLOBALS, **context)  # fmt: skip


def back(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    return see_other(request, path)


# --- Public: the notice board and its feed ----------------------------------------------------------------


@get("/c/{slug:str}", name="noticeboard")
async def noticeboard(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    found = await board_service.board(slug, dict(request.query_params))
    user = current_user(request)
    return show(
        request,
        "noticeboard/board.html",
        fragment="noticeboard/_minutes_list.html",
        board=found,
        staff=await is_staff(user, int(found.community["id"])) if user else False,
        page_url=public_url(request) + f"/c/{slug}",
        headers={"Cache-Control": _cache(request)},
    )


@get("/c/{slug:str}/feed.atom", name="noticeboard_feed")
async def noticeboard_feed(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    base = public_url(request)
    community, entries = await board_service.feed(slug, base)
    body = pages.render_feed(community, entries, base)
    return Response(
        content=body.encode("utf-8"),
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": PUBLIC_CACHE},
    )


@get("/c/{slug:str}/chain.json", name="noticeboard_chain")
async def noticeboard_chain(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    """Every publication of the community with what its hash covers: check it with docs/publications.md."""
    document = await public_chain.chain_document(slug)
    return Response(
        content=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": PUBLIC_CACHE, "Content-Disposition": f'inline; filename="{slug}-chain.json"'},
    )


# --- Public: published minutes, their records -------------------------------------------------------------


def _parse_ref(ref: str, suffix: str = ".json") -> tuple[int, bool]:
    as_json = ref.endswith(suffix)
    number = parse_id(ref[: -len(suffix)] if as_json else ref)
    if number is None:
        raise NotFound(service.NOT_FOUND)
    return number, as_json


@get("/minutes/{ref:str}", name="minutes_page")
async def minutes_page(request: Request[Any, Any, Any], ref: FromPath[str]) -> Response[Any] | Template:
    minutes_id, as_json = _parse_ref(ref)
    user = current_user(request)
    if as_json:
        records = await pages.records_document(user, minutes_id, public_url(request))
        return Response(
            content=json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8"),
            media_type="application/json; charset=utf-8",
            headers={"Cache-Control": _cache(request), "Vary": "Cookie"},
        )
    view = await pages.minutes_view(user, minutes_id, public_url(request))
    return show(request, "minutes/minutes.html", view=view, headers={"Cache-Control": _cache(request)})


@get("/notices/{notice_id:int}", name="meeting_notice_page")
async def meeting_notice_page(request: Request[Any, Any, Any], notice_id: FromPath[int]) -> Template:
    """A meeting's notice as published in the chain: public, printable for the stairwell's notice board."""
    view = await notices.notice_view(notice_id, public_url(request))
    postings = await posting_store.panel(current_user(request), "meeting_notice", notice_id)  # proof of posting
    return show(request, "noticeboard/meeting_notice.html", view=view, postings=postings,
                headers={"Cache-Control": _cache(request)})


@get("/notices/{notice_id:int}/print.css", name="meeting_notice_print_css")
async def meeting_notice_print_css(request: Request[Any, Any, Any], notice_id: FromPath[int]) -> Response[Any]:
    view = await notices.notice_view(notice_id, public_url(request))
    return Response(
        content=pages.page_margin_css(notices.print_label(view)).encode("utf-8"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Language, Cookie"},
    )


@get("/minutes/{minutes_id:int}/votes/{ref:str}", name="minutes_vote_record")
async def minutes_vote_record(request: Request[Any, Any, Any], minutes_id: FromPath[int], ref: FromPath[str]) -> Response[Any]:
    vote_id, as_json = _parse_ref(ref)
    if not as_json:
        raise NotFound(service.NOT_FOUND)
    record = await pages.vote_record(current_user(request), minutes_id, vote_id)
    return Response(
        content=json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json; charset=utf-8",
        headers={
            "Cache-Control": _cache(request),
            "Vary": "Cookie",
            "Content-Disposition": f'inline; filename="minutes-{minutes_id}-vote-{vote_id}.json"',
        },
    )


@get("/minutes/{minutes_id:int}/print.css", name="minutes_print_css")
async def minutes_print_css(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any]:
    css = await pages.print_stylesheet(current_user(request), minutes_id)
    return Response(
        content=css.encode("utf-8"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": _cache(request), "Vary": "Cookie, Accept-Language"},
    )


# --- Staff: the list, drafts, sign-off, publication -------------------------------------------------------


@get("/c/{slug:str}/minutes", name="minutes_workspace")
async def minutes_workspace(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    data = await service.workspace(user, slug)
    return show(request, "minutes/workspace.html", **data)


@post("/c/{slug:str}/minutes", name="minutes_start")
async def minutes_start(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    what = str(form.get("start", "") or "")
    kind, _sep, text = what.partition("-")
    number = parse_id(text)
    if number is None:
        raise NotFound(service.NOT_FOUND)
    if kind == "meeting":
        minutes_id = await drafts.start_for_meeting(user, slug, number)
    elif kind == "vote":
        minutes_id = await drafts.start_for_vote(user, slug, number)
    elif kind == "notice":
        minutes_id = await drafts.start_notice(user, slug, number)
    else:
        raise NotFound(service.NOT_FOUND)
    return back(request, f"/minutes/{minutes_id}/edit")


async def _edit_page(request: Request[Any, Any, Any], minutes_id: int, *, status_code: int = 200,
                     errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                     fragment: str | None = None, previews: dict[str, str] | None = None,
                     notice: str = "") -> Template:  # fmt: skip
    user = require_user(request)
    current = await service.draft(user, minutes_id)
    if current.row["status"] == "published":
        raise NotFound(service.NOT_FOUND)
    return show(
        request,
        "minutes/edit.html",
        fragment=fragment,
        draft=current,
        errors=errors or {},
        values=values or {},
        previews=previews or {},
        notice=notice,
        status_code=status_code,
    )


@get("/minutes/{minutes_id:int}/edit", name="minutes_edit")
async def minutes_edit(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Template | Redirect:
    user = require_user(request)
    row, _can = await service.for_staff(user, minutes_id)
    if row["status"] == "published":
        return Redirect(path=f"/minutes/{minutes_id}", status_code=303)
    return await _edit_page(request, minutes_id, notice=str(request.query_params.get("done", "")))


@post("/minutes/{minutes_id:int}/parts/{part:str}", name="minutes_part_save")
async def minutes_part_save(request: Request[Any, Any, Any], minutes_id: FromPath[int], part: FromPath[str]) -> Response[Any] | Template:
    user = require_user(request)
    form = await request.form()
    text = str(form.get("text", "") or "")
    if form.get("action") == "preview":
        # Without JavaScript the "Preview" button shows the page again with the text and its preview, unsaved.
        return await _edit_page(request, minutes_id, values={part: text}, previews={part: text})
    try:
        await drafts.save_part(user, minutes_id, part, text)
    except FormErrors as exc:
        return await _edit_page(request, minutes_id, status_code=422, errors=exc.errors, values={part: text},
                                fragment="minutes/_edit_body.html")  # fmt: skip
    return back(request, f"/minutes/{minutes_id}/edit?done=saved#part-{part}")


@post("/minutes/{minutes_id:int}/preview", name="minutes_preview")
async def minutes_preview(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Template:
    user = require_user(request)
    await service.for_staff(user, minutes_id, "edit")
    form = await request.form()
    part = str(form.get("part", "") or "")[:40]
    text = str(form.get("text", "") or "")[: 2 * 20000]
    return show(request, "minutes/_preview.html", part=part, html=render_markdown(text))


@post("/minutes/{minutes_id:int}/settings", name="minutes_settings")
async def minutes_settings(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any] | Template:
    user = require_user(request)
    form = await request.form()
    try:
        await drafts.save_settings(user, minutes_id, form)
    except FormErrors as exc:
        return await _edit_page(request, minutes_id, status_code=422, errors=exc.errors, values=exc.values,
                                fragment="minutes/_edit_body.html")  # fmt: skip
    return back(request, f"/minutes/{minutes_id}/edit?done=settings")


@post("/minutes/{minutes_id:int}/sign", name="minutes_sign")
async def minutes_sign(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    await service.sign(user, minutes_id, str(form.get("role", "")), str(form.get("hash", "")))
    return back(request, f"/minutes/{minutes_id}/edit?done=signed")


@post("/minutes/{minutes_id:int}/publish", name="minutes_publish")
async def minutes_publish(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any] | Template:
    """Publish; first, if the text names people of the register, show where and ask (community/roster/names.py)."""
    user = require_user(request)
    form = await request.form()
    confirmed = names.confirmed_names(str(form.get("names_confirmed", ""))) if form.get("names_checked") == "1" else []
    try:
        await names_check.publish_minutes(user, minutes_id, confirmed)
    except names.NamesFound as exc:
        row = await service.load(minutes_id)
        return page(request, "minutes/names_check.html", status_code=409, found=exc.found, names=exc.names,
                    title=row["title"], edit_url=f"/minutes/{minutes_id}/edit", action_url=f"/minutes/{minutes_id}/publish")  # fmt: skip
    return back(request, f"/minutes/{minutes_id}")


@post("/minutes/{minutes_id:int}/addendum", name="minutes_addendum")
async def minutes_addendum(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    addendum = await drafts.start_addendum(user, minutes_id)
    return back(request, f"/minutes/{addendum}/edit")


@post("/minutes/{minutes_id:int}/discard", name="minutes_discard")
async def minutes_discard(request: Request[Any, Any, Any], minutes_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    slug = await drafts.discard(user, minutes_id)
    return back(request, f"/c/{slug}/minutes")


ROUTES = [
    noticeboard_chain,
    noticeboard,
    noticeboard_feed,
    minutes_page,
    minutes_vote_record,
    minutes_print_css,
    meeting_notice_page,
    meeting_notice_print_css,
    minutes_workspace,
    minutes_start,
    minutes_edit,
    minutes_part_save,
    minutes_preview,
    minutes_settings,
    minutes_sign,
    minutes_publish,
    minutes_addendum,
    minutes_discard,
]
