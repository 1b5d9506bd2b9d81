"""Pages of the concerns' figures and of what is public: the staff's figures page (with the settings and the
monthly summary's publication), the published summaries, the public list, the open data and the street."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from community.errors import FormErrors
from community.safetext import parse_id
from community.web import current_user, form_values, require_user
from deliberation.concerns import core, reports, services, street, topics
from deliberation.concerns.web import back, show

PUBLIC_CACHE = "public, max-age=60"
OPEN_DATA_CACHE = "public, max-age=300"


def _cache(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Public pages may be kept a minute for visitors who are not signed in; a signed-in visitor's are not."""
    return {"Cache-Control": PUBLIC_CACHE} if current_user(request) is None else {}


async def _figures_page(request: Request[Any, Any, Any], slug: str, month: str, errors: dict[str, str] | None = None,
                        values: dict[str, str] | None = None, status_code: int = 200, **extra: Any) -> Template:  # fmt: skip
    view = await reports.figures_page(require_user(request), slug, month)
    return show(request, "concerns/figures.html", status_code=status_code, v=view, community=view.community,
                errors=errors or {}, values=values or core.settings_to_json(view.settings), **extra)  # fmt: skip


@get("/c/{slug:str}/concerns/figures", name="concerns_figures")
async def concerns_figures(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    return await _figures_page(request, slug, str(request.query_params.get("month", "") or ""),
                               saved=request.query_params.get("saved") == "1",
                               published=request.query_params.get("published") == "1")  # fmt: skip


@post("/c/{slug:str}/concerns/figures/publish", name="concerns_publish")
async def concerns_publish(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    form = await request.form()
    month = await reports.publish_month(require_user(request), slug, str(form.get("month", "") or ""))
    return back(request, f"/c/{slug}/concerns/figures?month={month}&published=1")


@post("/c/{slug:str}/concerns/settings", name="concerns_settings")
async def concerns_settings(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    community, _standing = await services.community_context(user, slug)
    form = await request.form()
    values = form_values(form, *core.SETTING_RANGES)
    try:
        await services.save_settings(user, services.SaveSettings(int(community["id"]), values))
    except FormErrors as exc:
        return await _figures_page(request, slug, "", exc.errors, values, 422)
    return back(request, f"/c/{slug}/concerns/figures?saved=1#settings")


@get("/c/{slug:str}/concerns/reports/{month:str}", name="concerns_report")
async def concerns_report(request: Request[Any, Any, Any], slug: FromPath[str], month: FromPath[str]) -> Template:
    view = await reports.report(slug, month)
    return show(request, "concerns/report.html", r=view, community=view.community, c=view.content,
                headers=_cache(request))  # fmt: skip


@get("/c/{slug:str}/concerns/public", name="concerns_public")
async def concerns_public(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    page_number = parse_id(request.query_params.get("page", "1")) or 1
    item_text = str(request.query_params.get("item", "") or "")
    view = await topics.public_list(slug, parse_id(item_text) if item_text else None, page_number)
    return show(request, "concerns/public.html", p=view, community=view.community, headers=_cache(request))


def _csv(body: bytes, name: str) -> Response[bytes]:
    # Litestar adds "; charset=utf-8" to a text/* type: the header reads exactly opendata.MEDIA_TYPE.
    return Response(content=body, media_type="text/csv", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": OPEN_DATA_CACHE})  # fmt: skip


@get("/c/{slug:str}/open-data/concerns.csv", name="concerns_csv")
async def concerns_csv(slug: FromPath[str]) -> Response[bytes]:
    return _csv(await reports.community_csv(slug), f"{slug}-concerns.csv")


@get("/s/{slug:str}", name="street")
async def street_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    view = await street.street_page(current_user(request), slug, str(request.query_params.get("month", "") or ""))
    return show(request, "concerns/street.html", s=view, headers={} if view.staff else _cache(request))


@get("/s/{slug:str}/open-data/concerns.csv", name="street_concerns_csv")
async def street_csv(slug: FromPath[str]) -> Response[bytes]:
    return _csv(await street.street_csv(slug), f"{slug}-concerns.csv")


ROUTES = [concerns_figures, concerns_publish, concerns_settings, concerns_report, concerns_public, concerns_csv,
          street_page, street_csv]  # fmt: skip
