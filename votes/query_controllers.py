"""Pages of a closed vote's result stages: the public list of queries and corrections with the owner's form to
query the count, and the staff's queue (answers, corrections, the final result). Every form works without
JavaScript; htmx only spares a reload."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from community.errors import Conflict, Forbidden, FormErrors
from community.permissions import require_role
from community.roles import holds
from community.web import current_user, page, require_user, see_other
from votes import corrections, query_store, result_final, services
from votes.controllers import _message, vote_context
from votes.query_views import labels, result_context
from votes.services import VoteInfo

# --- the public page and the owner's form ----------------------------------------------------------------------


async def _queries_page(request: Request[Any, Any, Any], vote: VoteInfo, status_code: int = 200, **extra: Any) -> Template:
    user = current_user(request)
    context = {"values": {}, "errors": {}, "message": "", "lodged": None, "queries_page": True,
               **await result_context(vote, user, own=True),
               **extra}  # fmt: skip
    return page(request, "votes/queries.html", status_code=status_code, **vote_context(vote), **context)


@get("/v/{vote_id:int}/queries", name="votes_queries")
async def queries_page(request: Request[Any, Any, Any], vote_id: FromPath[int], lodged: FromQuery[int] = 0) -> Template | Redirect:
    """Anyone: the stage, every query (its kind and the answer) and every correction; an owner of the vote's
    electorate also their own queries with their words, and the form while the window runs."""
    vote = await services.visible_vote(current_user(request), vote_id)
    if vote.status != "closed":
        return Redirect(path=f"/v/{vote_id}", status_code=303)
    return await _queries_page(request, vote, lodged=lodged or None)


@post("/v/{vote_id:int}/queries", name="votes_query_lodge")
async def lodge(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    try:
        number = await query_store.lodge(user, vote_id, form)
    except FormErrors as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _queries_page(request, vote, status_code=422, values=exc.values, errors=exc.errors)
    except (Conflict, Forbidden) as exc:
        vote = await services.visible_vote(user, vote_id)
        return await _queries_page(request, vote, status_code=exc.status_code, message=_message(exc))
    return see_other(request, f"/v/{vote_id}/queries?lodged={number}#query-{number}")


# --- the staff's queue -----------------------------------------------------------------------------------------


async def _manage_page(request: Request[Any, Any, Any], vote_id: int, status_code: int = 200, serial: str = "",
                       **extra: Any) -> Template:  # fmt: skip
    user = require_user(request)
    vote, stage = await query_store.staff_stage(user, vote_id)
    roles = await require_role(user, vote.community_id, *services.STAFF)
    context: dict[str, Any] = {
        "stage": stage, "facilitator": user.is_site_admin or holds("run_votes", roles),
        "staff_queries": await query_store.queries_of(vote.id, staff=True),
        "corrections": query_store.public_rows(stage.history)[1],
        "not_final": await result_final.why_not_final(vote, stage) if not stage.final else "",
        "found": None, "serial": serial, "values": {}, "errors": {}, "answer_values": {}, "answer_errors": {},
        "answering": None, "message": "", "done": request.query_params.get("done", ""), **labels(),
    }  # fmt: skip
    if serial and "found" not in extra and not stage.final:
        try:
            _vote, context["found"] = await corrections.find(user, vote_id, serial)
        except FormErrors as exc:
            context["errors"], context["values"], status_code = exc.errors, exc.values, 422
    context.update(extra)
    return page(request, "votes/queries_manage.html", status_code=status_code, **vote_context(vote), **context)


@get("/v/{vote_id:int}/queries/manage", name="votes_queries_manage")
async def manage(request: Request[Any, Any, Any], vote_id: FromPath[int], serial: FromQuery[str] = "") -> Template | Redirect:
    """Staff whose buildings the vote concerns: queries to answer, corrections (?serial= finds a ballot's flat),
    and the final result. Before the close there is nothing to query: the vote's own manage page."""
    vote = await services.get_vote(vote_id)
    await services.staff_view(require_user(request), vote)
    if vote.status != "closed":
        return Redirect(path=f"/v/{vote_id}/manage", status_code=303)
    return await _manage_page(request, vote_id, serial=serial.strip())


@post("/v/{vote_id:int}/queries/{number:int}/answer", name="votes_query_answer")
async def answer(request: Request[Any, Any, Any], vote_id: FromPath[int], number: FromPath[int]) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    try:
        await query_store.answer(user, vote_id, number, form)
    except FormErrors as exc:
        return await _manage_page(request, vote_id, status_code=422, answering=number, answer_values=exc.values,
                                  answer_errors=exc.errors)  # fmt: skip
    except Conflict as exc:
        return await _manage_page(request, vote_id, status_code=409, message=_message(exc))
    return see_other(request, f"/v/{vote_id}/queries/manage?done=answer#queries")


async def _correct(request: Request[Any, Any, Any], vote_id: int, kind: str) -> Response[Any]:
    user = require_user(request)
    form = await request.form()
    serial = str(form.get("serial", "") or "").strip()
    try:
        if kind == "add":
            await corrections.add_ballot(user, vote_id, form)
        else:
            await corrections.remove_ballot(user, vote_id, form)
    except FormErrors as exc:
        return await _manage_page(request, vote_id, status_code=422, serial=serial, values=exc.values, errors=exc.errors,
                                  correcting=kind)  # fmt: skip
    except Conflict as exc:
        return await _manage_page(request, vote_id, status_code=409, serial=serial, message=_message(exc))
    return see_other(request, f"/v/{vote_id}/queries/manage?done=correction#corrections")


@post("/v/{vote_id:int}/corrections/add", name="votes_correction_add")
async def correction_add(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    return await _correct(request, vote_id, "add")


@post("/v/{vote_id:int}/corrections/remove", name="votes_correction_remove")
async def correction_remove(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    return await _correct(request, vote_id, "remove")


@post("/v/{vote_id:int}/final", name="votes_final")
async def final(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    """A facilitator publishes the final result; refused with the reason while the window runs or a query waits."""
    user = require_user(request)
    try:
        await result_final.finalise(user, vote_id)
    except Conflict as exc:
        return await _manage_page(request, vote_id, status_code=409, message=_message(exc))
    return see_other(request, f"/v/{vote_id}/result")


ROUTES = [queries_page, lodge, manage, answer, correction_add, correction_remove, final]
