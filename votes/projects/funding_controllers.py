"""Controllers of a project's funding: the plan and its progress, sources of money, each flat's payment."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.errors import FormErrors
from community.web import current_user, page, require_user, see_other
from votes.projects import funding_service
from votes.projects.road_views import funding_context, visitor
from votes.projects.service import project_for
from votes.projects.views import HELPERS


async def _show(request: Request[Any, Any, Any], ctx: Any, status_code: int = 200, **extra: Any) -> Template:
    context = await funding_context(ctx)
    context.update(extra)
    return page(request, "projects/funding.html", status_code=status_code, **HELPERS, **context)


@get("/p/{project_id:int}/funding", name="project_funding")
async def funding_page(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    """Totals and progress for anyone once the owners passed the project; each flat's payment for staff only."""
    ctx = await visitor(current_user(request), project_id)
    return await _show(request, ctx)


@post("/p/{project_id:int}/funding/sources", name="project_funding_source_add")
async def source_add(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await funding_service.add_source(ctx, form)
    except FormErrors as exc:
        return await _show(request, ctx, status_code=422, errors=exc.errors, values=exc.values)
    return see_other(request, f"/p/{project_id}/funding#sources")


@post("/p/{project_id:int}/funding/sources/{source_id:int}/remove", name="project_funding_source_remove")
async def source_remove(request: Request[Any, Any, Any], project_id: FromPath[int], source_id: FromPath[int]) -> Response[Any]:
    ctx = await project_for(require_user(request), project_id, "manage")
    await funding_service.remove_source(ctx, source_id)
    return see_other(request, f"/p/{project_id}/funding#sources")


@post("/p/{project_id:int}/funding/sources/{source_id:int}/received", name="project_funding_source_received")
async def source_received(request: Request[Any, Any, Any], project_id: FromPath[int], source_id: FromPath[int]) -> Response[Any]:
    ctx = await project_for(require_user(request), project_id, "staff")
    await funding_service.source_received(ctx, source_id, await request.form())
    return see_other(request, f"/p/{project_id}/funding#sources")


@post("/p/{project_id:int}/funding/flats/{flat_id:int}/payment", name="project_funding_payment")
async def payment_record(request: Request[Any, Any, Any], project_id: FromPath[int], flat_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id, "staff")
    form = await request.form()
    try:
        await funding_service.record_payment(ctx, flat_id, form)
    except FormErrors as exc:
        return await _show(request, ctx, status_code=422, errors=exc.errors, values=exc.values)
    return see_other(request, f"/p/{project_id}/funding#flat-{flat_id}")


ROUTES = [funding_page, source_add, source_remove, source_received, payment_record]
