"""Controllers of the works and running costs: milestones with their files, complaints during the works and their
handling, the maintenance contract, cost entries and yearly ledgers, and the public share card."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.errors import FormErrors, NotFound
from community.web import is_htmx, require_user
from votes.projects import rounds, share_card, store, upkeep_store, works, works_store, works_views
from votes.projects.controllers import show_project
from votes.projects.service import project_for
from votes.projects.store import ProjectContext

UPLOAD_BODY = works.MAX_FILES * works.MAX_FILE_BYTES + 512 * 1024  # six files and the rest of the form


async def _after(request: Request[Any, Any, Any], ctx: ProjectContext, section: str) -> Template | Redirect:
    """A change saved: the section again for htmx, the page for a plain form post."""
    if is_htmx(request):
        fresh = await project_for(ctx.user, ctx.id)
        return await show_project(request, fresh, fragment=f"projects/_{section}.html", oob=True)
    return Redirect(path=f"/p/{ctx.id}#{section}", status_code=303)


async def _refused(request: Request[Any, Any, Any], ctx: ProjectContext, section: str, exc: FormErrors,
                   prefix: str = "") -> Template:  # fmt: skip
    errors = {prefix + k: v for k, v in exc.errors.items()}
    values = {prefix + k: v for k, v in exc.values.items()}
    return await show_project(request, ctx, fragment=f"projects/_{section}.html", status_code=422,
                              errors=errors, values=values, oob=is_htmx(request))  # fmt: skip


# --- Milestones ------------------------------------------------------------------------------------------------


@post("/p/{project_id:int}/milestones", name="project_milestone_record", request_max_body_size=UPLOAD_BODY)
async def milestone_record(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    files: list[tuple[str, bytes]] = []
    for upload in form.getall("files") if "files" in form else []:
        if hasattr(upload, "read"):
            body = await upload.read()
            if body or getattr(upload, "filename", ""):  # an empty part without a name: no file was chosen
                files.append((str(getattr(upload, "filename", "") or ""), body))
    try:
        await works_store.record_milestone(ctx, form, files)
    except FormErrors as exc:
        return await _refused(request, ctx, "works", exc, "ms-")
    return await _after(request, ctx, "works")


async def _file(project_id: int, file_id: int, thumb: bool) -> Response[bytes]:
    project = await store.get_project(project_id)
    info = await rounds.overview(project)
    if not info.state.passed:  # published with the milestone, as public as the project's notice
        raise NotFound(store.NOT_FOUND)
    content_type, name, data = await works_store.milestone_file(project_id, file_id, thumb)
    return Response(content=data, media_type=content_type,
                    headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
                             "Content-Disposition": f"inline; filename*=UTF-8''{quote(name or f'file-{file_id}')}"})  # fmt: skip


@get("/p/{project_id:int}/milestones/files/{file_id:int}", name="project_milestone_file")
async def milestone_file(project_id: FromPath[int], file_id: FromPath[int]) -> Response[bytes]:
    return await _file(project_id, file_id, thumb=False)


@get("/p/{project_id:int}/milestones/files/{file_id:int}/thumb", name="project_milestone_thumb")
async def milestone_thumb(project_id: FromPath[int], file_id: FromPath[int]) -> Response[bytes]:
    return await _file(project_id, file_id, thumb=True)


# --- Complaints during the works ---------------------------------------------------------------------------------


@post("/p/{project_id:int}/complaints", name="project_complaint_lodge")
async def complaint_lodge(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id)
    try:
        await works_store.lodge_complaint(ctx, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "works", exc, "c-")
    return await _after(request, ctx, "works")


@post("/p/{project_id:int}/complaints/record", name="project_complaint_record")
async def complaint_record(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    try:
        await works_store.record_complaint(ctx, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "works", exc, "r-")
    return await _after(request, ctx, "works")


@post("/p/{project_id:int}/complaints/{complaint_id:int}/steps", name="project_complaint_step")
async def complaint_step(request: Request[Any, Any, Any], project_id: FromPath[int], complaint_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    try:
        await works_store.add_complaint_step(ctx, complaint_id, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "works", exc)
    return await _after(request, ctx, "works")


@post("/p/{project_id:int}/complaints/{complaint_id:int}/withdraw", name="project_complaint_withdraw")
async def complaint_withdraw(request: Request[Any, Any, Any], project_id: FromPath[int], complaint_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id)
    await works_store.withdraw_complaint(ctx, complaint_id)
    return await _after(request, ctx, "works")


# --- Running costs -----------------------------------------------------------------------------------------------


@post("/p/{project_id:int}/upkeep", name="project_upkeep_plan")
async def upkeep_plan(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    try:
        await upkeep_store.save_plan(ctx, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "upkeep", exc, "u-")
    return await _after(request, ctx, "upkeep")


@post("/p/{project_id:int}/upkeep/entries", name="project_upkeep_entry")
async def upkeep_entry(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    try:
        await upkeep_store.add_entry(ctx, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "upkeep", exc)
    return await _after(request, ctx, "upkeep")


@post("/p/{project_id:int}/upkeep/ledgers/{year:int}", name="project_upkeep_publish")
async def upkeep_publish(request: Request[Any, Any, Any], project_id: FromPath[int], year: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    try:
        await upkeep_store.publish_ledger(ctx, year, await request.form())
    except FormErrors as exc:
        return await _refused(request, ctx, "upkeep", exc)
    return await _after(request, ctx, "upkeep")


# --- The share card ----------------------------------------------------------------------------------------------


@get("/p/{project_id:int}/card.png", name="project_card")
async def project_card(project_id: FromPath[int]) -> Response[bytes]:
    """The Open Graph image of a project's public notice: public once the owners passed it."""
    project = await store.get_project(project_id)
    info = await rounds.overview(project)
    if not info.state.passed:
        raise NotFound(store.NOT_FOUND)
    card = works_views.card_of(project, info, await works_store.reached_of(project_id))
    return Response(content=share_card.render(card), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=3600", "Vary": "Accept-Language, Cookie"})  # fmt: skip


ROUTES = [
    milestone_record, milestone_file, milestone_thumb, complaint_lodge, complaint_record, complaint_step,
    complaint_withdraw, upkeep_plan, upkeep_entry, upkeep_publish, project_card,
]  # fmt: skip
