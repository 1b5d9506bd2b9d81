"""Controllers of the votes pages: parse the request, call one service, pick a page or an htmx fragment.

Creating and editing votes and the community's defaults are in `votes.edit_controllers`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from community import i18n, paging, posting_store
from community.errors import Conflict, FormErrors, TooManyAttempts
from community.permissions import community_by_slug, is_staff, require_role
from community.roles import holds
from community.web import client_address, current_user, form_values, page, public_url, require_user, see_other
from votes import (
    cast_outcome,
    casting,
    closing,
    counting,
    duties,
    live,
    opening,
    paper,
    paper_desk,
    privacy,
    query_views,
    result_stage,
    services,
    turnout,
)
from votes.delivery import METHODS, STAFF_METHODS
from votes.disclosure import named_record
from votes.errors import AlreadyVoted, NotEligible, PaperPending
from votes.extras import ballot_extras
from votes.matters import describe_settings, template_labels, threshold_sentence
from votes.services import VoteInfo

# Proxy authorisations may come with a phone photo of the signed paper.
UPLOAD_LIMIT = 10 * 1024 * 1024
# The manage page over a large electorate (issue 15): rows per page, and the most floors shown at once.
UNITS_PER_PAGE = 50
NON_VOTERS_PER_PAGE = 100
UNITS_LISTED = 200  # flats to serve offered in a list; beyond, typed (templates/votes/manage.html)
FLOORS_SHOWN = 300


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
        facilitator = user.is_site_admin or holds("run_votes", roles)
    votes = await services.community_votes(community["id"], staff)
    return page(request, "votes/index.html", community=community, votes=votes, staff=staff, facilitator=facilitator, **labels())


# --- lifecycle -----------------------------------------------------------------------------------------


@post("/v/{vote_id:int}/publish", name="votes_publish")
async def publish_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    try:
        await opening.publish_vote(user, vote_id)
    except Conflict as exc:  # the manage page with the reason, not a bare error page
        return await _manage(request, vote_id, problem=_message(exc), status_code=409)
    return see_other(request, f"/v/{vote_id}/manage")


@post("/v/{vote_id:int}/close", name="votes_close")
async def close_vote(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    if not closing.confirmed(await request.form()):  # counted only once confirmed (votes/closing.py)
        return await closing.confirm_page(request, vote_id, status_code=422)
    try:
        await counting.close_vote(user, vote_id)
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
    facilitator = user.is_site_admin or holds("run_votes", roles)
    context: dict[str, Any] = {"facilitator": facilitator, "served_values": served_values or {},
                               "served_errors": served_errors or {}, "problem": problem, "waiting_problem": waiting_problem,
                               "request_saved": request.query_params.get("served") == "1"}
    if vote.status in ("open", "closed"):
        stairwell = request.query_params.get("stairwell") or None
        # A compound of 100,000 flats has ~1,700 stairwell units and ~50,000 of their floors: a page of units at a
        # time, and the floors of the chosen unit only (all of them while they are few).
        seen = await view.stairwells()  # None: all of them
        all_units, floors = await turnout.breakdowns(
            vote, lambda s: (seen is None or s in seen) and stairwell in (None, s), FLOORS_SHOWN)
        by_stairwell = [g for g in all_units if seen is None or g.stairwell in seen]
        units = paging.Paged.of(by_stairwell, paging.number(request, "units_page"), UNITS_PER_PAGE)
        floors_hidden = floors is None
        by_floor = floors or []
        context.update(
            p=await turnout.participation_of(vote),
            by_stairwell=units.items,
            units=units,
            by_floor=[] if floors_hidden else by_floor,
            floors_hidden=floors_hidden,
            stairwells=[g.stairwell for g in by_stairwell],
            stairwell=stairwell,
            served=await turnout.served_count(vote.id),
        )
        if vote.settings.silent_majority:
            from votes import deliveries

            context.update(deliveries=await deliveries.deliveries_of(vote, view),
                           # More than UNITS_LISTED: the unit is typed (a list of 100,000 would weigh megabytes).
                           to_serve=await deliveries.units_to_serve(vote, view, limit=UNITS_LISTED + 1),
                           delivery_methods=METHODS, staff_methods=STAFF_METHODS)  # fmt: skip
        if vote.kind != "poll" and vote.status == "open":
            page_number = paging.number(request, "page")
            context["non_voters"], context["non_voter_total"] = await turnout.non_voters(
                vote, stairwell, limit=NON_VOTERS_PER_PAGE, offset=(page_number - 1) * NON_VOTERS_PER_PAGE, view=view)
            context["non_voter_pages"] = paging.Paged(context["non_voters"], page_number,
                                                      paging.pages(context["non_voter_total"], NON_VOTERS_PER_PAGE))
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
        by_stairwell, _by_floor = await turnout.breakdowns(vote, lambda _stairwell: False)  # the board shows no floors
        context.update(p=await turnout.participation_of(vote), by_stairwell=by_stairwell)
    if vote.status == "open":
        context["qr"] = paper.qr_svg(public_url(request) + f"/v/{vote.id}")
    context["stage"] = await result_stage.stage_of(vote)  # None until the close (votes.queries)
    context["postings"] = await posting_store.panel(current_user(request), "vote_notice", vote.id)  # proof of posting
    return page(request, "votes/board.html", **vote_context(vote), **context)


@get("/v/{vote_id:int}/participation", name="votes_participation")
async def participation_fragment(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await services.visible_vote(current_user(request), vote_id)
    return page(request, "votes/_participation.html", fragment="votes/_participation.html",
                p=await turnout.participation_of(vote), **vote_context(vote))


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
        view = await casting.voter_view(user, vote, getattr(result, "known", None), getattr(result, "ballots", None))
        context["view"] = view
        context["extras"] = await ballot_extras(vote, view)
    context["window"] = vote.window()
    context["duties"] = await duties.links(user, vote)  # staff; counters, scrutineers, volunteers (community.roles)
    context["staff"] = context["duties"].staff
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
    except Exception as exc:  # the database failed before (or while) the ballot was stored: say which
        return cast_outcome.not_recorded(request, vote_id, exc)
    try:
        vote = result.vote or await services.get_vote(vote_id)
        return await _vote_page(request, vote, step="receipt", result=result)
    except Exception as exc:  # the ballot is stored: whatever fails now, it is never reported as failed
        return cast_outcome.recorded(request, vote_id, result, exc)


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
    stage = await query_views.result_context(vote, current_user(request), viewer)  # the stage, its queries
    # Photos of the paper result as posted, for the stage the page shows (preliminary, then final).
    kind = "result_preliminary" if stage.get("stage") is not None and stage["stage"].stage == "preliminary" else "result_final"
    return page(request, "votes/result.html", **vote_context(vote), has_record=vote.kind == "owners",
                explained=live.explanation_of(vote), named=named_record(vote.settings.disclosure, vote.status, viewer),
                postings=await posting_store.shown(kind, vote.id), **stage)  # staff add them from the queries page


ROUTES = [
    my_votes,
    community_votes,
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
