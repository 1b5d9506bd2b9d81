"""Controllers of projects: lists and forms, the project page with its sections, diagram, visit list, notice.

Consents of occupied flats and objections are posted to `votes.projects.objection_controllers`.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community.canonical import fingerprint
from community.errors import Conflict, FormErrors, NotFound
from community.permissions import community_by_slug, require_rule
from community.roster.scope import attachments
from community.web import current_user, is_htmx, page, public_url, require_user
from votes.agenda import agenda_choices
from votes.projects import (
    budget,
    building,
    consents,
    kinds,
    lifecycle,
    road_views,
    rounds,
    service,
    store,
    voting,
    works,
    works_views,
)
from votes.projects.service import project_for
from votes.projects.store import ProjectContext
from votes.projects.terms import form_values as terms_form_values
from votes.projects.views import HELPERS
from votes.shares import GUANGZHOU_COEFFICIENTS


def show(request: Request[Any, Any, Any], template: str, **context: Any) -> Template:
    return page(request, template, **HELPERS, **context)


def back(request: Request[Any, Any, Any], path: str) -> Redirect:
    """After a change made without JavaScript: see the page again (a reload does not post twice)."""
    return Redirect(path=path, status_code=303)


# --- Lists, settings, new project ---------------------------------------------------------------------------------


@get("/c/{slug:str}/projects", name="projects_index")
async def projects_index(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community, rows, manage, staff = await service.community_projects(user, slug)
    return show(request, "projects/index.html", community=community, projects=rows, manage=manage, staff=staff)


async def _settings_page(request: Request[Any, Any, Any], community: dict[str, Any], values: dict[str, str],
                         errors: dict[str, str], saved: bool = False, status_code: int = 200) -> Template:  # fmt: skip
    return show(request, "projects/settings.html", community=community, values=values, errors=errors, saved=saved,
                status_code=status_code)  # fmt: skip


@get("/c/{slug:str}/projects/settings", name="projects_settings")
async def settings_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "run_projects")
    settings = await store.community_settings(int(community["id"]))
    values = {k: str(v) for k, v in kinds.settings_to_json(settings).items()}
    return await _settings_page(request, community, values, {})


@post("/c/{slug:str}/projects/settings", name="projects_settings_save")
async def settings_save(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    try:
        settings = await service.save_community_settings(user, int(community["id"]), form)
    except FormErrors as exc:
        return await _settings_page(request, community, exc.values, exc.errors, status_code=422)
    values = {k: str(v) for k, v in kinds.settings_to_json(settings).items()}
    return await _settings_page(request, community, values, {}, saved=True)


async def _new_page(request: Request[Any, Any, Any], community: dict[str, Any], values: dict[str, str],
                    errors: dict[str, str], status_code: int = 200) -> Template:  # fmt: skip
    places = await service.place_choices(int(community["id"]))
    settings = await store.community_settings(int(community["id"]))
    defaults = {kind: kinds.default_matter(kind, settings) for kind in kinds.PROJECT_KINDS}
    return show(request, "projects/new.html", community=community, place_options=[(p.value, p.label) for p in places],
                values=values, errors=errors, defaults=defaults, project=None, has_vote=False,
                status_code=status_code)  # fmt: skip


@get("/c/{slug:str}/projects/new", name="projects_new")
async def project_new(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await require_rule(user, int(community["id"]), "run_projects")
    return await _new_page(request, community, {"kind": "elevator"}, {})


@post("/c/{slug:str}/projects", name="projects_create")
async def project_create(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    try:
        project_id = await service.create_project(user, int(community["id"]), form)
    except FormErrors as exc:
        return await _new_page(request, community, exc.values, exc.errors, status_code=422)
    return Redirect(path=f"/p/{project_id}/terms", status_code=303)


# --- The project page -----------------------------------------------------------------------------------------


async def project_context(ctx: ProjectContext, **extra: Any) -> dict[str, Any]:
    """Everything the project page and its sections show, for this user."""
    project = ctx.project
    info = ctx.read or await rounds.overview(project)
    shares = await rounds.current_shares(project, info)
    context: dict[str, Any] = {
        "project": project,
        "can": ctx.can,
        "info": info,
        "state": info.state,
        "shares": shares,
        "diagram": await building.diagram_of(project, info, viewer=await building.viewer_in(ctx, info)),
        "my_flats": await budget.my_flats(ctx),
        "errors": {},
        "values": {},
        "notice_last_day": None,
        "may_lodge": False,
        "answerable": set(),
        "my_objections": [],
        "flat_options": [(f.flat_id, f.unit) for f in shares.flats],
        "oob": False,
    }
    if info.state.notice_ends_at is not None:
        context["notice_last_day"] = lifecycle.last_day(info.state.notice_ends_at, store.tz())
    user = ctx.user
    if user is not None:
        context["may_lodge"] = lifecycle.may_lodge_online(info.state, service.now()) and bool(
            await attachments(user.id, ctx.community_id)
        )
        context["answerable"] = await consents.owners_of_occupied(info, user.id, ctx.community_id)
        context["my_objections"] = [o for o in info.objections if o["account"] == user.id]
    if ctx.can.manage:
        context["agenda_items"] = await agenda_choices(ctx.community_id)
        context["community_flats"] = await budget.community_flats(ctx.community_id)
        context["today"] = service.now().astimezone(store.tz()).date().isoformat()
    context.update(await road_views.extras(ctx, info), **await works_views.page_context(ctx, info), **extra)
    context["construction_started"] = works.construction_started(context.get("reached", {}))
    return context


async def show_project(request: Request[Any, Any, Any], ctx: ProjectContext, fragment: str | None = None,
                       status_code: int = 200, **extra: Any) -> Template:  # fmt: skip
    context = await project_context(ctx, **extra)
    return page(request, "projects/project.html", fragment=fragment, status_code=status_code, **HELPERS, **context)


@get("/p/{project_id:int}", name="project")
async def project_page(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    ctx = await project_for(require_user(request), project_id)
    return await show_project(request, ctx)


async def after_change(request: Request[Any, Any, Any], ctx: ProjectContext, section: str) -> Template | Redirect:
    """A change saved: the section again for htmx, the page for a plain form post."""
    if is_htmx(request):
        fresh = await project_for(ctx.user, ctx.id)
        return await show_project(request, fresh, fragment=f"projects/_{section}.html", oob=True)
    return back(request, f"/p/{ctx.id}#{section}")


def prefixed(prefix: str, exc: FormErrors) -> FormErrors:
    """Field names of one form among several on the page."""
    return FormErrors({prefix + k: v for k, v in exc.errors.items()}, {prefix + k: v for k, v in exc.values.items()})


async def refused(request: Request[Any, Any, Any], ctx: ProjectContext, section: str, exc: FormErrors) -> Template:
    return await show_project(request, ctx, fragment=f"projects/_{section}.html", status_code=422,
                              errors=exc.errors, values=exc.values, oob=is_htmx(request))  # fmt: skip


# --- Editing the project and its terms ------------------------------------------------------------------------------


async def _edit_page(request: Request[Any, Any, Any], ctx: ProjectContext, values: dict[str, str],
                     errors: dict[str, str], status_code: int = 200) -> Template:  # fmt: skip
    settings = await store.community_settings(ctx.community_id)
    defaults = {kind: kinds.default_matter(kind, settings) for kind in kinds.PROJECT_KINDS}
    has_vote = await rounds.has_vote(ctx.id)
    return show(request, "projects/edit.html", project=ctx.project, values=values, errors=errors, defaults=defaults,
                has_vote=has_vote, status_code=status_code)  # fmt: skip


@get("/p/{project_id:int}/edit", name="project_edit")
async def project_edit(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    ctx = await project_for(require_user(request), project_id, "manage")
    return await _edit_page(request, ctx, service.project_values(ctx.project), {})


@post("/p/{project_id:int}/edit", name="project_update")
async def project_update(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await service.update_project(ctx, form)
    except FormErrors as exc:
        return await _edit_page(request, ctx, exc.values, exc.errors, status_code=422)
    return back(request, f"/p/{project_id}")


async def _terms_page(request: Request[Any, Any, Any], ctx: ProjectContext, values: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Template:  # fmt: skip
    info = await rounds.overview(ctx.project)
    flats = await budget.roster_flats(ctx.project)
    floors = sorted({f.floor for f in flats})
    if values is None:
        values = terms_form_values(budget.terms_of(ctx.project), flats)
    preview = budget.shares_of(budget.terms_of(ctx.project), flats, frozen=False)
    return show(request, "projects/terms.html", project=ctx.project, info=info, flats=flats, floors=floors,
                values=values, errors=errors or {}, preview=preview, status_code=status_code,
                guangzhou={floor: str(v) for floor, v in GUANGZHOU_COEFFICIENTS.items()})  # fmt: skip


@get("/p/{project_id:int}/terms", name="project_terms")
async def project_terms(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    ctx = await project_for(require_user(request), project_id, "manage")
    return await _terms_page(request, ctx)


@post("/p/{project_id:int}/terms", name="project_terms_save")
async def project_terms_save(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template | Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    try:
        await voting.update_terms(ctx, form)
    except FormErrors as exc:
        return await _terms_page(request, ctx, exc.values, exc.errors, status_code=422)
    return back(request, f"/p/{project_id}#shares")


# --- Votes on the project -------------------------------------------------------------------------------------------


@post("/p/{project_id:int}/vote", name="project_vote_create")
async def project_vote_create(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    form = await request.form()
    vote_id = await voting.create_round(ctx, form)
    return Redirect(path=f"/v/{vote_id}/edit", status_code=303)


@post("/p/{project_id:int}/new-vote", name="project_new_round")
async def project_new_round(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Redirect:
    ctx = await project_for(require_user(request), project_id, "manage")
    await voting.new_round(ctx)
    return Redirect(path=f"/p/{project_id}/terms", status_code=303)


# --- Diagram, projector screen, who to visit ----------------------------------------------------------------------------


@get("/p/{project_id:int}/diagram", name="project_diagram")
async def project_diagram(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    """The diagram alone: pages poll it while the vote is open."""
    ctx = await project_for(require_user(request), project_id)
    info = await rounds.overview(ctx.project)
    big = request.query_params.get("big") == "1"
    viewer = "public" if big else await building.viewer_in(ctx, info)  # big: the projector, seen by the whole room
    return show(request, "projects/_diagram.html", fragment="projects/_diagram.html", project=ctx.project, info=info,
                state=info.state, diagram=await building.diagram_of(ctx.project, info, viewer=viewer), big=big)  # fmt: skip


@get("/p/{project_id:int}/screen", name="project_screen")
async def project_screen(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    """For the projector: the diagram large (per flat only what the public may see), following the vote."""
    ctx = await project_for(require_user(request), project_id, "staff")
    info = await rounds.overview(ctx.project)
    return show(request, "projects/screen.html", project=ctx.project, info=info, state=info.state,
                diagram=await building.diagram_of(ctx.project, info), big=True)  # fmt: skip


@get("/p/{project_id:int}/visit", name="project_visit")
async def project_visit(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    """For grid workers and building leads (of the project's building only): whom to visit next, floor by floor."""
    ctx = await project_for(require_user(request), project_id, "staff")
    info = await rounds.overview(ctx.project)
    (floors, named), diagram = await building.visit_list(ctx.project, info), await building.diagram_of(ctx.project, info, viewer="staff")
    return show(request, "projects/visit.html", project=ctx.project, info=info, state=info.state, floors=floors, named=named, diagram=diagram)


# --- Public: the notice and the shares document ------------------------------------------------------------------------


async def _public(project_id: int) -> tuple[dict[str, Any], rounds.Overview]:
    """A project whose vote passed: its notice is public (no sign-in); anything else is not found."""
    project = await store.get_project(project_id)
    info = await rounds.overview(project)
    if not info.state.passed or info.current is None:
        raise NotFound(store.NOT_FOUND)
    return project, info


@get("/p/{project_id:int}/notice", name="project_notice")
async def project_notice(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Template:
    project, info = await _public(project_id)
    assert info.current is not None
    shares = await rounds.current_shares(project, info)
    last = lifecycle.last_day(info.state.notice_ends_at, store.tz()) if info.state.notice_ends_at else None
    days = lifecycle.days_left(info.state.notice_ends_at, service.now(), store.tz()) if info.state.notice_ends_at else 0
    from community.qr import qr_svg

    sha = str(info.current.row.get("notice_sha256") or "")
    url = f"{public_url(request)}/p/{project_id}/notice"
    return show(request, "projects/notice.html", project=project, info=info, state=info.state, shares=shares,
                notice_last_day=last, days_left=days, vote=info.current.vote, **await works_views.notice_context(request, project, info),
                fingerprint=fingerprint(sha) if sha else "", page_url=url, qr=qr_svg(url))  # fmt: skip


@get("/p/{project_id:int}/shares.json", name="project_shares_json")
async def project_shares_json(request: Request[Any, Any, Any], project_id: FromPath[int]) -> Response[str]:
    """The shares' input as a `yishi shares FILE` document: staff any time, everyone once the vote passed."""
    user = current_user(request)
    try:
        project, info = await _public(project_id)
    except NotFound:
        ctx = await project_for(user, project_id, "staff")
        project, info = ctx.project, await rounds.overview(ctx.project)
    shares = await rounds.current_shares(project, info)
    if shares.problems:
        raise Conflict(next(iter(shares.problems.values())))
    from votes.projects.terms import shares_document

    body = json.dumps(shares_document(shares.terms, shares.flats), ensure_ascii=False, indent=2)
    return Response(content=body, media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="project-{project_id}-shares.json"'})  # fmt: skip


ROUTES = [
    projects_index, settings_page, settings_save, project_new, project_create, project_page, project_edit,
    project_update, project_terms, project_terms_save, project_vote_create, project_new_round, project_diagram,
    project_screen, project_visit, project_notice, project_shares_json,
]  # fmt: skip
