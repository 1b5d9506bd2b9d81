"""What owners and residents say about a project: the consent of each occupied flat's owner, and objections during
the notice (recorded by staff, lodged online, handled step by step). Forms on the project page (`votes.projects.controllers`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.errors import FormErrors
from community.web import is_htmx, require_user
from votes.projects import consents, objections
from votes.projects.controllers import after_change, back, prefixed, refused, show_project
from votes.projects.service import project_for

# --- Occupied flats and consents -----------------------------------------------------------------------------------


@post("/p/{project_id:int}/occupied", name="project_occupied_mark")
async def occupied_mark(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await consents.mark_occupied(ctx, form)
    except FormErrors as exc:
        return await refused(request, ctx, "consents", prefixed("m-", exc))
    return await after_change(request, ctx, "consents")


@post("/p/{project_id:int}/occupied/{occupied_id:int}/remove", name="project_occupied_remove")
async def occupied_remove(request: Request[Any, Any, Any], project_id: FromPath[int], occupied_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    await consents.unmark_occupied(ctx, occupied_id)
    return await after_change(request, ctx, "consents")


@post("/p/{project_id:int}/occupied/{occupied_id:int}/consent", name="project_consent_record")
async def consent_record(request: Request[Any, Any, Any], project_id: FromPath[int], occupied_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await consents.record_consent(ctx, occupied_id, form)
    except FormErrors as exc:
        return await refused(request, ctx, "consents", exc)
    return await after_change(request, ctx, "consents")


@post("/p/{project_id:int}/occupied/{occupied_id:int}/answer", name="project_consent_answer")
async def consent_answer(request: Request[Any, Any, Any], project_id: FromPath[int], occupied_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id)
    form = await request.form()
    try:
        await consents.owner_consent(ctx, occupied_id, form)
    except FormErrors as exc:
        return await refused(request, ctx, "consents", prefixed(f"a{occupied_id}-", exc))
    return await after_change(request, ctx, "consents")


# --- Objections ------------------------------------------------------------------------------------------------------


@post("/p/{project_id:int}/objections", name="project_objection_lodge")
async def objection_lodge(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id)
    form = await request.form()
    try:
        await objections.lodge_objection(ctx, form)
    except FormErrors as exc:
        return await refused(request, ctx, "objections", exc)
    if is_htmx(request):
        fresh = await project_for(ctx.user, ctx.id)
        return await show_project(request, fresh, fragment="projects/_objections.html", lodged=True, oob=True)
    return back(request, f"/p/{project_id}?lodged=1#objections")


@post("/p/{project_id:int}/objections/record", name="project_objection_record")
async def objection_record(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await objections.record_objection(ctx, form)
    except FormErrors as exc:
        return await refused(request, ctx, "objections", prefixed("p-", exc))
    return await after_change(request, ctx, "objections")


@post("/p/{project_id:int}/objections/{objection_id:int}/steps", name="project_objection_step")
async def objection_step(request: Request[Any, Any, Any], project_id: FromPath[int], objection_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await objections.add_step(ctx, objection_id, form)
    except FormErrors as exc:
        return await refused(request, ctx, "objections", exc)
    return await after_change(request, ctx, "objections")


@post("/p/{project_id:int}/objections/{objection_id:int}/withdraw", name="project_objection_withdraw")
async def objection_withdraw(request: Request[Any, Any, Any], project_id: FromPath[int], objection_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id)
    await objections.withdraw_objection(ctx, objection_id)
    return await after_change(request, ctx, "objections")


ROUTES = [
    occupied_mark, occupied_remove, consent_record, consent_answer, objection_lodge, objection_record, objection_step, objection_withdraw,
]
