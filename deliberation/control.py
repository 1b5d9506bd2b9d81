"""Controllers for running a meeting: the facilitator's control page (on a laptop or a phone), attendance and the
recorder's notes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import i18n
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from community.web import is_htmx, public_url, require_user
from deliberation import comments, feed, meetings, proceedings, session
from deliberation.access import MeetingContext, get_meeting, item_of, meeting_for
from deliberation.views import announce_after, back, form_int, show

# --- Control page (the facilitator, on a laptop or a phone) -------------------------------------------------------


def _projector_url(request: Request[Any, Any, Any], meeting: dict[str, Any]) -> str:
    return f"{public_url(request)}/m/{meeting['id']}/projector?key={meeting['projector_key']}"



async def control_context(request: Request[Any, Any, Any], ctx: MeetingContext) -> dict[str, Any]:
    meeting = await get_meeting(ctx.id)
    data = await feed.gather(ctx.id, ("now", "agenda", "queue", "attendance"))
    return {
        **data,
        "details": meeting,
        "can": ctx.can,
        "recent": await comments.recent_comments(ctx.id),
        "projector_url": _projector_url(request, meeting),
        "control_live_url": f"/live/{feed.projector_channel(ctx.id)}",
        "language": i18n.get_language(),
        "errors": {},
    }


@get("/m/{meeting_id:int}/control", name="control")
async def control_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    return show(request, "deliberation/control.html", **await control_context(request, ctx))


@get("/m/{meeting_id:int}/control/{part:str}", name="control_part")
async def control_part(request: Request[Any, Any, Any], meeting_id: FromPath[int], part: FromPath[str]) -> Template:
    """One region of the control page, fetched again when the live feed says it changed."""
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    templates = {
        "items": "deliberation/_control_items.html",
        "queue": "deliberation/_control_queue.html",
        "comments": "deliberation/_control_comments.html",
        "attendance": "deliberation/_control_attendance.html",
    }
    if part not in templates:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    return show(request, templates[part], **await control_context(request, ctx))


async def _control_region(request: Request[Any, Any, Any], ctx: MeetingContext, template: str, anchor: str) -> Response[Any]:
    if is_htmx(request):
        ctx = await meeting_for(ctx.user, ctx.id, "control")
        return show(request, template, **await control_context(request, ctx))
    return Redirect(path=f"/m/{ctx.id}/control#{anchor}", status_code=303)


async def control_comments(request: Request[Any, Any, Any], ctx: MeetingContext) -> Response[Any]:
    return await _control_region(request, ctx, "deliberation/_control_comments.html", "moderation")


@post("/m/{meeting_id:int}/current", name="current_item")
async def current_item(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    if form.get("next") == "1":
        item_id = await proceedings.next_item_id(ctx.id, ctx.meeting["current_item"])
        if item_id is None:
            raise Conflict(lazy("This is the last item of the agenda."))
    else:
        item_id = form_int(form, "item")
    await proceedings.set_current_item(ctx, item_id)
    response = await _control_region(request, ctx, "deliberation/_control_items.html", "items")
    return announce_after(response, meeting_id, "now", "agenda", "comments")


@post("/m/{meeting_id:int}/items/{item_id:int}/status", name="item_status")
async def item_status(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    await proceedings.set_item_status(ctx, item_id, str(form.get("status", "")))
    response = await _control_region(request, ctx, "deliberation/_control_items.html", "items")
    return announce_after(response, meeting_id, "now", "agenda")


@post("/m/{meeting_id:int}/queue/{request_id:int}", name="queue_action")
async def queue_action(request: Request[Any, Any, Any], meeting_id: FromPath[int], request_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    changed = await session.queue_action(ctx, request_id, str(form.get("action", "")))
    response = await _control_region(request, ctx, "deliberation/_control_queue.html", "queue")
    return announce_after(response, meeting_id, "queue", hands=tuple(changed))


# --- Attendance -----------------------------------------------------------------------------------------------------


async def _attendance_page(request: Request[Any, Any, Any], ctx: MeetingContext, status_code: int = 200,
                           errors: dict[str, str] | None = None) -> Template:  # fmt: skip
    view = await session.attendance(ctx.meeting)
    by_unit: dict[int, list[Any]] = {}
    for place in view.places:
        by_unit.setdefault(place.unit_id, []).append(place)
    return show(
        request,
        "deliberation/attendance.html",
        fragment="deliberation/_attendance.html",
        details=ctx.meeting,
        meeting=ctx.meeting,
        can=ctx.can,
        summary=view.summary,
        by_unit=by_unit,
        present=view.present,
        errors=errors or {},
        status_code=status_code,
    )


@get("/m/{meeting_id:int}/attendance", name="attendance")
async def attendance_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    return await _attendance_page(request, ctx)


@post("/m/{meeting_id:int}/attendance", name="attendance_mark")
async def attendance_mark(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    flat_id = form_int(form, "flat")
    try:
        if flat_id is None:
            raise FormErrors({"flat": lazy("This flat is not covered by the meeting.")})
        if form.get("action") == "remove":
            await session.unmark(ctx, flat_id)
        else:
            await session.mark_paper(ctx, flat_id, str(form.get("attendee_name", "") or ""))
    except FormErrors as exc:
        return await _attendance_page(request, ctx, status_code=422, errors=exc.errors)
    response = await _attendance_page(request, ctx) if is_htmx(request) else back(request, f"/m/{meeting_id}/attendance#flat-{flat_id}")
    return announce_after(response, meeting_id, "attendance")


# --- Recorder's notes ---------------------------------------------------------------------------------------------


@get("/m/{meeting_id:int}/notes", name="notes")
async def notes_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "record")
    saved = request.query_params.get("saved", "")
    return show(request, "deliberation/notes.html", details=ctx.meeting, meeting=ctx.meeting,
                can=ctx.can, items=await meetings.agenda(meeting_id), notes=await proceedings.notes(meeting_id),
                labels=proceedings.NOTE_LABELS, fields=proceedings.NOTE_FIELDS, errors={}, error_item=None,
                saved_item=int(saved) if saved.isdigit() else None)  # fmt: skip


@post("/m/{meeting_id:int}/items/{item_id:int}/notes", name="notes_save")
async def notes_save(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "record")
    item = await item_of(ctx, item_id)
    form = await request.form()
    common: dict[str, Any] = {"meeting": ctx.meeting, "labels": proceedings.NOTE_LABELS, "fields": proceedings.NOTE_FIELDS}
    try:
        await proceedings.save_note(ctx, item_id, form)
    except FormErrors as exc:
        note: dict[str, Any] | None = {**exc.values, "item": item_id}
        if is_htmx(request):
            return show(request, "deliberation/_note_form.html", item=item, note=note, errors=exc.errors,
                        status_code=422, **common)  # fmt: skip
        notes = await proceedings.notes(meeting_id)
        notes[item_id] = {**exc.values, "item": item_id}
        return show(request, "deliberation/notes.html", details=ctx.meeting,
                    can=ctx.can, items=await meetings.agenda(meeting_id), notes=notes, errors=exc.errors,
                    saved_item=None, error_item=item_id, status_code=422, **common)  # fmt: skip
    if is_htmx(request):
        note = (await proceedings.notes(meeting_id)).get(item_id)
        return show(request, "deliberation/_note_form.html", item=item, note=note, errors={}, saved=True, **common)
    return Redirect(path=f"/m/{meeting_id}/notes?saved={item_id}#notes-{item_id}", status_code=303)



CONTROL_ROUTES = [
    control_page,
    control_part,
    current_item,
    item_status,
    queue_action,
    attendance_page,
    attendance_mark,
    notes_page,
    notes_save,
]
