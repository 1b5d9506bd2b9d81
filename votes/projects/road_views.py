"""What the agreement and funding pages show, per visitor: the public, an owner who signs, staff in scope."""

from __future__ import annotations

from typing import Any

from community.accounts import CurrentUser
from community.errors import NotFound, NotSignedIn
from community.roster.scope import attachments
from votes import turnout
from votes.projects import agreement_service, funding_service, rounds, service, store
from votes.projects.funding import SOURCE_LABELS, percent
from votes.projects.store import Can, ProjectContext
from votes.projects.tables import ProjectAgreement


async def visitor(user: CurrentUser | None, project_id: int) -> ProjectContext:
    """The project as the visitor may see it; once the owners passed it, anyone sees its public side."""
    try:
        return await service.project_for(user, project_id)
    except (NotFound, NotSignedIn):
        project = await store.get_project(project_id)
        if not (await rounds.overview(project)).state.passed:
            raise
        return ProjectContext(project, Can(view=True), None)


async def extras(ctx: ProjectContext, info: rounds.Overview) -> dict[str, Any]:
    """For the project page: the agreement's and the funding's public progress, once there is any."""
    if info.state.status != "approved" and not await ProjectAgreement.exists().where(ProjectAgreement.project == ctx.id):
        return {"agreement": None, "funding": None}
    return {
        "agreement": await agreement_service.agreement_view(ctx, info),
        "funding": await funding_service.funding_view(ctx, info),
        "percent": percent,
        "SOURCE_LABELS": SOURCE_LABELS,
    }


async def _verified_owner_flats(ctx: ProjectContext) -> dict[int, list[int]]:
    """{flat id: person ids} the signed-in user may sign for: verified ownership only."""
    if ctx.user is None or not ctx.owned:
        return {}
    mine: dict[int, list[int]] = {}
    for a in await attachments(ctx.user.id, ctx.community_id):
        if a.relation == "owner" and a.verified and a.flat_id in ctx.owned:
            mine.setdefault(a.flat_id, []).append(a.person_id)
    return mine


async def agreement_context(ctx: ProjectContext) -> dict[str, Any]:
    info = await rounds.overview(ctx.project)
    view = await agreement_service.agreement_view(ctx, info)
    signed = {(int(s["flat"]), int(s["person"])): s for s in view.signatures}
    mine: list[dict[str, Any]] = []
    for flat_id, people in (await _verified_owner_flats(ctx)).items():
        sharer = view.sharer(flat_id)
        if sharer is None:
            continue
        person = next((p for p in people if p in sharer.owners), None)
        mine.append({"sharer": sharer, "person": person, "signature": signed.get((flat_id, person)) if person else None})
    context: dict[str, Any] = {
        "project": ctx.project, "can": ctx.can, "info": info, "state": info.state, "agreement": view, "mine": mine,
        "public_view": ctx.user is None,
        "errors": {}, "values": {}, "missing": [], "pending": [], "owner_options": [],
        "today": service.now().astimezone(store.tz()).date().isoformat(),
    }  # fmt: skip
    if ctx.can.staff and view.row is not None and view.progress is not None:

        names = await turnout.person_names({p for s in view.sharers for p in s.owners})
        units = {s.flat_id: s for s in view.sharers}
        context["missing"] = [
            {"unit": units[flat].unit, "name": names.get(person, ""), "document": units[flat].document}
            for flat, person in view.progress.missing
        ]
        context["pending"] = [
            s | {"unit": units[int(s["flat"])].unit, "name": names.get(int(s["person"]), "")}
            for s in view.signatures if s["channel"] == "paper" and s["confirmed_at"] is None and int(s["flat"]) in units
        ]  # fmt: skip
        context["owner_options"] = [
            (f"{flat}:{person}", f"{units[flat].unit} · {names.get(person, '')}") for flat, person in view.progress.missing
        ]
        context["unowned"] = [units[f].unit for f in view.progress.unowned]
    return context


async def funding_context(ctx: ProjectContext) -> dict[str, Any]:
    info = await rounds.overview(ctx.project)
    view = await funding_service.funding_view(ctx, info)
    return {
        "project": ctx.project, "can": ctx.can, "info": info, "state": info.state, "funding": view,
        "public_view": ctx.user is None,
        "errors": {}, "values": {}, "percent": percent, "SOURCE_LABELS": SOURCE_LABELS,
        "today": service.now().astimezone(store.tz()).date().isoformat(),
    }  # fmt: skip
