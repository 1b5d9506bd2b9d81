"""What the public notice board, the minutes and agenda items gather from elsewhere (concerns, votes, projects).

Three registries, filled at start-up by `deliberation.wiring` (deliberation sits above votes, so it plugs
votes' and projects' read functions in; votes knows nothing of meetings):
- notice board sections: entries a community's public board (/c/{slug}) lists, such as results in their
  notice period with a countdown and how to object;
- minutes sections: extra parts of a vote's minutes, such as cost shares, consents of occupied flats and
  objections with their handling;
- item links: what an agenda item leads on to, such as the vote taken on it (the ballot for residents, its
  management for staff).
Everything here is public: no residents' names, owners appear as opaque ids, people by role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from community.contributions import MinutesSection, NoticeEntry
from community.sqljson import Nested


@dataclass(frozen=True)
class ItemLink:
    """Where an agenda item leads on to: `label` is a message id (translated where it is shown)."""

    label: str
    url: str
    primary: bool = False  # the one thing to do now (e.g. an open vote): shown as the main button
    staff_url: str = ""  # the same thing for the meeting's staff (e.g. managing the vote), if different


NoticeSource = Callable[[int], Awaitable[list[NoticeEntry]]]  # community id → entries
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class NoticeRead:
    """A source's entries read inside the board's own statement (deliberation.minutes.board_read):
    `subqueries(postgres)` give its rows for the community `c.id` of that statement, by name; `entries(community id,
    rows by name)` turns them into entries (reading more only where it must)."""

    subqueries: Callable[[bool], dict[str, Nested]]
    entries: Callable[[int, dict[str, Rows]], Awaitable[list[NoticeEntry]]]
MinutesSource = Callable[[int], Awaitable[list[MinutesSection]]]  # vote id → sections

ItemLinkSource = Callable[[list[int]], Awaitable[dict[int, list[ItemLink]]]]  # item ids → their links


@dataclass(frozen=True)
class ItemLinkRead:
    """A source's links read inside a page's own statement (deliberation.phone_reads): `subquery(postgres, items)`
    gives its rows for the agenda items whose ids the SQL `items` selects; `links(rows)` turns them into links."""

    subquery: Callable[[bool, str], Nested]
    links: Callable[[list[dict[str, Any]]], dict[int, list[ItemLink]]]


_notice_sources: dict[str, NoticeSource] = {}
_item_link_sources: dict[str, ItemLinkSource] = {}
_minutes_sources: dict[str, MinutesSource] = {}
_notice_reads: dict[str, NoticeRead] = {}
_item_link_reads: dict[str, ItemLinkRead] = {}


def register_notice_source(name: str, source: NoticeSource, read: NoticeRead | None = None) -> None:
    _notice_sources[name] = source
    if read is not None:
        _notice_reads[name] = read


def notice_reads() -> dict[str, NoticeRead]:
    """The sources whose entries the board can read within its own statement."""
    return dict(_notice_reads)


def register_minutes_source(name: str, source: MinutesSource) -> None:
    _minutes_sources[name] = source


def register_item_link_source(name: str, source: ItemLinkSource, read: ItemLinkRead | None = None) -> None:
    _item_link_sources[name] = source
    if read is not None:
        _item_link_reads[name] = read


def item_link_reads() -> dict[str, ItemLinkRead]:
    """The sources whose links a page can read within its own statement."""
    return dict(_item_link_reads)


async def item_links(item_ids: list[int], read: dict[str, list[dict[str, Any]]] | None = None) -> dict[int, list[ItemLink]]:
    """Every contributed link of these agenda items (items without any are left out); `read`: the rows of the
    sources already read with the page's statement (ItemLinkRead), by source name."""
    found: dict[int, list[ItemLink]] = {}
    if not item_ids:
        return found
    for name, source in _item_link_sources.items():
        rows = (read or {}).get(name)
        links = _item_link_reads[name].links(rows) if rows is not None else await source(item_ids)
        for item_id, item_links in links.items():
            found.setdefault(item_id, []).extend(item_links)
    return found


async def notice_entries(community_id: int, read: dict[str, dict[str, Rows]] | None = None) -> list[NoticeEntry]:
    """All contributed entries for a community, newest first; `read`: the rows of the sources already read with
    the board's statement (NoticeRead), by source name."""
    entries: list[NoticeEntry] = []
    for name, source in _notice_sources.items():
        rows = (read or {}).get(name)
        entries.extend(await _notice_reads[name].entries(community_id, rows) if rows is not None else await source(community_id))
    return sorted(entries, key=lambda e: e.published_at, reverse=True)


async def minutes_sections(vote_id: int) -> list[MinutesSection]:
    """Contributed sections for a vote's minutes, in registration order."""
    sections: list[MinutesSection] = []
    for source in _minutes_sources.values():
        sections.extend(await source(vote_id))
    return sections
