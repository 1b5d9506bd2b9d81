"""Controllers of the paper ballots: the counting desk (enter, confirm, reject) and the printable ballots."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from community import i18n
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from community.web import form_values, page, public_url, require_user
from votes import cast_outcome, duties, live, paper, paper_ballots, privacy, services, turnout
from votes.controllers import _message, vote_context
from votes.extras import paper_extras
from votes.paper_desk import desk as desk_of
from votes.services import VoteInfo

# --- paper ballots -------------------------------------------------------------------------------------


async def _desk_page(request: Request[Any, Any, Any], vote: VoteInfo, status_code: int = 200, **extra: Any) -> Template:
    user = require_user(request)
    view = await duties.desk_view(user, vote)
    context = {"desk": await desk_of(vote, view), "duty": await duties.offer(user, vote), "user_id": user.id,
               "entity": None, "values": {}, "errors": {}, "notice": "", "stairwells": await turnout.stairwells(vote.id, view), **extra}
    return page(request, "votes/paper.html", fragment="votes/_paper_desk.html", status_code=status_code,
                **vote_context(vote), **context)


async def _paper_vote(request: Request[Any, Any, Any], vote_id: int) -> VoteInfo:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await duties.desk_view(user, vote)
    paper.require_paper(vote)
    return vote


async def _entity_in_view(request: Request[Any, Any, Any], vote: VoteInfo, serial: str) -> int:
    """The entity of a typed serial to enter; one outside the buildings of the counter's scope is as unknown as a
    wrong serial."""
    entity_id = await paper_ballots.entity_by_serial(vote, serial)
    if not await (await duties.duty_view(require_user(request), vote, ("enter_paper",))).sees_entity(entity_id):
        raise FormErrors({"serial": lazy("This ballot belongs to a building outside your area of responsibility.")},
                         {"serial": serial})
    return entity_id


@get("/v/{vote_id:int}/paper", name="votes_paper")
async def paper_desk(request: Request[Any, Any, Any], vote_id: FromPath[int], serial: FromQuery[str] = "") -> Template:
    """The counting desk; ?serial= (typed, or the URL a scanned QR code opens) shows that ballot's entry form."""
    vote = await _paper_vote(request, vote_id)
    if not serial:
        return await _desk_page(request, vote)
    try:
        entity = await paper_ballots.paper_entity(vote, await _entity_in_view(request, vote, serial))
    except FormErrors as exc:
        return await _desk_page(request, vote, values=exc.values, errors=exc.errors, status_code=422)
    return await _desk_page(request, vote, entity=entity, values={"serial": entity.serial, "channel": "paper"})


@post("/v/{vote_id:int}/paper", name="votes_paper_enter")
async def paper_enter(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Template:
    vote = await _paper_vote(request, vote_id)
    user = require_user(request)
    form = await request.form()
    values = form_values(form, "serial", "choice", "signer", "channel", "note")
    try:
        await _entity_in_view(request, vote, values["serial"])
        entered = await paper.enter(user, vote_id, form)
    except FormErrors as exc:
        entity = None
        if "serial" not in exc.errors:
            entity = await paper_ballots.paper_entity(vote, await _entity_in_view(request, vote, values["serial"]))
        return await _desk_page(request, vote, entity=entity, values=values, errors=exc.errors, status_code=422)
    except Conflict as exc:
        return await _desk_page(request, vote, values={}, notice=_message(exc), notice_kind="error", status_code=409)
    notice = i18n.gettext("Ballot {serial} entered. It counts once a second person confirms it.").format(serial=values["serial"])
    if entered.warning:
        notice += " " + i18n.gettext(entered.warning)
    try:
        return await _desk_page(request, vote, notice=notice, notice_kind="warn" if entered.warning else "ok")
    except Exception as exc:  # stored: never answered as if it were not
        return cast_outcome.entered(request, vote_id, notice, exc)


@post("/v/{vote_id:int}/paper/{paper_id:int}/confirm", name="votes_paper_confirm")
async def paper_confirm(request: Request[Any, Any, Any], vote_id: FromPath[int], paper_id: FromPath[int]) -> Template:
    vote = await _paper_vote(request, vote_id)
    user = require_user(request)
    await privacy.require_paper_in_view(await duties.duty_view(user, vote, ("check_paper",)), vote_id, paper_id)
    try:
        outcome = await paper.confirm(user, vote_id, paper_id)
    except Conflict as exc:
        return await _desk_page(request, vote, notice=_message(exc), notice_kind="error", status_code=409)
    notices = {
        "counted": i18n.gettext("Confirmed. The ballot is counted."),
        "duplicate": i18n.gettext("Confirmed, but this household had already voted and only the first ballot counts: the ballot is flagged and not counted."),
        "spoiled_entity": i18n.gettext("Confirmed. This household's ballots differ: under this vote's rule its ballot now counts as spoiled."),
    }
    try:
        return await _desk_page(request, vote, notice=notices[outcome], notice_kind="ok" if outcome == "counted" else "warn")
    except Exception as exc:  # confirmed: never answered as if it were not
        return cast_outcome.entered(request, vote_id, notices[outcome], exc)


@post("/v/{vote_id:int}/paper/{paper_id:int}/reject", name="votes_paper_reject")
async def paper_reject(request: Request[Any, Any, Any], vote_id: FromPath[int], paper_id: FromPath[int]) -> Template:
    vote = await _paper_vote(request, vote_id)
    user = require_user(request)
    await privacy.require_paper_in_view(await duties.duty_view(user, vote, ("check_paper",)), vote_id, paper_id)
    try:
        await paper.reject(user, vote_id, paper_id)
    except Conflict as exc:
        return await _desk_page(request, vote, notice=_message(exc), notice_kind="error", status_code=409)
    return await _desk_page(request, vote, notice=i18n.gettext("Entry rejected. The ballot can be entered again."),
                            notice_kind="warn")


@get("/v/{vote_id:int}/paper/print", name="votes_paper_print")
async def paper_print(request: Request[Any, Any, Any], vote_id: FromPath[int], stairwell: FromQuery[str] = "") -> Template:
    """Printable A4 ballots, one per voting entity, always in Chinese (the ballot is a legal document)."""
    vote = await _paper_vote(request, vote_id)
    view = await services.staff_view(require_user(request), vote)  # printing ballots is for staff (community.roles)
    stairwells = await turnout.stairwells(vote.id, view)
    chosen = stairwell if stairwell in stairwells else None
    ballots = []
    if chosen or vote.entities <= paper_ballots.PRINT_LIMIT:
        ballots = await paper_ballots.printable(vote, chosen, view)
    base = public_url(request)
    with i18n.language("zh"):
        extras = await paper_extras(vote, [b.entity_id for b in ballots])  # e.g. each flat's cost share
        printed = live.render(
            "votes/_paper_ballots.html", "zh", ballots=ballots, qr=paper.qr_svg, base=base, extras=extras,
            **vote_context(vote),
        )
    return page(request, "votes/print.html", printed=printed, stairwells=stairwells, stairwell=chosen,
                count=len(ballots), limit=paper_ballots.PRINT_LIMIT, **vote_context(vote))


ROUTES = [paper_desk, paper_enter, paper_confirm, paper_reject, paper_print]
