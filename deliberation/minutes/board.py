"""The public notice board of a community and its Atom feed: what is read, never written, without signing in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from community.canonical import fingerprint
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.contributions import NoticeEntry
from community.permissions import community_by_slug
from deliberation import contributions
from deliberation.minutes import board_read, places
from deliberation.minutes.gather import loaded
from deliberation.minutes.present import Countdown, countdown
from deliberation.minutes.tables import Publication
from deliberation.tables import Notice
from votes.ballot_store import choice_measures_of
from votes.participation import Participation, participation
from votes.rules import Measure
from votes.settings import from_json

PAGE_SIZE = 20
QUERY_MAX_LENGTH = 100
FEED_SIZE = 50


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class MeetingNotice:
    """An upcoming meeting as its latest notice announced it (what a notice board shows, no names)."""

    meeting_id: int
    title: str
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    venue: str
    address: str
    places: tuple[str, ...]
    number: int
    noticed_at: datetime
    items: tuple[tuple[str, str], ...]  # (title, description)
    notice_id: int = 0
    fingerprint: str = ""  # of the notice's publication in the chain ("" for a notice from before the chain had them)


@dataclass(frozen=True)
class OpenVote:
    """A vote in progress: how many have taken part, never how they voted."""

    vote_id: int
    title: str
    kind: str
    scope: str
    closes_at: datetime | None
    headcount: int
    total_headcount: int
    area: int
    total_area: int
    by_area: bool
    missing_headcount: int
    missing_area: int
    reached: bool
    participation: Participation | None = None  # for the one sentence of what is missing (votes/_macros.html)


@dataclass(frozen=True)
class ResultNotice:
    """A result in its notice period: countdown and how to object."""

    title: str
    url: str
    published_at: datetime
    ends_at: datetime
    left: Countdown
    how_to_object: str
    summary: str = ""
    outcome: str = ""

    @property
    def last_day(self) -> datetime:
        """Periods end at midnight, exclusively: the page names the last whole day."""
        return self.ends_at - timedelta(seconds=1)


@dataclass
class Board:
    community: dict[str, Any]
    meetings: list[MeetingNotice]
    votes: list[OpenVote]
    results: list[ResultNotice]
    others: list[NoticeEntry]
    minutes: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    years: list[int]
    buildings: list[str]
    filters: dict[str, str] = field(default_factory=dict)
    # stored name -> (the filter's label, an entry's label), e.g. "幸福里 3号楼" (deliberation/minutes/places.py)
    building_labels: dict[str, tuple[str, str]] = field(default_factory=dict)


def upcoming_meetings(rows: list[dict[str, Any]], notices: list[dict[str, Any]], at: datetime) -> list[MeetingNotice]:
    """The meetings noticed or in session (`rows`, by start) as their latest notice announced them (`notices` of
    those meetings by number, each with its publication's sha256 if the chain has it)."""
    # A meeting stays on the board until half a day after it ended (or started, if no end was announced).
    cutoff = at - timedelta(hours=12)
    ids = [int(r["id"]) for r in rows if r["starts_at"] is None or (r["ends_at"] or r["starts_at"]) >= cutoff]
    if not ids:
        return []
    latest: dict[int, dict[str, Any]] = {}
    for row in notices:
        if int(row["meeting"]) in ids:
            latest[int(row["meeting"])] = row
    prints = {int(n["id"]): fingerprint(str(n["sha256"])) for n in latest.values() if n["sha256"] is not None}
    found = []
    for meeting_id in ids:
        notice = latest.get(meeting_id)
        if notice is None:
            continue
        snapshot = cast(Mapping[str, Any], loaded(notice["snapshot"]) or {})
        found.append(
            MeetingNotice(
                meeting_id=meeting_id,
                title=str(snapshot.get("title", "")),
                kind=str(snapshot.get("kind", "")),
                starts_at=_moment(snapshot.get("starts_at")),
                ends_at=_moment(snapshot.get("ends_at")),
                venue=str(snapshot.get("venue", "")),
                address=str(snapshot.get("venue_address", "")),
                places=tuple(str(p) for p in snapshot.get("scope_places", [])),
                number=int(notice["number"]),
                noticed_at=notice["published_at"],
                items=tuple((str(i.get("title", "")), str(i.get("description", ""))) for i in snapshot.get("items", [])),
                notice_id=int(notice["id"]),
                fingerprint=prints.get(int(notice["id"]), ""),
            )
        )
    return found


async def open_votes(rows: list[dict[str, Any]], at: datetime) -> list[OpenVote]:
    """Open votes (`rows`, by closing time) with their participation: the same pure function, on the same stored
    snapshot and settings, as the vote's own board, manage page and projector (votes.turnout.participation_of), so
    every screen states the same figures; every open vote's ballots are read in one statement."""
    # Its window ran out: the votes package closes it on the next visit.
    rows = [row for row in rows if row["closes_at"] is None or row["closes_at"] > at]
    measures = await choice_measures_of([int(row["id"]) for row in rows])  # every open vote in one statement
    found = []
    for row in rows:
        vote_id = int(row["id"])
        per_choice = measures[vote_id]
        kind = str(row["kind"])
        totals = Measure(int(row["entities"]), int(row["total_area"]))  # the snapshot's, stored when it opened
        settings = from_json(row["settings"] or {})  # stored whole when the vote opened
        counted = participation(kind, settings, totals, per_choice, show_counts=settings.show_live)  # type: ignore[arg-type]
        found.append(
            OpenVote(
                vote_id=vote_id,
                title=str(row["title"]),
                kind=kind,
                scope=str(row["scope_label"] or ""),
                closes_at=row["closes_at"],
                headcount=counted.participating.headcount,
                total_headcount=counted.totals.headcount,
                area=counted.participating.area,
                total_area=counted.totals.area,
                by_area=counted.by_area,
                missing_headcount=counted.missing.headcount,
                missing_area=counted.missing.area,
                reached=counted.reached,
                participation=counted,
            )
        )
    return found


def _how_to_object(content: str) -> str:
    data = loaded(content) or {}
    notice = data.get("notice") or {}
    return str(notice.get("how_to_object", ""))


def results_in_notice(rows: list[dict[str, Any]], entries: list[NoticeEntry], at: datetime) -> list[ResultNotice]:
    """The result notices still in their objection period (`rows`) and the contributed entries that are."""
    found = [
        ResultNotice(
            title=str(r["title"]),
            url=f"/minutes/{r['minutes']}",
            published_at=r["published_at"],
            ends_at=r["ends_at"],
            left=countdown(r["ends_at"], at),
            how_to_object=_how_to_object(r["content"]),
            summary=str(r["summary"] or ""),
            outcome=str(((loaded(r["outcomes"]) or [{}])[0] or {}).get("outcome", "")),
        )
        for r in rows
    ]
    found += [
        ResultNotice(e.title, e.url, e.published_at, e.ends_at, countdown(e.ends_at, at), e.how_to_object, e.summary)
        for e in entries
        if e.ends_at is not None and e.ends_at > at
    ]
    return sorted(found, key=lambda r: r.ends_at)


def _like(word: str) -> str:
    """A LIKE pattern matching `word` anywhere. Wildcards typed in the search box are dropped rather than
    escaped: SQLite and PostgreSQL disagree on the default escape character."""
    return "%" + word.replace("%", "").replace("_", "").replace("\\", "") + "%"


def filter_options(rows: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    years = sorted({int(r["year"]) for r in rows}, reverse=True)
    buildings = sorted({str(b) for r in rows for b in (r["buildings"] or [])})
    return years, buildings


def parse_filters(params: Mapping[str, str]) -> tuple[int | None, str, str, int]:
    """(year, building, search words, page) from the query string; anything malformed is ignored."""
    raw_year = str(params.get("year", "") or "").strip()
    year = int(raw_year) if raw_year.isascii() and raw_year.isdigit() and 1900 < int(raw_year) < 3000 else None
    building = str(params.get("building", "") or "").strip()[:50]
    query = " ".join(str(params.get("q", "") or "").split())[:QUERY_MAX_LENGTH]
    raw_page = str(params.get("page", "") or "").strip()
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 0 < int(raw_page) < 100000 else 1
    return year, building, query, page


async def board(slug: str, params: Mapping[str, str], at: datetime | None = None) -> Board:
    at = at or now()
    year, building, query, page = parse_filters(params)
    # SQLite's LIKE already ignores case (for Latin letters); PostgreSQL's ILIKE is used there (board_read).
    read = await board_read.read(slug, at, year, [_like(word) for word in query.split()[:5]])
    community_id = int(read.community["id"])
    entries = await contributions.notice_entries(community_id, read.notices_read)
    results = results_in_notice(read.results, entries, at)
    shown = {r.url for r in results}
    minutes = [r for r in read.minutes if building in (r["buildings"] or [])] if building else read.minutes
    pages = max(1, (len(minutes) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(page, pages)
    years, buildings = filter_options(read.options)
    return Board(
        community=read.community,
        meetings=upcoming_meetings(read.meetings, read.notices, at),
        votes=await open_votes(read.votes, at),
        results=results,
        others=[e for e in entries if e.url not in shown and e.kind not in ("minutes",)][:10],
        minutes=minutes[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(minutes),
        page=page,
        pages=pages,
        years=years,
        buildings=buildings,
        filters={"year": str(year or ""), "building": building, "q": query},
        building_labels=places.labels_from(read.buildings, buildings),
    )


# --- Atom feed ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    url: str  # absolute
    updated: datetime
    summary: str
    category: str


def entry_id(base: str, name: str) -> str:
    """A permanent entry id: a UUID derived from the site and what the entry is (urn:uuid, valid in Atom)."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{name}"))


# Publications read at /minutes/{id}; meeting and project notices are listed from their own sources below.
MINUTES_KINDS = ["minutes", "addendum", "notice"]


async def feed(slug: str, base: str) -> tuple[dict[str, Any], list[FeedEntry]]:
    """Everything published on a community's board, newest first: publications, meeting notices, contributions."""
    community = await community_by_slug(slug)
    community_id = int(community["id"])
    entries: list[FeedEntry] = []
    for r in await Publication.select(
        Publication.seq, Publication.kind, Publication.minutes, Publication.title, Publication.summary,
        Publication.published_at, Publication.sha256,
    ).where((Publication.community == community_id) & Publication.kind.is_in(MINUTES_KINDS)).order_by(
        Publication.seq, ascending=False
    ).limit(FEED_SIZE):  # fmt: skip
        entries.append(
            FeedEntry(
                id=entry_id(base, f"c/{slug}/publication/{r['seq']}"),
                title=str(r["title"]),
                url=f"{base}/minutes/{r['minutes']}",
                updated=r["published_at"],
                summary=str(r["summary"] or ""),
                category=str(r["kind"]),
            )
        )
    notices = await Notice.select(
        Notice.id, Notice.number, Notice.published_at, Notice.snapshot, Notice.meeting
    ).where(Notice.meeting.community == community_id).order_by(Notice.published_at, ascending=False).limit(FEED_SIZE)
    from deliberation.minutes.notices import fingerprints

    chained = await fingerprints([int(n["id"]) for n in notices])
    for n in notices:
        snapshot = cast(Mapping[str, Any], loaded(n["snapshot"]) or {})
        items = [str(i.get("title", "")) for i in snapshot.get("items", [])]
        entries.append(
            FeedEntry(
                id=entry_id(base, f"c/{slug}/meeting-notice/{n['id']}"),
                title=str(snapshot.get("title", "")),
                url=f"{base}/notices/{n['id']}" if int(n["id"]) in chained else f"{base}/c/{slug}#meeting-{n['meeting']}",
                updated=n["published_at"],
                summary="；".join(items),
                category="meeting",
            )
        )
    for e in await contributions.notice_entries(community_id):
        url = e.url if e.url.startswith("http") else base + e.url
        entries.append(
            FeedEntry(
                id=entry_id(base, f"c/{slug}/{e.kind}/{e.url}/{e.published_at.isoformat()}"),
                title=e.title,
                url=url,
                updated=e.published_at,
                summary=e.summary,
                category=e.kind,
            )
        )
    entries.sort(key=lambda e: e.updated, reverse=True)
    return community, entries[:FEED_SIZE]
