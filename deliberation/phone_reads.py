"""The meeting page and an agenda item read in one statement each (after the session): the meeting with its names,
and as JSON subqueries its agenda, the links of its items (votes, concerns: deliberation.contributions), the
speakers' queue, the guests and the account's households present; or the one item with its attachments, links
and the size of its thread. Every list here is small and shown whole; a thread pages (deliberation.comments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from community.db import is_postgres
from community.errors import NotFound
from community.sqljson import Nested, nested
from deliberation import comments, contributions, feed, session
from deliberation.access import NOT_FOUND
from deliberation.contributions import ItemLink
from deliberation.tables import AgendaItem, Attachment, Attendance, Comment, Meeting, MeetingGuest

# The meeting's row as deliberation.access.get_meeting gives it: its columns and the names pages show.
_MEETING = (
    "SELECT m.*, mv.name AS \"venue.name\", mv.address AS \"venue.address\", "
    "fa.display_name AS \"facilitator.display_name\", ra.display_name AS \"recorder.display_name\", "
    "mc.slug AS \"community.slug\", mc.name AS \"community.name\"{subqueries} "
    "FROM meeting m JOIN community mc ON mc.id = m.community LEFT JOIN venue mv ON mv.id = m.venue "
    "LEFT JOIN account fa ON fa.id = m.facilitator LEFT JOIN account ra ON ra.id = m.recorder WHERE m.id = {{}}"
)
_QUEUE_NAME = {"account.display_name": ("(SELECT qa.display_name FROM account qa WHERE qa.id = s.account)", None)}
_ITEMS_OF_MEETING = "SELECT i.id FROM agenda_item i WHERE i.meeting = m.id"
_THE_ITEM = "SELECT i.id FROM agenda_item i WHERE i.id = {} AND i.meeting = m.id"


def _all(table: Any) -> tuple[Any, ...]:
    return tuple(table._meta.columns)


def _meeting_parts(postgres: bool) -> dict[str, Nested]:
    return {
        "agenda": nested(postgres, "i", _all(AgendaItem), "FROM agenda_item i WHERE i.meeting = m.id",
                         order="i.position, i.id"),
        "queue": nested(postgres, "s", session.QUEUE_COLUMNS[:2] + session.QUEUE_COLUMNS[3:],
                        "FROM speaker_request s WHERE s.meeting = m.id AND s.status IN ('waiting', 'speaking')",
                        order="s.position, s.id", extra=_QUEUE_NAME),
        "guests": nested(postgres, "g", _all(MeetingGuest), "FROM meeting_guest g WHERE g.meeting = m.id", order="g.id"),
        # The account's households present: its verified flats among those marked (filtered to the meeting's
        # scope by the caller, as access decided it).
        "present": nested(postgres, "t", (Attendance.flat,), "FROM meeting_attendance t WHERE t.meeting = m.id "
                          "AND t.flat IN (SELECT vf.flat FROM verification vf JOIN person vp ON vp.id = vf.person "
                          "WHERE vp.account = {} AND vf.revoked_at IS NULL)"),
        **{f"links:{name}": read.subquery(postgres, _ITEMS_OF_MEETING) for name, read in contributions.item_link_reads().items()},
    }  # fmt: skip


# The thread's first page (deliberation.comments.thread_page): its ids, one more than shown to know if there are
# older ones, from the (item, parent, id) index; then those comments and their replies with their authors' names.
_FIRST_IDS = ("SELECT ti.id FROM agenda_comment ti WHERE ti.item = {} AND ti.parent IS NULL ORDER BY ti.id DESC "  # noqa: S608
              f"LIMIT {comments.PAGE_SIZE}")  # fmt: skip
_AUTHOR = {"author.display_name": ("(SELECT ca.display_name FROM account ca WHERE ca.id = tc.author)", None)}


def _item_parts(postgres: bool) -> dict[str, Nested]:
    return {
        "item": nested(postgres, "i", _all(AgendaItem), "FROM agenda_item i WHERE i.id = {} AND i.meeting = m.id"),
        "attachments": nested(postgres, "a", _all(Attachment), "FROM agenda_attachment a WHERE a.item = {}", order="a.id"),
        "thread_ids": nested(postgres, "ti", (Comment.id,), "FROM agenda_comment ti WHERE ti.item = {} AND ti.parent IS NULL",
                             order="ti.id DESC", limit=comments.PAGE_SIZE + 1),
        "thread": nested(postgres, "tc", tuple(c for c in comments.COLUMNS if not c._meta.call_chain),
                         f"FROM agenda_comment tc WHERE tc.id IN ({_FIRST_IDS}) OR tc.parent IN ({_FIRST_IDS})",
                         order="tc.id", extra=_AUTHOR),
        **{f"links:{name}": read.subquery(postgres, _THE_ITEM) for name, read in contributions.item_link_reads().items()},
    }  # fmt: skip


_statements: dict[tuple[bool, str], tuple[str, dict[str, Nested]]] = {}


def _statement(kind: str) -> tuple[str, dict[str, Nested]]:
    """The page's statement and its subqueries, built once per engine."""
    postgres = is_postgres()
    found = _statements.get((postgres, kind))
    if found is None:
        parts = _meeting_parts(postgres) if kind == "meeting" else _item_parts(postgres)
        columns = "".join(f', {part.sql} AS "{name}"' for name, part in parts.items())
        if kind == "item":
            columns += ', (SELECT COUNT(*) FROM agenda_comment cc WHERE cc.item = {}) AS "comments"'
        found = _statements[(postgres, kind)] = (_MEETING.format(subqueries=columns), parts)
    return found


@dataclass
class Read:
    meeting: dict[str, Any]
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comments: int = 0

    def links(self) -> dict[str, list[dict[str, Any]]]:
        return {name.split(":", 1)[1]: rows for name, rows in self.lists.items() if name.startswith("links:")}

    async def item_links(self, item_ids: list[int]) -> dict[int, list[ItemLink]]:
        return await contributions.item_links(item_ids, self.links())


async def _run(kind: str, args: list[Any]) -> Read:
    sql, parts = _statement(kind)
    rows = await Meeting.raw(sql, *args)
    if not rows:
        raise NotFound(NOT_FOUND)
    row = dict(rows[0])
    lists = {name: part.rows(row.pop(name)) for name, part in parts.items()}
    return Read(row, lists, int(row.pop("comments", 0) or 0))


async def meeting_page(meeting_id: int, account_id: int) -> Read:
    """The meeting (404 if there is none) with its agenda, item links, queue, guests and the account's
    verified flats marked present."""
    return await _run("meeting", [account_id, meeting_id])


async def item_page(meeting_id: int, item_id: int) -> Read:
    """The meeting (404 if there is none) with one of its items ("item": none if it is not this meeting's),
    the item's attachments and links, and its number of comments."""
    links = len(contributions.item_link_reads())
    return await _run("item", [item_id, item_id, item_id, item_id, item_id, *([item_id] * links), item_id, meeting_id])


async def phone_data(read: Read) -> dict[str, Any]:
    """What feed.gather gives the phone's parts ("now", "agenda", "queue"), from what the page read."""
    meeting, agenda = read.meeting, read.lists["agenda"]
    item, number, count = await feed.current_item(meeting, agenda)
    return {
        "meeting": meeting, "agenda": agenda, "item": item, "number": number, "count": count,
        "links": await read.item_links([int(i["id"]) for i in agenda]),
        "queue": session.queue_from(read.lists["queue"], int(meeting["speaking_limit"])),
    }  # fmt: skip
