"""The votes taken at meetings, as deliberation reads them: the votes on a meeting's agenda, the meeting of a
vote, where an agenda item leads on to, and the items a vote may be attached to.

Deliberation sits above votes: a vote stores only its agenda item's id (`Vote.agenda_item`) and knows nothing
of meetings, so everything that joins a vote to a meeting is read here (and handed to votes through the
`votes.agenda` port by `deliberation.wiring`).
"""

from __future__ import annotations

from typing import Any

from community.i18n import lazy
from community.sqljson import Nested, nested
from deliberation.contributions import ItemLink, ItemLinkRead
from deliberation.tables import AgendaItem
from votes.agenda import AgendaChoice
from votes.tables import Vote


async def open_votes(meeting_id: int) -> list[int]:
    """Open votes attached to the agenda items of a meeting (for its projector)."""
    rows = await Vote.select(Vote.id).where(
        (Vote.agenda_item.meeting == meeting_id) & (Vote.status == "open")
    ).order_by(Vote.id)
    return [int(r["id"]) for r in rows]


async def last_closed_vote(meeting_id: int) -> int | None:
    """The vote on this meeting's agenda closed last (its result is shown on the projector), or None."""
    row = await Vote.select(Vote.id).where(
        (Vote.agenda_item.meeting == meeting_id) & (Vote.status == "closed")
    ).order_by(Vote.closed_at, ascending=False).order_by(Vote.id, ascending=False).first()
    return None if row is None else int(row["id"])


async def meeting_of(vote_id: int) -> int | None:
    """The meeting whose agenda carries this vote, if any."""
    row = await Vote.select(Vote.agenda_item.meeting).where(Vote.id == vote_id).first()
    return None if row is None else row["agenda_item.meeting"]


async def item_links(item_ids: list[int]) -> dict[int, list[ItemLink]]:
    """The votes taken on these agenda items, as links for the meeting's pages: an open vote's ballot (the
    staff manage it), a closed vote's result. Drafts are the staff's business and not shown."""
    rows = await Vote.select(Vote.id, Vote.agenda_item, Vote.status).where(
        Vote.agenda_item.is_in(item_ids) & Vote.status.is_in(["scheduled", "open", "closed"])
    ).order_by(Vote.id)
    return _links(rows)


def _links(rows: list[dict[str, Any]]) -> dict[int, list[ItemLink]]:
    found: dict[int, list[ItemLink]] = {}
    for row in rows:
        vote_id, status = int(row["id"]), str(row["status"])
        if status == "open":
            link = ItemLink(lazy("Vote on this item"), f"/v/{vote_id}", primary=True, staff_url=f"/v/{vote_id}/manage")
        elif status == "closed":
            link = ItemLink(lazy("Result of the vote"), f"/v/{vote_id}/result", staff_url=f"/v/{vote_id}/manage")
        else:
            link = ItemLink(lazy("The vote on this item (not open yet)"), f"/v/{vote_id}", staff_url=f"/v/{vote_id}/manage")
        found.setdefault(int(row["agenda_item"]), []).append(link)
    return found


def _subquery(postgres: bool, items: str) -> Nested:
    return nested(postgres, "v", (Vote.id, Vote.agenda_item, Vote.status),
                  f"FROM vote v WHERE v.agenda_item IN ({items}) AND v.status IN ('scheduled', 'open', 'closed')",  # noqa: S608
                  order="v.id")  # fmt: skip


# The same links, read within the meeting page's own statement (deliberation.phone_reads).
ITEM_LINK_READ = ItemLinkRead(_subquery, _links)


async def agenda_choices(community_id: int) -> list[AgendaChoice]:
    """Agenda items of the community's meetings that are not closed, to attach a vote to (newest meeting first)."""
    rows = await AgendaItem.select(AgendaItem.id, AgendaItem.title, AgendaItem.meeting.title).where(
        (AgendaItem.meeting.community == community_id) & (AgendaItem.meeting.status != "closed")
    ).order_by(AgendaItem.meeting.id, ascending=False).order_by(AgendaItem.position)
    return [AgendaChoice(int(r["id"]), str(r["title"]), str(r["meeting.title"])) for r in rows]


def agenda_title() -> object:
    """The title of a vote's agenda item, as a column selected with the vote (`votes.agenda.title_columns`)."""
    return Vote.agenda_item.title
