"""Putting a project to the owners: the terms voted on (refused once a vote on them has opened), the vote itself
(through the votes service), and a new vote once one has closed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community import objects
from community.clock import now
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from votes import drafting
from votes import services as vote_services
from votes.projects import kinds, lifecycle, works, works_store
from votes.projects.budget import roster_flats, shares_of, terms_of
from votes.projects.rounds import overview, project_rounds
from votes.projects.store import TERMS_FROZEN, ProjectContext, audit, community_settings
from votes.projects.tables import Project, ProjectVote
from votes.projects.terms import terms_to_json
from votes.tables import Vote


async def update_terms(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """Budget, scheme and fixed amounts; refused once a vote on these terms has opened."""
    assert ctx.user is not None
    flats = await roster_flats(ctx.project)
    from votes.projects.terms import parse_terms

    terms, errors = parse_terms({k: str(v) for k, v in form.items()}, flats)
    if errors:
        raise FormErrors(errors, {k: str(v) for k, v in form.items() if k != "_csrf_token"})
    data = terms_to_json(terms)
    async with write_transaction():
        current = next((r for r in reversed(await project_rounds(ctx.id)) if r["superseded_at"] is None), None)
        if current is not None:
            # Holds the vote still while we write: an opening in flight waits for us, or we see it open.
            row = await vote_services.lock_vote(int(current["vote"]))
            status = row["status"]
            if status == "scheduled" and row["opens_at"] is not None and row["opens_at"] <= now():
                status = "open"
            if lifecycle.terms_locked([status]):
                raise Conflict(TERMS_FROZEN)
            await ProjectVote.update({ProjectVote.terms: data}).where(ProjectVote.id == current["id"])
        await Project.update(
            {
                Project.total: terms.total,
                Project.subsidy: terms.subsidy,
                Project.fund: terms.fund,
                Project.scheme: terms.scheme,
                Project.coefficients: data["coefficients"],
                Project.fixed: data["fixed"],
                Project.updated_at: now(),
            }
        ).where(Project.id == ctx.id)
        await audit(ctx.community_id, ctx.user.id, "project_terms_changed", ctx.id, data)


def question_text(project: Mapping[str, Any]) -> str:
    """The question on the ballot, stored with the vote in the community's language (Chinese), whatever
    language the facilitator's pages are in."""
    from community import i18n
    with i18n.language(i18n.DEFAULT_LANGUAGE):
        return i18n.gettext(
            "Do you agree to carry out the project “{title}” for {place}, with the budget and the cost-sharing "
            "scheme set out on the project page? Your own share is shown on this ballot."
        ).format(title=project["title"], place=project["scope_label"])


async def create_round(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """Put the project to the owners: a draft vote (through the votes service) linked to the project.

    The facilitator then sets its window and channels and publishes it on the vote's own page.
    """

    assert ctx.user is not None
    info = await overview(ctx.project)
    if info.current is not None:
        raise Conflict(lazy("This project already has a vote. Start a new vote once that one has closed."))
    shares = shares_of(terms_of(ctx.project), await roster_flats(ctx.project), frozen=False)
    if not shares.flats:
        raise Conflict(lazy("The stairwell unit or building of this project has no flats in the roster yet."))
    if shares.problems or ctx.project["total"] <= 0:
        raise Conflict(lazy("Set the budget and a cost-sharing scheme that works before putting the project to a vote."))
    settings = await community_settings(ctx.community_id)
    chosen = str(form.get("matter", "") or "").strip()
    matter = kinds.matter_choice(
        str(ctx.project["kind"]), settings, int(chosen) if chosen.isdigit() else ctx.project["matter"]
    ).matter
    place = f"stairwell_unit:{ctx.project['stairwell_unit']}" if ctx.project["stairwell_unit"] else f"building:{ctx.project['building']}"
    agenda_item = str(form.get("agenda_item", "") or "").strip()
    vote_form: dict[str, Any] = {
        "title": ctx.project["title"],
        "question": question_text(ctx.project),
        "kind": "owners",
        "matter": str(matter),
        "scope": place,
        "agenda_item": agenda_item,
        "channels": ["online", "paper"],
    }
    draft = await drafting.parse_vote_form(ctx.community_id, vote_form)
    vote_id = await drafting.create_vote(ctx.user, ctx.community_id, draft)
    rounds = await project_rounds(ctx.id)
    try:
        async with write_transaction():
            await ProjectVote.insert(
                ProjectVote(
                    project=ctx.id,
                    vote=vote_id,
                    round=len(rounds) + 1,
                    matter=matter,
                    terms=terms_to_json(terms_of(ctx.project)),
                    created_by=ctx.user.id,
                )
            )
            await Project.update({Project.matter: matter if ctx.project["kind"] != "elevator" else None}).where(
                Project.id == ctx.id
            )
            await audit(ctx.community_id, ctx.user.id, "project_vote_created", ctx.id, {"vote": vote_id})
    except Exception as exc:
        await Vote.delete().where((Vote.id == vote_id) & (Vote.status == "draft"))
        objects.forget("v", vote_id)  # the id may come back on SQLite
        if is_unique_violation(exc):
            raise Conflict(lazy("This project already has a vote. Start a new vote once that one has closed.")) from exc
        raise
    return vote_id


async def new_round(ctx: ProjectContext) -> None:
    """Leave the closed vote on record and open the terms for a new vote."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if info.current is None or info.current.status != "closed":
        raise Conflict(lazy("A new vote can be prepared only once the current vote has closed."))
    if works.construction_started(await works_store.reached_of(ctx.id)):
        raise Conflict(works.BUILDING)
    async with write_transaction():
        await ProjectVote.update({ProjectVote.superseded_at: now()}).where(
            (ProjectVote.id == info.current.row["id"]) & ProjectVote.superseded_at.is_null()
        )
        await audit(ctx.community_id, ctx.user.id, "project_new_round", ctx.id, {"previous_vote": info.current.vote_id})
