"""An agenda item whose vote has closed is decided.

When a vote taken on an agenda item closes — passed, rejected or without a quorum — the item no longer stays
"under discussion": its status becomes decided, and the minutes show the vote's outcome under it. A subscriber
to `VoteClosed` (registered in `deliberation/wiring.py`), so the facilitator's close, the vote clock and a
script all do the same. The minutes also derive it for votes closed before this subscriber existed
(`deliberation.minutes.rules.item_status`).
"""

from __future__ import annotations

from community.db import write_transaction
from deliberation.tables import AgendaItem
from votes.events import VoteClosed
from votes.tables import Vote

OPEN_STATUSES = ("pending", "discussing")


async def on_vote_closed(event: VoteClosed) -> None:
    vote = await Vote.select(Vote.agenda_item).where(Vote.id == event.vote_id).first()
    if vote is None or vote["agenda_item"] is None:
        return
    async with write_transaction():
        await AgendaItem.update({AgendaItem.status: "decided"}).where(
            (AgendaItem.id == vote["agenda_item"]) & AgendaItem.status.is_in(list(OPEN_STATUSES))
        )
