"""Pages that create and edit votes, and the community's default vote settings (the forms of `votes.drafting`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from community.errors import FormErrors
from community.permissions import community_by_slug, require_role
from community.web import page, require_user, see_other
from votes import drafting, services
from votes import settings as vote_settings
from votes.agenda import agenda_choices
from votes.controllers import labels
from votes.matters import MATTERS, threshold_sentence
from votes.services import VoteInfo

# --- community defaults --------------------------------------------------------------------------------


async def _settings_page(request: Request[Any, Any, Any], slug: str, values: dict[str, str], errors: dict[str, str],
                         saved: bool = False, status_code: int = 200) -> Template:
    community = await community_by_slug(slug)
    return page(
        request, "votes/settings.html", fragment="votes/_settings_form.html", community=community, values=values,
        errors=errors, saved=saved, status_code=status_code, proxy_max=vote_settings.MAX_PROXY_LIMIT, **labels(),
    )


@get("/c/{slug:str}/votes/settings", name="votes_settings")
async def settings_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await require_role(user, community["id"], *services.FACILITATOR)
    defaults = vote_settings.effective("owners", await services.community_defaults(community["id"]), {})
    values = {k: _setting_value(v) for k, v in vote_settings.to_json(defaults).items()}
    return await _settings_page(request, slug, values, {}, saved=request.query_params.get("saved") == "1")


def _setting_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@post("/c/{slug:str}/votes/settings", name="votes_settings_save")
async def settings_save(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    community = await community_by_slug(slug)
    form = await request.form()
    try:
        await drafting.save_community_defaults(user, community["id"], form)
    except FormErrors as exc:
        return await _settings_page(request, slug, exc.values, exc.errors, status_code=422)
    return see_other(request, f"/c/{slug}/votes/settings?saved=1")


# --- creating and editing ------------------------------------------------------------------------------


async def _form_page(
    request: Request[Any, Any, Any],
    community: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    vote: VoteInfo | None = None,
    status_code: int = 200,
) -> Template:
    defaults = await services.community_defaults(community["id"])
    kind = values.get("kind") if values.get("kind") in vote_settings.VOTE_KINDS else "owners"
    base = vote_settings.effective(kind, defaults, {})  # type: ignore[arg-type]
    matter = values.get("matter", "")
    help_matter = int(matter) if matter.isdigit() and int(matter) in MATTERS else None
    return page(
        request,
        "votes/form.html",
        fragment="votes/_form.html",
        community=community,
        vote=vote,
        values=values,
        errors=errors,
        scopes=await drafting.scope_choices(community["id"]),
        agenda=await agenda_choices(community["id"]),
        base_settings={k: _setting_value(v) for k, v in vote_settings.to_json(base).items()},
        channels=drafting.CHANNELS,
        scope_labels=services.SCOPE_LABELS,
        help_kind=kind,
        help_matter=help_matter,
        threshold=threshold_sentence(kind, help_matter),  # type: ignore[arg-type]
        settings_error=any(key.startswith("s_") for key in errors),
        status_code=status_code,
        **labels(),
    )


@get("/c/{slug:str}/votes/new", name="votes_new")
async def new_vote(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    user = require_user(request)
    community = await community_by_slug(slug)
    await require_role(user, community["id"], *services.FACILITATOR)
    values = {"kind": "owners", "channels": "online,paper", "scope": "community"}
    agenda_item = request.query_params.get("agenda_item", "")
    if agenda_item.isdigit():
        values["agenda_item"] = agenda_item
    return await _form_page(request, community, values, {})


@post("/c/{slug:str}/votes", name="votes_create")
async def create_vote(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    community = await community_by_slug(slug)
    await require_role(user, community["id"], *services.FACILITATOR)  # before the form is read against the roster
    form = await request.form()
    try:
        draft = await drafting.parse_vote_form(community["id"], form)
        vote_id = await drafting.create_vote(user, community["id"], draft)
    except FormErrors as exc:
        return await _form_page(request, community, exc.values, exc.errors, status_code=422)
    return see_other(request, f"/v/{vote_id}/manage")


@get("/c/{slug:str}/votes/matter", name="votes_matter_help")
async def matter_help(request: Request[Any, Any, Any], slug: FromPath[str], kind: FromQuery[str] = "owners",
                      matter: FromQuery[str] = "") -> Template:
    """The plain-words explanation of the chosen kind and matter (htmx swaps it in as the form changes)."""
    number = int(matter) if matter.isdigit() and int(matter) in MATTERS else None
    chosen_kind = kind if kind in vote_settings.VOTE_KINDS else "owners"
    return page(
        request, "votes/_matter_help.html", fragment="votes/_matter_help.html", kind=chosen_kind, matter=number,
        threshold=threshold_sentence(chosen_kind, number), **labels(),
    )


def _vote_form_values(vote: VoteInfo) -> dict[str, str]:
    scope = vote.scope_kind if vote.scope_kind in ("community", "flats") else f"{vote.scope_kind}:{vote.scope_ids[0]}"
    values = {
        "title": vote.title,
        "question": vote.question,
        "kind": vote.kind,
        "matter": str(vote.matter or ""),
        "options": "\n".join(vote.options),
        "scope": scope,
        "flats": vote.scope_label.replace("、", "\n") if vote.scope_kind == "flats" else "",
        "agenda_item": str(vote.agenda_item_id or ""),
        "opens_at": drafting.local_input(vote.opens_at),
        "closes_at": drafting.local_input(vote.closes_at),
        "channels": ",".join(vote.channels),
    }
    values.update({"s_" + k: _setting_value(v) for k, v in vote.overrides.items()})
    return values


@get("/v/{vote_id:int}/edit", name="votes_edit")
async def edit_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await services.require_facilitator(user, vote)
    community = await community_by_slug(vote.community_slug)
    return await _form_page(request, community, _vote_form_values(vote), {}, vote=vote)


@post("/v/{vote_id:int}/edit", name="votes_update")
async def update_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await services.require_facilitator(user, vote)  # before the form is read against the roster
    drafting.require_editable(vote)
    form = await request.form()
    try:
        await drafting.update_vote(user, vote_id, await drafting.parse_vote_form(vote.community_id, form))
    except FormErrors as exc:
        community = await community_by_slug(vote.community_slug)
        return await _form_page(request, community, exc.values or _vote_form_values(vote), exc.errors, vote=vote, status_code=422)
    return see_other(request, f"/v/{vote_id}/manage")


@post("/v/{vote_id:int}/delete", name="votes_delete")
async def delete_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    slug = await drafting.delete_vote(user, vote_id)
    return see_other(request, f"/c/{slug}/votes")


ROUTES = [
    settings_page,
    settings_save,
    new_vote,
    create_vote,
    matter_help,
    edit_vote,
    update_vote,
    delete_vote,
]
