"""The paper desk's people and what it shows.

Counting needs two different people in two different roles (docs/rules.md, Procedure).

Whoever enters paper ballots of a vote is one of its counters; whoever confirms or rejects them is one of its
scrutineers. Nobody may be both in the same vote: a counter never checks anyone's entries, so a count record
never names the same person twice. `conflicting_role` is the pure rule; `require_role` reads the vote's paper
ballots and refuses with a translated reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from community.errors import Conflict
from community.i18n import lazy
from votes import privacy
from votes.services import VoteInfo
from votes.tables import Conflict as ConflictRow
from votes.tables import PaperBallot

Role = Literal["counter", "scrutineer"]

AS_SCRUTINEER = lazy(
    "You have entered paper ballots of this vote as a counter, so you cannot confirm or reject any: "
    "counters and scrutineers must be different people. Ask a scrutineer who has entered none."
)
AS_COUNTER = lazy(
    "You have confirmed or rejected paper ballots of this vote as a scrutineer, so you cannot enter any: "
    "counters and scrutineers must be different people. Ask a counter who has checked none."
)


def conflicting_role(person: int, role: Role, counters: Iterable[int], scrutineers: Iterable[int]) -> bool:
    """True if `person` already acts in the other role of this vote's count."""
    return person in set(scrutineers if role == "counter" else counters)


async def require_role(vote_id: int, person: int, role: Role) -> None:
    """Refuse (Conflict) if `person` already acts in the other role of this vote's count."""
    rows = await PaperBallot.select(PaperBallot.entered_by, PaperBallot.confirmed_by, PaperBallot.status).where(
        PaperBallot.vote == vote_id
    )
    counters = {int(r["entered_by"]) for r in rows if r["entered_by"] is not None}
    scrutineers = {int(r["confirmed_by"]) for r in rows if r["confirmed_by"] is not None and r["status"] != "entered"}
    if conflicting_role(person, role, counters, scrutineers):
        raise Conflict(AS_COUNTER if role == "counter" else AS_SCRUTINEER)


async def desk(vote: VoteInfo, view: privacy.VoteView = privacy.EVERYTHING) -> dict[str, Any]:
    """What the paper desk shows (for the staff member's buildings): entries waiting for a scrutineer, recent
    confirmations, flagged conflicts."""
    waiting = await PaperBallot.select(
        PaperBallot.id, PaperBallot.serial, PaperBallot.choice, PaperBallot.channel, PaperBallot.signer,
        PaperBallot.entered_at, PaperBallot.entered_by, PaperBallot.entered_by.display_name, PaperBallot.entity.label,
        PaperBallot.proxy.proxy_name, PaperBallot.note, PaperBallot.entity,
    ).where((PaperBallot.vote == vote.id) & (PaperBallot.status == "entered")).order_by(PaperBallot.entered_at)
    done = await PaperBallot.select(
        PaperBallot.serial, PaperBallot.choice, PaperBallot.status, PaperBallot.outcome, PaperBallot.confirmed_at,
        PaperBallot.entered_by.display_name, PaperBallot.confirmed_by.display_name, PaperBallot.entity.label, PaperBallot.entity,
    ).where((PaperBallot.vote == vote.id) & PaperBallot.status.is_in(["confirmed", "rejected"])).order_by(
        PaperBallot.confirmed_at, ascending=False
    ).limit(50)
    conflicts = await ConflictRow.select(
        ConflictRow.kind, ConflictRow.serial, ConflictRow.resolution, ConflictRow.flagged_at, ConflictRow.entity.label,
        ConflictRow.flagged_by.display_name, ConflictRow.entity,
    ).where(ConflictRow.vote == vote.id).order_by(ConflictRow.id, ascending=False).limit(50)
    counts = {
        "confirmed": await PaperBallot.count().where((PaperBallot.vote == vote.id) & (PaperBallot.status == "confirmed")),
        "conflicts": await ConflictRow.count().where(ConflictRow.vote == vote.id),
    }
    seen = await view.entities_seen(int(r["entity"]) for rows in (waiting, done, conflicts) for r in rows)
    waiting, done, conflicts = ([r for r in rows if int(r["entity"]) in seen] for rows in (waiting, done, conflicts))
    return {"waiting": waiting, "done": done, "conflicts": conflicts, "counts": counts}
