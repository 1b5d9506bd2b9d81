"""The final result of a closed vote: published by a facilitator, or by the vote clock once the query window has
ended and every query is answered (votes.queries), never before; then a passed decision takes effect."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from community import events, i18n
from community.accounts import CurrentUser
from community.config import get_config
from community.db import write_transaction
from community.errors import Conflict
from votes import queries
from votes.events import VoteResultFinal
from votes.queries import outcome_of
from votes.result_stage import FINAL, StageInfo, add_history, audit, iso, open_queries, publish, tz
from votes.services import VoteInfo, get_vote, lock_vote, now, require_facilitator
from votes.tables import Vote, VoteCorrection, VoteQuery, VoteStage

log = logging.getLogger("yishi.votes.result")


def refusal(problem: queries.NotYet) -> Conflict:
    """The reason as a page shows it, the day written in the reader's language."""
    params = {k: i18n.format_date(cast(Any, v), get_config().timezone) if k == "day" else v for k, v in problem.params.items()}
    return Conflict(problem.message, **params)


async def why_not_final(vote: VoteInfo, stage: StageInfo) -> str:
    """The reason the final result cannot be published now (translated), or ""."""
    problem = queries.why_not_final(stage.stage, now(), stage.window_ends_at, await open_queries(vote.id), tz())
    if problem is None:
        return ""
    conflict = refusal(problem)
    text = i18n.gettext(conflict.message)
    return text.format(**conflict.params) if conflict.params else text


async def finalise(user: CurrentUser, vote_id: int) -> None:
    """A facilitator publishes the final result; refused with the reason while the window runs or a query waits."""
    vote = await get_vote(vote_id)
    await require_facilitator(user, vote)
    await finalise_as(vote, user.id)


async def finalise_as(vote: VoteInfo, actor: int | None) -> None:
    async with write_transaction():
        await lock_vote(vote.id, exclusive=True)
        row = await VoteStage.select(VoteStage.stage, VoteStage.window_ends_at).where(VoteStage.vote == vote.id).first()
        if row is None:
            raise Conflict(queries.ALREADY_FINAL if vote.status == "closed" else queries.NOT_CLOSED)
        problem = queries.why_not_final(str(row["stage"]), now(), row["window_ends_at"], await open_queries(vote.id), tz())
        if problem is not None:
            raise refusal(problem)
        moment = now()
        asked = int(await VoteQuery.count().where(VoteQuery.vote == vote.id))
        corrected = int(await VoteCorrection.count().where(VoteCorrection.vote == vote.id))
        result = (await Vote.select(Vote.result).where(Vote.id == vote.id).output(load_json=True).first() or {}).get("result")
        record = await add_history(vote.id, {"event": "final", "at": iso(moment), "outcome": outcome_of(result),
                                             "queries": asked, "corrections": corrected})  # fmt: skip
        seq = await publish(vote, FINAL, {"stage": "final", "queries": asked, "corrections": corrected}, actor, moment,
                            record=record)  # fmt: skip
        await VoteStage.update({VoteStage.stage: "final", VoteStage.final_at: moment, VoteStage.final_by: actor,
                                VoteStage.final_seq: seq}).where(VoteStage.vote == vote.id)  # fmt: skip
        await audit(vote, actor, "vote_result_final",
                    {"seq": seq, "outcome": outcome_of(result), "queries": asked, "corrections": corrected})  # fmt: skip
    await events.publish(VoteResultFinal(vote.id, actor))


async def finalise_due(at: datetime | None = None) -> list[int]:
    """The vote clock's part: publish the final result of every vote whose window has ended with every query
    answered (idempotent: a vote finalised meanwhile is skipped). The votes finalised."""
    moment = at or now()
    rows = await VoteStage.select(VoteStage.vote).where(
        (VoteStage.stage == "preliminary") & (VoteStage.window_ends_at <= moment)
    ).order_by(VoteStage.vote)
    done = []
    for row in rows:
        vote_id = int(row["vote"])
        if await open_queries(vote_id):
            continue
        try:
            await finalise_as(await get_vote(vote_id), None)
        except Conflict:
            continue  # finalised by someone else meanwhile, or a query came in
        except Exception:
            log.exception("the vote clock could not publish the final result of vote %s", vote_id)
            continue
        done.append(vote_id)
    return done
