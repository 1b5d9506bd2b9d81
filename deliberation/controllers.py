"""Controllers for organising meetings: lists, venues, the meeting form, guests, agenda, attachments, notices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from community.errors import Conflict, FormErrors, NotFound
from community.i18n import gettext as _
from community.i18n import lazy
from community.permissions import community_by_slug
from community.web import is_htmx, require_user
from deliberation import agenda, lifecycle, meetings, rules, uploads
from deliberation import venues as venue_service
from deliberation.access import MeetingContext, meeting_for
from deliberation.closing import CLOSING_ROUTES
from deliberation.control import CONTROL_ROUTES
from deliberation.procedure import store as procedure_store
from deliberation.procedure.store import NoticeRefused
from deliberation.room import ROOM_ROUTES
from deliberation.views import announce_after, back, show

UPLOAD_BODY = uploads.MAX_BYTES + 256 * 1024  # the file and the rest of the multipart form


def _written(problem: Any) -> str:
    """A refusal as the reader sees it: (msgid, params) or a domain error, translated and filled in."""
    message, params = (problem.message, problem.params) if hasattr(problem, "message") else problem
    return _(message).format(**params) if params else _(message)


# --- Lists ------------------------------------------------------------------------------------------------------


@get("/meetings", name="my_meetings")
async def my_meetings(request: Request[Any, Any, Any]) -> Template:
    user = require_user(request)
    groups = []
    for community in await meetings.my_communities(user):
        rows, organiser = await meetings.visible_meetings(user, int(community["id"]))
        groups.append({"community": community, "meetings": rows, "organiser": organiser})
    return show(request, "deliberation/my_meetings.html", groups=groups)


@get("/c/{slug:str}/meetings", name="community_meetings")
async def community_meetings(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    rows, organiser = await meetings.visible_meetings(user, int(community["id"]))
    return show(request, "deliberation/meetings.html", community=community, meetings=rows, organiser=organiser)


# --- Meeting form ---------------------------------------------------------------------------------------------------


async def _form_context(community_id: int) -> dict[str, Any]:
    venues = await venue_service.venues(community_id, active_only=True)
    return {
        "kind_options": [(key, _(label)) for key, label in rules.MEETING_KINDS.items()],
        "venue_options": [(v["id"], v["name"] + (" · " + v["address"] if v["address"] else "")) for v in venues],
        "staff_options": [(a["id"], a["name"]) for a in await meetings.staff_accounts(community_id)],
        "scope_options": await meetings.scope_options(community_id),
    }


@get("/c/{slug:str}/meetings/new", name="meeting_new")
async def meeting_new(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    values = {"kind": "bench", "scope_kind": "community", "speaking_limit": "3", "facilitator": str(user.id)}
    return show(request, "deliberation/meeting_form.html", community=community, meeting=None, values=values,
                errors={}, details=True, **await _form_context(int(community["id"])))  # fmt: skip


@post("/c/{slug:str}/meetings/new", name="meeting_create")
async def meeting_create(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user = require_user(request)
    community = await meetings.organiser_community(user, slug)
    form = await request.form()
    try:
        meeting_id = await meetings.create_meeting(user, int(community["id"]), form)
    except FormErrors as exc:
        return show(request, "deliberation/meeting_form.html", community=community, meeting=None, values=exc.values,
                    errors=exc.errors, details=True, status_code=422,
                    **await _form_context(int(community["id"])))  # fmt: skip
    return Redirect(path=f"/m/{meeting_id}/manage", status_code=303)


@get("/m/{meeting_id:int}/edit", name="meeting_edit")
async def meeting_edit(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    details = await meetings.meeting_details(meeting_id)
    return show(request, "deliberation/meeting_form.html", community={"slug": details["community.slug"],
                "name": details["community.name"]}, meeting=details, values=meetings.meeting_values(ctx.meeting),
                errors={}, details=ctx.meeting["status"] == "draft",
                **await _form_context(ctx.community_id))  # fmt: skip


@post("/m/{meeting_id:int}/edit", name="meeting_update")
async def meeting_update(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    try:
        await meetings.update_meeting(ctx, form)
    except FormErrors as exc:
        details = await meetings.meeting_details(meeting_id)
        values = {**meetings.meeting_values(ctx.meeting), **exc.values}
        return show(request, "deliberation/meeting_form.html", community={"slug": details["community.slug"],
                    "name": details["community.name"]}, meeting=details, values=values, errors=exc.errors,
                    details=ctx.meeting["status"] == "draft", status_code=422,
                    **await _form_context(ctx.community_id))  # fmt: skip
    return announce_after(Redirect(path=f"/m/{meeting_id}/manage", status_code=303), meeting_id, "now", "queue")


# --- Manage page: details, guests, agenda, notices, lifecycle -----------------------------------------------------


async def _manage(request: Request[Any, Any, Any], ctx: MeetingContext, *, status_code: int = 200,
                  errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                  fragment: str | None = "deliberation/_agenda_editor.html", problems: list[str] | None = None,
                  item_problem: str = "") -> Template:  # fmt: skip
    meeting = await meetings.meeting_details(ctx.id)
    items = await meetings.agenda(ctx.id)
    options = await meetings.scope_options(ctx.community_id)
    procedure, _periods = await procedure_store.procedure_of(ctx.community_id)
    grace = timedelta(minutes=procedure.start_grace_minutes)
    return show(
        request,
        "deliberation/manage.html",
        fragment=fragment,
        meeting=meeting,
        can=ctx.can,
        items=items,
        attachments=await agenda.attachments_of([int(i["id"]) for i in items]),
        guests=await meetings.guests(ctx.id),
        notices=await lifecycle.notices(ctx.id),
        scope=meetings.scope_label(meeting, options),
        guest_role_options=[(key, _(label)) for key, label in rules.GUEST_ROLES.items()],
        notice_days=procedure.days_for(str(meeting["kind"])),
        start_from=meeting["starts_at"] - grace if meeting["starts_at"] else None,
        grace_minutes=procedure.start_grace_minutes,
        problems=problems or [],
        item_problem=item_problem,
        errors=errors or {},
        values=values or {},
        status_code=status_code,
    )


async def _agenda_result(request: Request[Any, Any, Any], ctx: MeetingContext) -> Response[Any]:
    """htmx swaps the agenda editor in place; without JavaScript the manage page is loaded afresh."""
    if is_htmx(request):
        return await _manage(request, ctx)
    return Redirect(path=f"/m/{ctx.id}/manage#agenda", status_code=303)


@get("/m/{meeting_id:int}/manage", name="meeting_manage")
async def meeting_manage(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    return await _manage(request, ctx, fragment=None)


@post("/m/{meeting_id:int}/guests", name="guest_add")
async def guest_add(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    try:
        await meetings.add_guest(ctx, await request.form())
    except FormErrors as exc:
        return await _manage(request, ctx, errors=exc.errors, values=exc.values, status_code=422,
                             fragment="deliberation/_guests.html")  # fmt: skip
    return await _guests_result(request, ctx)


@post("/m/{meeting_id:int}/guests/{guest_id:int}/delete", name="guest_remove")
async def guest_remove(request: Request[Any, Any, Any], meeting_id: FromPath[int], guest_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    await meetings.remove_guest(ctx, guest_id)
    return await _guests_result(request, ctx)


async def _guests_result(request: Request[Any, Any, Any], ctx: MeetingContext) -> Response[Any]:
    if is_htmx(request):
        return await _manage(request, ctx, fragment="deliberation/_guests.html")
    return Redirect(path=f"/m/{ctx.id}/manage#guests", status_code=303)


@post("/m/{meeting_id:int}/items", name="item_add")
async def item_add(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    try:
        await agenda.add_item(ctx, form)
    except FormErrors as exc:
        return await _manage(request, ctx, errors=exc.errors, values=exc.values, status_code=422)
    except NoticeRefused as exc:  # the supplementary notice would come too late
        values = {k: str(form.get(k, "") or "") for k in ("title", "description", "origin")}
        return await _manage(request, ctx, values=values, item_problem=_written(exc), status_code=409,
                             fragment="deliberation/_agenda_editor.html" if is_htmx(request) else None)  # fmt: skip
    return announce_after(await _agenda_result(request, ctx), meeting_id, "agenda", "now")


@post("/m/{meeting_id:int}/items/{item_id:int}/move", name="item_move")
async def item_move(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    form = await request.form()
    await agenda.move_item(ctx, item_id, str(form.get("direction", "")))
    return await _agenda_result(request, ctx)


@post("/m/{meeting_id:int}/items/{item_id:int}/delete", name="item_delete")
async def item_delete(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    await agenda.delete_item(ctx, item_id)
    return await _agenda_result(request, ctx)


async def _item_page(request: Request[Any, Any, Any], ctx: MeetingContext, item_id: int, *, status_code: int = 200,
                     errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Template:  # fmt: skip
    from deliberation.access import item_of

    item = await item_of(ctx, item_id)
    return show(
        request,
        "deliberation/item_form.html",
        meeting=await meetings.meeting_details(ctx.id),
        item=item,
        attachments=(await agenda.attachments_of([item_id]))[item_id],
        values=values or {k: item[k] for k in ("title", "description", "origin")},
        errors=errors or {},
        manage_attachments=True,
        status_code=status_code,
    )


@get("/m/{meeting_id:int}/items/{item_id:int}/edit", name="item_edit")
async def item_edit(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    return await _item_page(request, ctx, item_id)


@post("/m/{meeting_id:int}/items/{item_id:int}/edit", name="item_update")
async def item_update(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    from deliberation.access import item_of

    await item_of(ctx, item_id)
    try:
        await agenda.update_item(ctx, item_id, await request.form())
    except FormErrors as exc:
        return await _item_page(request, ctx, item_id, errors=exc.errors, values=exc.values, status_code=422)
    return Redirect(path=f"/m/{meeting_id}/manage#item-{item_id}", status_code=303)


@post("/m/{meeting_id:int}/items/{item_id:int}/attachments", name="attachment_add", request_max_body_size=UPLOAD_BODY)
async def attachment_add(request: Request[Any, Any, Any], meeting_id: FromPath[int], item_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    from deliberation.access import item_of

    await item_of(ctx, item_id)
    form = await request.form()
    upload = form.get("file")
    data = await upload.read() if hasattr(upload, "read") else b""
    filename = str(getattr(upload, "filename", "") or "")
    try:
        await agenda.add_attachment(ctx, item_id, filename, data)
    except FormErrors as exc:
        item = await item_of(ctx, item_id)
        return await _item_page(request, ctx, item_id, errors=exc.errors, status_code=422,
                                values={k: item[k] for k in ("title", "description", "origin")})  # fmt: skip
    return Redirect(path=f"/m/{meeting_id}/items/{item_id}/edit#attachments", status_code=303)


@post("/m/{meeting_id:int}/attachments/{attachment_id:int}/delete", name="attachment_delete")
async def attachment_delete(request: Request[Any, Any, Any], meeting_id: FromPath[int],
                            attachment_id: FromPath[int]) -> Response[Any]:  # fmt: skip
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    row = await agenda.get_attachment(ctx, attachment_id)
    await agenda.delete_attachment(ctx, attachment_id)
    return Redirect(path=f"/m/{meeting_id}/items/{row['item']}/edit#attachments", status_code=303)


async def _visible_attachment(request: Request[Any, Any, Any], meeting_id: int, attachment_id: int) -> tuple[dict[str, Any], bool]:
    """(the attachment, whether it is public). Public like the published notice it came with; otherwise only for
    those who may see the meeting (anonymous visitors are asked to sign in, others get 404)."""
    row = await agenda.public_attachment(meeting_id, attachment_id)
    if row is not None:
        return row, True
    ctx = await meeting_for(require_user(request), meeting_id)
    return await agenda.get_attachment(ctx, attachment_id), False


def _attachment_response(row: dict[str, Any], thumb: bool, public: bool = False) -> Response[Any]:
    path = uploads.path_of(str(row["stored_name"]), thumb=thumb and row["content_type"] != "application/pdf")
    if not path.exists():
        raise NotFound(lazy("This attachment does not exist."))
    name = str(row["original_name"])
    # Images and PDFs open in the browser; the stored type was sniffed from the bytes, never taken from the upload.
    disposition = f"inline; filename*=UTF-8''{quote(name)}"
    return File(
        path=path,
        media_type=str(row["content_type"]),
        content_disposition_type="inline",
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            # The bytes of a public attachment are the same for everyone and never change (the agenda is locked).
            "Cache-Control": "public, max-age=3600" if public else "private, max-age=3600",
        },
    )


@get("/m/{meeting_id:int}/attachments/{attachment_id:int}", name="attachment")
async def attachment(request: Request[Any, Any, Any], meeting_id: FromPath[int], attachment_id: FromPath[int]) -> Response[Any]:
    row, public = await _visible_attachment(request, meeting_id, attachment_id)
    return _attachment_response(row, thumb=False, public=public)


@get("/m/{meeting_id:int}/attachments/{attachment_id:int}/thumb", name="attachment_thumb")
async def attachment_thumb(request: Request[Any, Any, Any], meeting_id: FromPath[int],
                           attachment_id: FromPath[int]) -> Response[Any]:  # fmt: skip
    row, public = await _visible_attachment(request, meeting_id, attachment_id)
    return _attachment_response(row, thumb=True, public=public)


@get("/m/{meeting_id:int}/notices", name="notices")
async def notices_page(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Template:
    ctx = await meeting_for(require_user(request), meeting_id)
    return show(request, "deliberation/notices.html", meeting=await meetings.meeting_details(meeting_id), can=ctx.can,
                notices=await lifecycle.notices(meeting_id))  # fmt: skip


@post("/m/{meeting_id:int}/start", name="meeting_start")
async def meeting_start(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    try:
        await lifecycle.change_status(ctx, "start")
    except Conflict as exc:  # too early, or no longer noticed
        return await _manage(request, ctx, problems=[_written(exc)], status_code=409, fragment=None)
    return announce_after(back(request, f"/m/{meeting_id}/control"), meeting_id, "now", "queue", "agenda",
                          every_hand=True)


@post("/m/{meeting_id:int}/projector-key", name="projector_key")
async def projector_key(request: Request[Any, Any, Any], meeting_id: FromPath[int]) -> Response[Any]:
    ctx = await meeting_for(require_user(request), meeting_id, "control")
    await meetings.rotate_projector_key(ctx)
    return back(request, f"/m/{meeting_id}/control#projector")


ROUTES = [
    my_meetings,
    community_meetings,
    meeting_new,
    meeting_create,
    meeting_edit,
    meeting_update,
    meeting_manage,
    guest_add,
    guest_remove,
    item_add,
    item_move,
    item_delete,
    item_edit,
    item_update,
    attachment_add,
    attachment_delete,
    attachment,
    attachment_thumb,
    notices_page,
    meeting_start,
    projector_key,
    *CLOSING_ROUTES,
    *ROOM_ROUTES,
    *CONTROL_ROUTES,
]
