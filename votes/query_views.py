"""What the result page and the query pages show of a closed vote's stage (votes.queries): shared by
votes.controllers (the result page) and votes.query_controllers."""

from __future__ import annotations

from typing import Any

from community.accounts import CurrentUser
from votes import queries, query_store, result_stage
from votes.services import VoteInfo


def labels() -> dict[str, Any]:
    return {"QUERY_KINDS": queries.QUERY_KINDS, "QUERY_STATUS_LABELS": queries.QUERY_STATUS_LABELS,
            "CORRECTION_KINDS": queries.CORRECTION_KINDS, "STAGE_LABELS": queries.STAGE_LABELS}  # fmt: skip


async def result_context(vote: VoteInfo, user: CurrentUser | None, viewer: str | None = None,
                         own: bool = False) -> dict[str, Any]:  # fmt: skip
    """What the result page shows of the stage: the stage, the public queries and corrections (read from the
    stage's public history: one statement), whether the viewer may query the count. `viewer`: what
    votes.privacy.viewer_of said, which answers the question for an owners' vote without another statement;
    `own`: also the viewer's own queries with their words (the queries page)."""
    stage = await result_stage.stage_of(vote)
    may_lodge = False
    if stage is not None and stage.lodging() and user is not None:
        if vote.kind == "owners" and viewer in ("public", "elector"):
            may_lodge = viewer == "elector"
        else:
            may_lodge = await query_store.is_elector(user, vote)
    mine = await query_store.queries_of(vote.id, account=user.id) if own and user is not None and stage is not None else []
    public_queries, corrections = query_store.public_rows(stage.history if stage else (), mine)
    return {"stage": stage, "public_queries": public_queries, "corrections": corrections, "may_lodge": may_lodge,
            **labels()}  # fmt: skip
