"""Live participation: the "vote" SSE channel, updates for notice boards and projectors, the projector panel.

Channel "vote-<id>" is public once a vote is published: the participation figure is meant for the notice
board. It carries one event per language ("participation-zh", "participation-en"), so every screen swaps in
its own language, and for the board's page (/v/<id>/board) one more per language ("board-zh", "board-en"):
the same figure with the table per stairwell unit out of band, so the two never disagree. After each update
`ParticipationChanged` is published: a meeting whose agenda carries the vote sends its projector the new vote
section (`deliberation.feed`), rendered with `render_panels` (votes know nothing of meetings).

A ballot never renders these itself: `on_ballot_cast` asks for one update of its vote a moment later
(`participation_soon`), so a burst of ballots costs a few renders a second per vote, outside their requests.
Opening and closing a vote still publish at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Request

from community import events, i18n, templating
from community import live as app_live
from community.errors import DomainError
from community.i18n import language
from community.safetext import parse_id
from votes import services, turnout
from votes.events import BallotCast, ParticipationChanged, VoteClosed, VoteOpened

log = logging.getLogger("yishi.votes.live")

# Votes with an update being published, and whether another was asked for meanwhile: under a burst of
# ballots each vote renders at most one update at a time, and the last one always goes out.
_pending: dict[int, bool] = {}

# A ballot does not render anything itself: it asks for an update of its vote, which goes out once after
# COALESCE_SECONDS (reading participation then, so it includes every ballot cast meanwhile). A vote's screens
# are re-rendered at most a few times a second however many phones vote, and the ballot's request is not kept
# waiting for the renders (one per language and screen).
COALESCE_SECONDS = 0.25
_scheduled: dict[int, asyncio.Task[None]] = {}


def render(template: str, code: str, **context: Any) -> str:
    with language(code):
        from votes.matters import template_labels

        return templating.environment().get_template(template).render({**template_labels(), **context, "language": code})


def explanation_of(vote: Any) -> Any:
    """A closed owners' vote's result in plain words (votes.explain.Explanation), else None."""
    from votes.explain import explain

    if vote.kind != "owners" or vote.status != "closed" or not vote.result:
        return None
    return explain(vote.result, vote.result_detail, vote.settings)


async def participation_context(vote_id: int) -> dict[str, Any] | None:
    try:
        vote = await services.get_vote(vote_id)
    except DomainError:
        return None
    if vote.status == "draft":
        return None
    return {"vote": vote, "p": await turnout.participation_of(vote)}


async def render_participation(vote_id: int, code: str) -> str:
    context = await participation_context(vote_id)
    return "" if context is None else render("votes/_participation.html", code, **context)


async def board_context(vote_id: int) -> dict[str, Any] | None:
    """What the board's live event shows: participation and the table per stairwell unit."""

    context = await participation_context(vote_id)
    if context is not None:
        context["by_stairwell"], _by_floor = await turnout.breakdowns(context["vote"], lambda _stairwell: False)  # no floors
    return context


def render_live(context: dict[str, Any], code: str) -> tuple[str, str]:
    """(the participation fragment, the board's event: that fragment, then the table per stairwell unit out of band)."""
    html = render("votes/_participation.html", code, **context)
    return html, html + render("votes/_units.html", code, oob=True, **context)


async def render_panels(vote_ids: list[int], code: str) -> str:
    """The projector's panel of each of these votes in language `code`: participation, or the result explained."""
    panels = []
    for vote_id in vote_ids:
        context = await participation_context(vote_id)
        if context is not None:
            panels.append(render("votes/_panel.html", code, explained=explanation_of(context["vote"]), **context))
    return "".join(panels)


async def participation_changed(vote_id: int) -> None:
    """Tell every board, manage page and projector that participation (or the status) changed."""
    if vote_id in _pending:
        _pending[vote_id] = True
        return
    _pending[vote_id] = False
    try:
        while True:
            await _publish(vote_id)
            if not _pending[vote_id]:
                break
            _pending[vote_id] = False
    except Exception:  # a live update must never make the ballot that caused it fail
        log.exception("could not publish participation of vote %s", vote_id)
    finally:
        del _pending[vote_id]


async def _publish(vote_id: int) -> None:
    board = await board_context(vote_id)
    if board is not None:
        for code in i18n.LANGUAGES:
            participation, board_html = render_live(board, code)
            await app_live.publish(f"vote-{vote_id}", f"participation-{code}", participation)
            await app_live.publish(f"vote-{vote_id}", f"board-{code}", board_html)
    await events.publish(ParticipationChanged(vote_id))  # e.g. the projector of the meeting voting on it


def _vote_id(channel: str) -> int | None:
    return parse_id(channel.split("-", 1)[1]) if "-" in channel else None


async def _authorize(request: Request[Any, Any, Any], channel: str) -> bool:
    """Anyone may follow a published vote's participation: the notice board shows it publicly."""
    vote_id = _vote_id(channel)
    return vote_id is not None and await participation_context(vote_id) is not None


async def _snapshot(request: Request[Any, Any, Any], channel: str) -> list[tuple[str, str]]:
    vote_id = _vote_id(channel)
    if vote_id is None:
        return []
    code = i18n.get_language()

    async def compute() -> tuple[tuple[str, str], ...]:
        board = await board_context(vote_id)
        if board is None:
            return ()
        participation, board_html = render_live(board, code)
        return (f"participation-{code}", participation), (f"board-{code}", board_html)

    # The same for every board and phone in that language: read and rendered once while nothing changes.
    return list(await app_live.shared(channel, f"board-{code}", compute))


def participation_soon(vote_id: int) -> None:
    """Ask for a participation update of this vote, sent shortly and outside the caller's request."""
    if vote_id not in _scheduled:
        _scheduled[vote_id] = asyncio.get_running_loop().create_task(_after_a_moment(vote_id))


async def _after_a_moment(vote_id: int) -> None:
    try:
        await asyncio.sleep(COALESCE_SECONDS)
    finally:
        # From here on a new ballot asks for a new update: this one may already have read participation.
        _scheduled.pop(vote_id, None)
    await participation_changed(vote_id)


async def settle() -> None:
    """Drop the updates not sent yet (a test's end, a server's shutdown): pages show participation anyway."""
    tasks = list(_scheduled.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _scheduled.clear()


async def on_ballot_cast(event: BallotCast) -> None:
    participation_soon(event.vote_id)


async def on_vote_opened_or_closed(event: VoteOpened | VoteClosed) -> None:
    """Boards and projectors show the new status, shortly and outside the request that opened or closed the vote:
    over a large electorate the renders take seconds the facilitator need not wait for."""
    participation_soon(event.vote_id)
