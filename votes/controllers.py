"""Controllers of the votes pages: parse the request, call one service, pick a page or an htmx fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from community import i18n, posting_store
from community.errors import Conflict, FormErrors, TooManyAttempts
from community.permissions import community_by_slug, is_staff, require_role
from community.web import client_address, current_user, form_values, page, public_url, require_user, see_other
from votes import casting, closing, live, paper, paper_desk, privacy, services
from votes import settings as vote_settings
from votes.delivery import METHODS, STAFF_METHODS
from votes.disclosure import named_record
from votes.errors import AlreadyVoted, NotEligible, PaperPending
from votes.extras import ballot_extras
from votes.matters import MATTERS, describe_settings, template_labels, threshold_sentence
from votes.services import VoteInfo

# Proxy authorisations may come with a phone photo of the signed paper.
UPLOAD_LIMIT = 10 * 1024 * 1024


def labels() -> dict[str, Any]:
    return template_labels()


def vote_context(vote: VoteInfo) -> dict[str, Any]:
    return {
        "vote": vote,
        "settings_lines": describe_settings(vote.kind, vote.settings),
        "threshold": threshold_sentence(vote.kind, vote.matter),
        **labels(),
    }


# --- lists ---------------------------------------------------------------------------------------------


@get("/votes", name="votes_mine")
async def my_votes(request: Request[Any, Any, Any]) -> Template:
    user = require_user(request)
    found: dict[str, Any] = dict(await services.my_votes(user))
    from votes.reminders import my_notices

    found["notices"] = await my_notices(user)  # reminders to vote, unread first
    return page(request, "votes/mine.html", **found, **labels())


@get("/c/{slug:str}/votes", name="votes_index")
async def community_votes(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    community = await community_by_slug(slug)
    user = current_user(request)
    staff = await is_staff(user, community["id"])
    facilitator = False
    if user is not None and staff:
        roles = await require_role(user, community["id"], *services.STAFF)
        facilitator = user.is_site_admin or "facilitator" in roles
    votes = await services.community_votes(community["id"], staff)
    return page(request, "votes/index.html", community=community, votes=votes, staff=staff, facilitator=facilitator, **labels())


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
        await services.save_community_defaults(user, community["id"], form)
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
        scopes=await services.scope_choices(community["id"]),
        agenda=await services.agenda_choices(community["id"]),
        base_settings={k: _setting_value(v) for k, v in vote_settings.to_json(base).items()},
        channels=services.CHANNELS,
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
        draft = await services.parse_vote_form(community["id"], form)
        vote_id = await services.create_vote(user, community["id"], draft)
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
        "opens_at": services.local_input(vote.opens_at),
        "closes_at": services.local_input(vote.closes_at),
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
    services.require_editable(vote)
    form = await request.form()
    try:
        await services.update_vote(user, vote_id, await services.parse_vote_form(vote.community_id, form))
    except FormErrors as exc:
        community = await community_by_slug(vote.community_slug)
        return await _form_page(request, community, exc.values or _vote_form_values(vote), exc.errors, vote=vote, status_code=422)
    return see_other(request, f"/v/{vote_id}/manage")


@post("/v/{vote_id:int}/delete", name="votes_delete")
async def delete_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    slug = await services.delete_vote(user, vote_id)
    return see_other(request, f"/c/{slug}/votes")


# --- lifecycle -----------------------------------------------------------------------------------------


@post("/v/{vote_id:int}/publish", name="votes_publish")
async def publish_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    try:
        await services.publish_vote(user, vote_id)
    except Conflict as exc:  # the manage page with the reason, not a bare error page
        return await _manage(request, vote_id, problem=_message(exc), status_code=409)
    return see_other(request, f"/v/{vote_id}/manage")


@post("/v/{vote_id:int}/close", name="votes_close")
async def close_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    if not closing.confirmed(await request.form()):  # counted only once confirmed (votes/closing.py)
        return await closing.confirm_page(request, vote_id, status_code=422)
    try:
        await services.close_vote(user, vote_id)
    except Conflict as exc:  # too early, or paper ballots still wait for a scrutineer (listed under the reason)
        return await _manage(request, vote_id, problem=_message(exc), status_code=409, waiting_problem=isinstance(exc, PaperPending))  # fmt: skip
    return see_other(request, f"/v/{vote_id}/result")


# --- the facilitator's dashboard, the public board ------------------------------------------------------


async def _manage(request: Request[Any, Any, Any], vote_id: int, served_values: dict[str, str] | None = None,
                  served_errors: dict[str, str] | None = None, status_code: int = 200, problem: str = "", waiting_problem: bool = False) -> Template:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    view = await services.staff_view(user, vote)  # grid workers and building leads: their buildings only
    roles = await require_role(user, vote.community_id, *services.STAFF)
    facilitator = user.is_site_admin or "facilitator" in roles
    context: dict[str, Any] = {"facilitator": facilitator, "served_values": served_values or {},
                               "served_errors": served_errors or {}, "problem": problem, "waiting_problem": waiting_problem,
                               "request_saved": request.query_params.get("served") == "1"}
    if vote.status in ("open", "closed"):
        by_stairwell, by_floor = (
            [g for g in groups if view.sees_stairwell(g.stairwell)] for groups in await services.breakdowns(vote)
        )
        stairwell = request.query_params.get("stairwell") or None
        context.update(
            p=await services.participation_of(vote),
            by_stairwell=by_stairwell,
            by_floor=by_floor,
            stairwells=[g.stairwell for g in by_stairwell],
            stairwell=stairwell,
            served=await services.served_count(vote.id),
        )
        if vote.settings.silent_majority:
            from votes import deliveries

            context.update(deliveries=await deliveries.deliveries_of(vote, view),
                           to_serve=await deliveries.units_to_serve(vote, view),
                           delivery_methods=METHODS, staff_methods=STAFF_METHODS)  # fmt: skip
        if vote.kind != "poll" and vote.status == "open":
            context["non_voters"], context["non_voter_total"] = await services.non_voters(vote, stairwell, view=view)
        if vote.has_paper:
            context["desk"] = await paper_desk.desk(vote, view)
    return page(request, "votes/manage.html", status_code=status_code, **vote_context(vote), **context)


@get("/v/{vote_id:int}/manage", name="votes_manage")
async def manage(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    return await _manage(request, vote_id)


@get("/v/{vote_id:int}/board", name="votes_board")
async def board(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """The notice board and projector view: participation (and the result once closed), updated live."""
    vote = await services.visible_vote(current_user(request), vote_id)
    context: dict[str, Any] = {}
    if vote.status in ("open", "closed"):
        by_stairwell, _by_floor = await services.breakdowns(vote)
        context.update(p=await services.participation_of(vote), by_stairwell=by_stairwell)
    if vote.status == "open":
        context["qr"] = paper.qr_svg(public_url(request) + f"/v/{vote.id}")
    context["postings"] = await posting_store.panel(current_user(request), "vote_notice", vote.id)  # proof of posting
    return page(request, "votes/board.html", **vote_context(vote), **context)


@get("/v/{vote_id:int}/participation", name="votes_participation")
async def participation_fragment(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await services.visible_vote(current_user(request), vote_id)
    return page(request, "votes/_participation.html", fragment="votes/_participation.html",
                p=await services.participation_of(vote), **vote_context(vote))


# --- voting online -------------------------------------------------------------------------------------


async def _vote_page(
    request: Request[Any, Any, Any],
    vote: VoteInfo,
    step: str = "choose",
    status_code: int = 200,
    **extra: Any,
) -> Template:
    user = current_user(request)
    context: dict[str, Any] = {"step": step, "message": "", "view": None, **extra}
    if user is not None and vote.status != "draft":
        result = extra.get("result")
        view = await casting.voter_view(user, vote, getattr(result, "known", None))
        context["view"] = view
        context["extras"] = await ballot_extras(vote, view)
    context["window"] = vote.window()
    context["staff"] = await is_staff(user, vote.community_id)
    if user is not None and vote.settings.silent_majority:  # the owner's read receipt of the warning
        from votes.deliveries import own_flats_to_acknowledge

        context["to_acknowledge"] = await own_flats_to_acknowledge(user, vote)
        context["read_confirmed"] = request.query_params.get("read") == "1"
    return page(request, "votes/vote.html", fragment="votes/_cast.html", status_code=status_code, **vote_context(vote), **context)


@get("/v/{vote_id:int}", name="votes_vote")
async def vote_page(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await services.visible_vote(current_user(request), vote_id)
    return await _vote_page(request, vote)


@post("/v/{vote_id:int}/choose", name="votes_choose")
async def choose(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """Step 1: a choice was made; show it back and ask for confirmation. Nothing is stored yet."""
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "entity", "choice")
    try:
        vote, standing = await casting.choose(user, vote_id, values["entity"], values["choice"])
    except (NotEligible, AlreadyVoted) as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _vote_page(request, vote, message=_message(exc), status_code=exc.status_code)
    except FormErrors as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _vote_page(request, vote, errors=exc.errors, chosen_entity=values["entity"], status_code=422)
    return await _vote_page(
        request, vote, step="confirm", standing=standing, choice=values["choice"], nonce=casting.new_nonce(),
    )


@post("/v/{vote_id:int}/cast", name="votes_cast")
async def cast(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    """Step 2: confirmed; store the ballot once and show the receipt code."""
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "entity", "choice", "nonce", "version")
    version = int(values["version"]) if values["version"].isdigit() else 0
    try:
        result = await casting.cast(user, vote_id, values["entity"], values["choice"], values["nonce"], version)
    except (NotEligible, AlreadyVoted, Conflict) as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _vote_page(request, vote, message=_message(exc), status_code=exc.status_code)
    except FormErrors as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _vote_page(request, vote, errors=exc.errors, status_code=422)
    vote = result.vote or await services.get_vote(vote_id)
    return await _vote_page(request, vote, step="receipt", result=result)


def _message(exc: Any) -> str:
    text = i18n.gettext(exc.message)
    return text.format(**exc.params) if exc.params else text


# --- receipts ------------------------------------------------------------------------------------------


@get("/v/{vote_id:int}/receipt", name="votes_receipt")
async def receipt_page(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await services.visible_vote(current_user(request), vote_id)
    return page(request, "votes/receipt.html", fragment="votes/_receipt_check.html", values={}, errors={},
                checked=False, found=None, **vote_context(vote))


@post("/v/{vote_id:int}/receipt", name="votes_receipt_check")
async def receipt_check(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await services.visible_vote(current_user(request), vote_id)
    form = await request.form()
    values = form_values(form, "code")
    try:
        found = await casting.check_receipt(vote.id, values["code"], client_address(request))
    except FormErrors as exc:
        return page(request, "votes/receipt.html", fragment="votes/_receipt_check.html", values=values,
                    errors=exc.errors, checked=False, found=None, status_code=422, **vote_context(vote))
    except TooManyAttempts as exc:
        return page(request, "votes/receipt.html", fragment="votes/_receipt_check.html", values=values,
                    errors={"code": exc.message}, checked=False, found=None, status_code=429, **vote_context(vote))
    return page(request, "votes/receipt.html", fragment="votes/_receipt_check.html", values=values, errors={},
                checked=True, found=found, **vote_context(vote))


# --- result and record ---------------------------------------------------------------------------------


@get("/v/{vote_id:int}/result", name="votes_result")
async def result_page(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template | Redirect:
    vote = await services.visible_vote(current_user(request), vote_id)
    if vote.status != "closed":
        return Redirect(path=f"/v/{vote_id}/board", status_code=303)
    viewer = await privacy.viewer_of(current_user(request), vote.community_id, vote.id)
    return page(request, "votes/result.html", **vote_context(vote), has_record=vote.kind == "owners",
                explained=live.explanation_of(vote), named=named_record(vote.settings.disclosure, vote.status, viewer))


ROUTES = [
    my_votes,
    community_votes,
    settings_page,
    settings_save,
    new_vote,
    create_vote,
    matter_help,
    edit_vote,
    update_vote,
    delete_vote,
    publish_vote,
    close_vote,
    manage,
    board,
    participation_fragment,
    vote_page,
    choose,
    cast,
    receipt_page,
    receipt_check,
    result_page,
]
