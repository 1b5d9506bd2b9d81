"""Controllers of a project's agreement: the text and progress, generating it, signing online and on paper."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.errors import FormErrors
from community.web import current_user, page, require_user, see_other
from votes.projects import agreement_service
from votes.projects.road_views import agreement_context, visitor
from votes.projects.service import project_for
from votes.projects.views import HELPERS


async def _show(request: Request[Any, Any, Any], ctx: Any, status_code: int = 200, **extra: Any) -> Template:
    context = await agreement_context(ctx)
    context.update(extra)
    return page(request, "projects/agreement.html", status_code=status_code, **HELPERS, **context)


@get("/p/{project_id:int}/agreement", name="project_agreement")
async def agreement_page(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    """The agreement's text and progress: anyone once the owners passed the project; signing for owners,
    who has not signed and paper entries for staff in scope."""
    ctx = await visitor(current_user(request), project_id)
    return await _show(request, ctx, request_signed=request.query_params.get("signed") == "1")


@post("/p/{project_id:int}/agreement/generate", name="project_agreement_generate")
async def agreement_generate(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await agreement_service.generate(ctx, form)
    except FormErrors as exc:
        return await _show(request, ctx, status_code=422, errors=exc.errors, values=exc.values)
    return see_other(request, f"/p/{project_id}/agreement")


@post("/p/{project_id:int}/agreement/sign", name="project_agreement_sign")
async def agreement_sign(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id)
    form = await request.form()
    try:
        await agreement_service.sign_online(ctx, form)
    except FormErrors as exc:
        flat = str(form.get("flat", ""))
        return await _show(request, ctx, status_code=422, errors={f"f{flat}-{k}": v for k, v in exc.errors.items()})
    return see_other(request, f"/p/{project_id}/agreement?signed=1#mine")


@post("/p/{project_id:int}/agreement/paper", name="project_agreement_paper")
async def agreement_paper(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id, "staff")
    form = await request.form()
    upload = form.get("scan")
    data = await upload.read() if hasattr(upload, "read") else None
    try:
        await agreement_service.enter_paper(ctx, form, data)
    except FormErrors as exc:
        return await _show(request, ctx, status_code=422, errors=exc.errors, values=exc.values)
    return see_other(request, f"/p/{project_id}/agreement#paper")


@post("/p/{project_id:int}/agreement/signatures/{signature_id:int}/review", name="project_agreement_review")
async def agreement_review(request: Request[Any, Any, Any], project_id: FromPath[int], signature_id: FromPath[int]) -> Template | Response[Any]:
    ctx = await project_for(require_user(request), project_id, "staff")
    form = await request.form()
    try:
        await agreement_service.review_paper(ctx, signature_id, form)
    except FormErrors as exc:
        return await _show(request, ctx, status_code=422, errors=exc.errors)
    return see_other(request, f"/p/{project_id}/agreement#paper")


@get("/p/{project_id:int}/agreement/signatures/{signature_id:int}/scan", name="project_agreement_scan")
async def agreement_scan(request: Request[Any, Any, Any], project_id: FromPath[int], signature_id: FromPath[int]) -> Response[bytes]:
    """The scan of a paper signature: staff in scope only, never cached."""
    ctx = await project_for(require_user(request), project_id, "staff")
    scan = await agreement_service.scan_of(ctx, signature_id)
    return Response(content=scan["data"], media_type=scan["content_type"], headers={"Cache-Control": "private, no-store"})


ROUTES = [agreement_page, agreement_generate, agreement_sign, agreement_paper, agreement_review, agreement_scan]
