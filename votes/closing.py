"""Closing a vote is asked for first: a page says what the close does (and why it cannot close yet, if so), and
only its form, which carries the confirmation, closes. A close posted without it gets the same page, so no
vote is counted by accident, with or without JavaScript."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

from community import i18n
from community.errors import Conflict
from community.i18n import lazy
from community.web import page, require_user
from votes import period_checks, services, turnout
from votes.matters import template_labels, threshold_sentence
from votes.tables import PaperBallot

CONFIRM_FIELD = "confirm"


def confirmed(form: Any) -> bool:
    """The close form's hidden field: present only on the confirmation page's form."""
    return str(form.get(CONFIRM_FIELD, "") or "") == "yes"


async def _why_not_yet(vote: services.VoteInfo) -> str:
    """The reason the close would be refused now (translated), or ""."""
    pending = await PaperBallot.count().where((PaperBallot.vote == vote.id) & (PaperBallot.status == "entered"))
    if pending:
        text = i18n.gettext(lazy("{n} paper ballots still wait for a scrutineer. Confirm or reject them before closing."))
        return text.format(n=pending)
    try:
        await period_checks.check_close(vote.community_id, vote.kind, vote.matter, vote.opened_at, services.now())
    except Conflict as exc:
        text = i18n.gettext(exc.message)
        return text.format(**exc.params) if exc.params else text
    return ""


async def confirm_page(request: Request[Any, Any, Any], vote_id: int, status_code: int = 200) -> Response[Any]:
    user = require_user(request)
    vote = await services.get_vote(vote_id)
    await services.require_facilitator(user, vote)
    if vote.status != "open":
        if request.method == "GET":  # nothing to ask (an old link): the manage page says where the vote is
            return Redirect(path=f"/v/{vote_id}/manage", status_code=303)
        raise Conflict(lazy("Only an open vote can be closed."))
    context: dict[str, Any] = {**template_labels(), "vote": vote, "p": await turnout.participation_of(vote),
                               "threshold": threshold_sentence(vote.kind, vote.matter),
                               "problem": await _why_not_yet(vote), "asked": status_code != 200}  # fmt: skip
    return page(request, "votes/close.html", status_code=status_code, **context)


@get("/v/{vote_id:int}/close", name="votes_close_confirm")
async def close_confirm(request: Request[Any, Any, Any], vote_id: FromPath[int]) -> Response[Any]:
    return await confirm_page(request, vote_id)


ROUTES = [close_confirm]
