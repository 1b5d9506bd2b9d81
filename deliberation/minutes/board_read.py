"""The notice board's own reads in one statement: the community by its slug with, as JSON subqueries, the result
notices in their objection period, the published minutes (filtered), the filter's years and buildings (with the
compounds that have a building of that name), the upcoming meetings and their notices with fingerprints, and the
open votes, and the sections other packages contribute (deliberation.contributions.NoticeRead). The open votes'
ballots are read by votes.ballot_store, in one statement for all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.db import is_postgres
from community.errors import NotFound
from community.i18n import lazy
from community.sqljson import Nested, aggregate, nested
from community.tables import Community
from deliberation import contributions
from deliberation.minutes.tables import Publication
from deliberation.tables import Meeting, Notice
from votes.tables import Vote

_MINUTES_KINDS = "('minutes', 'addendum')"
_UPCOMING = "('noticed', 'in_session')"


def _parts(postgres: bool, year: bool, words: int) -> dict[str, Nested]:
    p = Publication
    search = " AND p.search_text " + ("ILIKE" if postgres else "LIKE") + " {}"  # SQLite's LIKE ignores case already
    if postgres:
        names = f"SELECT json_array_elements_text(p2.buildings::json) FROM publication p2 WHERE p2.community = c.id AND p2.kind IN {_MINUTES_KINDS}"  # noqa: S608
    else:
        names = f"SELECT j.value FROM publication p2, json_each(p2.buildings) j WHERE p2.community = c.id AND p2.kind IN {_MINUTES_KINDS}"  # noqa: S608
    return {
        "results": nested(postgres, "p", (p.minutes, p.title, p.summary, p.published_at, p.ends_at, p.content, p.outcomes),
                          "FROM publication p WHERE p.community = c.id AND p.kind = 'notice' AND p.ends_at > {}",
                          order="p.ends_at"),
        "minutes": nested(postgres, "p", (p.minutes, p.seq, p.kind, p.title, p.summary, p.published_at, p.year,
                                          p.buildings, p.outcomes, p.sha256),
                          f"FROM publication p WHERE p.community = c.id AND p.kind IN {_MINUTES_KINDS}"
                          + (" AND p.year = {}" if year else "") + search * words, order="p.seq DESC"),
        "options": nested(postgres, "p", (p.year, p.buildings),
                          f"FROM publication p WHERE p.community = c.id AND p.kind IN {_MINUTES_KINDS}"),
        "buildings": Nested(aggregate(postgres, ("b.name", "cp.name"),
                                      f"FROM building b JOIN compound cp ON cp.id = b.compound WHERE cp.community = c.id "
                                      f"AND b.name IN ({names})", order="cp.name"), ("name", "compound.name"), (None, None)),
        "meetings": nested(postgres, "mt", (Meeting.id, Meeting.starts_at, Meeting.ends_at),
                           f"FROM meeting mt WHERE mt.community = c.id AND mt.status IN {_UPCOMING}", order="mt.starts_at"),
        "notices": nested(postgres, "n", (Notice.id, Notice.meeting, Notice.number, Notice.published_at, Notice.snapshot),
                          f"FROM meeting_notice n JOIN meeting mt ON mt.id = n.meeting WHERE mt.community = c.id "
                          f"AND mt.status IN {_UPCOMING}", order="n.number",
                          extra={"sha256": ("(SELECT pf.sha256 FROM publication pf WHERE pf.notice = n.id LIMIT 1)", None)}),
        "votes": nested(postgres, "v", (Vote.id, Vote.title, Vote.kind, Vote.scope_label, Vote.closes_at, Vote.settings,
                                        Vote.entities, Vote.total_area),
                        "FROM vote v WHERE v.community = c.id AND v.status = 'open'", order="v.closes_at"),
        # What other packages put on the board (deliberation.contributions), where they can be read here too.
        **{f"notice:{source}:{name}": part for source, read in contributions.notice_reads().items()
           for name, part in read.subqueries(postgres).items()},
    }  # fmt: skip


_statements: dict[tuple[bool, bool, int], tuple[str, dict[str, Nested]]] = {}


def _statement(year: bool, words: int) -> tuple[str, dict[str, Nested]]:
    postgres = is_postgres()
    key = (postgres, year, words)
    found = _statements.get(key)
    if found is None:
        parts = _parts(postgres, year, words)
        columns = "".join(f', {part.sql} AS "{name}"' for name, part in parts.items())
        sql = (f"SELECT c.*, st.slug AS street_slug{columns} FROM community c "  # noqa: S608 - literals only
               "LEFT JOIN street st ON st.id = c.street_ref WHERE c.slug = {}")  # fmt: skip
        found = _statements[key] = (sql, parts)
    return found


def _json(value: Any) -> Any:
    """A JSON column as `.output(load_json=True)` gives it."""
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class BoardRows:
    community: dict[str, Any]
    results: list[dict[str, Any]]
    minutes: list[dict[str, Any]]
    options: list[dict[str, Any]]
    buildings: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    votes: list[dict[str, Any]]
    notices_read: dict[str, dict[str, list[dict[str, Any]]]]  # by source, then by name (contributions.NoticeRead)


async def read(slug: str, at: datetime, year: int | None, words: list[str]) -> BoardRows:
    """Everything the board reads itself, for the community `slug` (404 if there is none); `words`: LIKE patterns
    the minutes' search text must all match."""
    sql, parts = _statement(year is not None, len(words))
    rows = await Community.raw(sql, at, *([year] if year is not None else []), *words, slug)
    if not rows:
        raise NotFound(lazy("This community does not exist."))
    row = dict(rows[0])
    lists = {name: part.rows(row.pop(name)) for name, part in parts.items()}
    for name, keys in (("minutes", ("buildings", "outcomes")), ("options", ("buildings",)), ("votes", ("settings",))):
        for item in lists[name]:
            for key in keys:
                item[key] = _json(item[key])
    contributed: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for key in [k for k in lists if k.startswith("notice:")]:
        _notice, source, name = key.split(":", 2)
        contributed.setdefault(source, {})[name] = lists.pop(key)
    return BoardRows(community=row, notices_read=contributed, **lists)
