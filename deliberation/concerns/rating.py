"""Rating an answer (评价) and closing answers nobody rated: only the reporter rates (or staff recording what the
reporter said by phone or on a visit, marked as such), once per answer, never before an answer. "Not satisfied"
reopens the concern, and sends it to the street after `escalate_after` times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from community.accounts import CurrentUser
from community.audit import audit
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors
from deliberation.concerns import core, store
from deliberation.concerns.services import _for_update, context, now
from deliberation.concerns.tables import Concern, ConcernRating


@dataclass(frozen=True)
class Rate:
    concern_id: int
    rating: str  # satisfied / basically_satisfied / not_satisfied
    comment: str = ""
    on_behalf: bool = False  # staff recording the reporter's answer
    heard_by: str = ""  # phone / visit, when on behalf


async def rate(user: CurrentUser, cmd: Rate, at: datetime | None = None) -> str:
    """Store the rating of the latest answer; the concern's status after it."""
    at = at or now()
    ctx = await context(user, cmd.concern_id)
    errors = core.validate_rating(cmd.rating, cmd.comment.strip(), cmd.on_behalf, cmd.heard_by)
    if errors:
        raise FormErrors(errors)
    settings = store.settings_of(ctx.community)

    def refusal(row: dict[str, object], rated: frozenset[int]) -> None:
        refused = core.rating_refusal(core.RatingCheck(
            status=str(row["status"]), answers=int(row["answers"]), rated_answers=rated,  # type: ignore[call-overload]
            is_reporter=ctx.standing.is_reporter(ctx.place), may_record_for_reporter=ctx.standing.handles(ctx.place),
            on_behalf=cmd.on_behalf,
        ))  # fmt: skip
        if refused == core.NOT_REPORTER:
            raise Forbidden(refused)
        if refused:
            raise Conflict(refused)

    refusal(ctx.row, await store.rated_answers(ctx.id))
    try:
        async with write_transaction():
            row = await _for_update(ctx)
            refusal(row, await store.rated_answers(ctx.id))
            answer_no = int(row["answers"])
            await ConcernRating.insert(ConcernRating(
                concern=ctx.id, answer=answer_no, rating=cmd.rating, comment=cmd.comment.strip(), rated_by=user.id,
                on_behalf=cmd.on_behalf, heard_by=cmd.heard_by if cmd.on_behalf else "", at=at,
            ))  # fmt: skip
            status, reopened, to_street = core.after_rating(cmd.rating, int(row["reopen_count"]), settings)
            changes: dict[object, object] = {Concern.status: status, Concern.reopen_count: reopened, Concern.rating: cmd.rating}
            await store.add_step(ctx.id, at, user.id, "rated", cmd.comment.strip(), rating=cmd.rating,
                                 on_behalf=cmd.on_behalf, heard_by=cmd.heard_by if cmd.on_behalf else "")  # fmt: skip
            if status == "closed":
                changes[Concern.closed_at] = at
                await store.add_step(ctx.id, at, None, "closed")
            else:
                changes[Concern.last_progress_at] = at
                await store.add_step(ctx.id, at, None, "reopened")
                if to_street and row["escalated_at"] is None and ctx.community.get("street_ref") is not None:
                    changes[Concern.escalated_at] = at
                    await store.add_step(ctx.id, at, None, "escalated", "", automatic=True)
            await store.update(ctx.id, changes)
            await audit("concern_rated", actor=user.id, community=ctx.community_id, object_type="concern",
                        object_id=ctx.id, rating=cmd.rating, on_behalf=cmd.on_behalf)  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc) or is_unique_violation(exc.__cause__ or exc):
            raise Conflict(core.ALREADY_RATED) from exc
        raise
    return status


async def close_unrated(at: datetime | None = None) -> list[int]:
    """Close every answered concern whose answer has gone unrated for its community's `auto_close_days`.
    Idempotent; several processes may run it at once (each concern is re-read in its own transaction)."""
    at = at or now()
    closed: list[int] = []
    settings: dict[int, core.Settings] = {}
    for row in await store.answered_before(at - timedelta(days=1)):
        community_id = int(row["community"])
        if community_id not in settings:
            settings[community_id] = store.settings_of(await store.community_by_id(community_id))
        if not core.auto_close_due(str(row["status"]), row["answered_at"], settings[community_id], at):
            continue
        async with write_transaction():
            current = await store.concern_for_update(int(row["id"]), community_id)
            if current is None or not core.auto_close_due(str(current["status"]), current["answered_at"],
                                                          settings[community_id], at):  # fmt: skip
                continue
            await store.update(int(row["id"]), {Concern.status: "closed", Concern.closed_at: at})
            await store.add_step(int(row["id"]), at, None, "auto_closed", days=settings[community_id].auto_close_days)
        closed.append(int(row["id"]))
    return closed
