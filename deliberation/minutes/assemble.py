"""The minutes' content, assembled from plain facts about a meeting or a written consultation and its votes.

The content is language-independent data (codes, numbers, dates, the texts people wrote); pages translate
the labels when they show it. It is what sign-offs vouch for and what a publication hashes, so it holds
no residents' names: staff appear by role, owners only as the opaque ids of the vote records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from community.canonical import CanonicalError, iso

CONTENT_SCHEMA: Final = "yishi.minutes/1"
REMEDY_BASIS: Final = "spc-2009-7-art-12"  # SPC interpretation 法释〔2009〕7号 Art. 12: revoke within one year
NOTE_FIELDS: Final = ("positions_heard", "objections", "agreed_points", "open_points")


@dataclass(frozen=True)
class CommunityFacts:
    id: int
    slug: str
    name: str
    street: str = ""


@dataclass(frozen=True)
class NoteFacts:
    """The recorder's notes on one agenda item (Markdown, as written)."""

    positions_heard: str = ""
    objections: str = ""
    agreed_points: str = ""
    open_points: str = ""


@dataclass(frozen=True)
class SectionFacts:
    """A part another package contributes to a vote's minutes (e.g. objections and their handling)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CountingFacts:
    """Who counted (entered paper ballots) and who scrutinised (confirmed them), by their roles only."""

    counters: tuple[str, ...] = ()  # role codes, one per person: ("grid_worker", "building_lead")
    scrutineers: tuple[str, ...] = ()
    paper_entered: int = 0
    paper_confirmed: int = 0
    paper_rejected: int = 0
    rejection_reasons: tuple[str, ...] = ()  # what the scrutineer wrote when refusing a paper ballot
    conflicts: tuple[tuple[str, str], ...] = ()  # (kind, resolution) of each ballot conflict


@dataclass(frozen=True)
class BallotFacts:
    """The counted ballots of a vote, by channel and choice (one per voting entity)."""

    returned: int = 0
    by_channel: tuple[tuple[str, int], ...] = ()
    by_choice: tuple[tuple[str, int], ...] = ()
    served: int = 0  # entities to which a ballot with the silent-majority warning was provably delivered


@dataclass(frozen=True)
class VoteFacts:
    """A closed vote as its minutes report it."""

    id: int
    title: str
    question: str
    kind: str  # owners / residents / poll
    matter: int | None
    scope_label: str
    opens_at: datetime | None
    closes_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    channels: tuple[str, ...]
    settings: Mapping[str, object]
    entities: int
    total_area: int  # hundredths of m²
    electorate_hash: str
    result: Mapping[str, object]
    result_detail: Mapping[str, object] | None = None
    record: Mapping[str, object] | None = None  # owners' votes: the yishi.vote-record/1 record with "result"
    options: tuple[str, ...] = ()
    ballots: BallotFacts = BallotFacts()
    counting: CountingFacts = CountingFacts()
    sections: Mapping[str, tuple[SectionFacts, ...]] = field(default_factory=dict)  # language → sections
    buildings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeFacts:
    number: int
    published_at: datetime
    items: tuple[str, ...]  # the titles of the agenda as that notice announced it


@dataclass(frozen=True)
class ItemFacts:
    id: int
    position: int
    title: str
    description: str
    status: str
    noticed_in: int | None  # number of the first notice that announced it
    notes: NoteFacts | None = None
    votes: tuple[VoteFacts, ...] = ()


@dataclass(frozen=True)
class UnitAttendance:
    label: str
    households: int
    households_present: int
    area: int
    area_present: int


@dataclass(frozen=True)
class AttendanceFacts:
    households: int
    households_present: int
    area: int
    area_present: int
    by_unit: tuple[UnitAttendance, ...] = ()
    by_method: tuple[tuple[str, int], ...] = ()  # ("qr", 7), ("paper", 2)


@dataclass(frozen=True)
class MeetingFacts:
    id: int
    kind: str
    title: str
    scope_kind: str
    scope_places: tuple[str, ...]
    starts_at: datetime | None
    ends_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    venue: str
    venue_address: str
    facilitator: bool  # whether the meeting had one (shown by role, never by name)
    recorder: bool
    guests: tuple[tuple[str, str], ...]  # (role, organisation): experts and institutions, not residents
    attendance: AttendanceFacts
    notices: tuple[NoticeFacts, ...]
    items: tuple[ItemFacts, ...]
    buildings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorrectionFacts:
    """The published minutes an addendum corrects."""

    minutes_id: int
    title: str
    sha256: str
    published_at: datetime


@dataclass(frozen=True)
class MinutesFacts:
    minutes_id: int
    kind: str  # minutes / addendum / notice
    title: str
    community: CommunityFacts
    meeting: MeetingFacts | None = None
    votes: tuple[VoteFacts, ...] = ()  # a written consultation's votes, or the vote a notice announces
    narrative: Mapping[str, str] = field(default_factory=dict)
    corrects: CorrectionFacts | None = None
    notice_days: int | None = None


def _when(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def _section(section: SectionFacts) -> dict[str, object]:
    return {
        "title": section.title,
        "paragraphs": list(section.paragraphs),
        "tables": [{"header": list(header), "rows": [list(row) for row in rows]} for header, rows in section.tables],
        "data": dict(section.data),
    }


def vote_content(vote: VoteFacts) -> dict[str, object]:
    """One decision: question, electorate, ballots, counting, the stored result and its record, settings applied."""
    return {
        "id": vote.id,
        "title": vote.title,
        "question": vote.question,
        "kind": vote.kind,
        "matter": vote.matter,
        "scope": vote.scope_label,
        "window": {
            "opens_at": _when(vote.opens_at),
            "closes_at": _when(vote.closes_at),
            "opened_at": _when(vote.opened_at),
            "closed_at": _when(vote.closed_at),
        },
        "channels": list(vote.channels),
        "settings": dict(vote.settings),
        "electorate": {"entities": vote.entities, "area": vote.total_area, "hash": vote.electorate_hash},
        "ballots": {
            "returned": vote.ballots.returned,
            "by_channel": {channel: count for channel, count in vote.ballots.by_channel},
            "by_choice": {choice: count for choice, count in vote.ballots.by_choice},
            "served": vote.ballots.served,
        },
        "counting": {
            "counters": sorted(vote.counting.counters),
            "scrutineers": sorted(vote.counting.scrutineers),
            "paper_entered": vote.counting.paper_entered,
            "paper_confirmed": vote.counting.paper_confirmed,
            "paper_rejected": vote.counting.paper_rejected,
            "rejection_reasons": list(vote.counting.rejection_reasons),
            "conflicts": [{"kind": kind, "resolution": resolution} for kind, resolution in vote.counting.conflicts],
        },
        "options": list(vote.options),
        "result": dict(vote.result),
        "result_detail": dict(vote.result_detail) if vote.result_detail is not None else None,
        "record": dict(vote.record) if vote.record is not None else None,
        "sections": {
            language: [_section(section) for section in sections] for language, sections in sorted(vote.sections.items())
        },
    }


def _notes(notes: NoteFacts | None) -> dict[str, str]:
    if notes is None:
        return dict.fromkeys(NOTE_FIELDS, "")
    return {name: getattr(notes, name).strip() for name in NOTE_FIELDS}


def _meeting_content(meeting: MeetingFacts, narrative: Mapping[str, str]) -> dict[str, object]:
    attendance = meeting.attendance
    return {
        "id": meeting.id,
        "kind": meeting.kind,
        "title": meeting.title,
        "scope": {"kind": meeting.scope_kind, "places": list(meeting.scope_places)},
        "time": {
            "starts_at": _when(meeting.starts_at),
            "ends_at": _when(meeting.ends_at),
            "started_at": _when(meeting.started_at),
            "closed_at": _when(meeting.closed_at),
        },
        "place": {"venue": meeting.venue, "address": meeting.venue_address},
        "roles": {"facilitator": meeting.facilitator, "recorder": meeting.recorder},
        "guests": [{"role": role, "organisation": organisation} for role, organisation in meeting.guests],
        "attendance": {
            "households": attendance.households,
            "households_present": attendance.households_present,
            "area": attendance.area,
            "area_present": attendance.area_present,
            "by_unit": [
                {
                    "unit": unit.label,
                    "households": unit.households,
                    "households_present": unit.households_present,
                    "area": unit.area,
                    "area_present": unit.area_present,
                }
                for unit in attendance.by_unit
            ],
            "by_method": {method: count for method, count in attendance.by_method},
        },
        "notices": [
            {"number": notice.number, "published_at": iso(notice.published_at), "items": list(notice.items)}
            for notice in meeting.notices
        ],
        "items": [
            {
                "id": item.id,
                "position": item.position,
                "title": item.title,
                "description": item.description,
                "status": item.status,
                "noticed_in": item.noticed_in,
                "notes": _notes(item.notes),
                "narrative": narrative.get(f"item-{item.id}", "").strip(),
                "votes": [vote_content(vote) for vote in item.votes],
            }
            for item in meeting.items
        ],
    }


def all_votes(facts: MinutesFacts) -> list[VoteFacts]:
    """Every vote the minutes report, in the order they appear."""
    votes = list(facts.votes)
    if facts.meeting is not None:
        for item in facts.meeting.items:
            votes.extend(item.votes)
    return votes


def buildings(facts: MinutesFacts) -> list[str]:
    """The buildings the minutes concern, for the notice board's filter."""
    names: set[str] = set(facts.meeting.buildings) if facts.meeting is not None else set()
    for vote in all_votes(facts):
        names.update(vote.buildings)
    return sorted(names)


def assemble(facts: MinutesFacts) -> dict[str, object]:
    """The content of a draft, exactly as it would be published (sign-offs are added at publication)."""
    votes = all_votes(facts)
    content: dict[str, object] = {
        "schema": CONTENT_SCHEMA,
        "kind": facts.kind,
        "minutes": facts.minutes_id,
        "title": facts.title,
        "community": {"slug": facts.community.slug, "name": facts.community.name, "street": facts.community.street},
        "form": "meeting" if facts.meeting is not None else "written",
        "meeting": _meeting_content(facts.meeting, facts.narrative) if facts.meeting is not None else None,
        "votes": [vote_content(vote) for vote in facts.votes],
        "summary": facts.narrative.get("summary", "").strip(),
        "buildings": buildings(facts),
        # The remedy notice goes with every decision of the owners (Art. 278); other minutes record no such right.
        "remedy": {"basis": REMEDY_BASIS, "years": 1} if any(v.kind == "owners" for v in votes) else None,
    }
    if facts.kind == "addendum" and facts.corrects is not None:
        content["corrects"] = {
            "minutes": facts.corrects.minutes_id,
            "title": facts.corrects.title,
            "sha256": facts.corrects.sha256,
            "published_at": iso(facts.corrects.published_at),
        }
        content["correction"] = facts.narrative.get("correction", "").strip()
    if facts.kind == "notice":
        content["notice"] = {
            "days": facts.notice_days,
            "how_to_object": facts.narrative.get("how_to_object", "").strip(),
        }
    return content


def with_signoffs(content: Mapping[str, object], signoffs: Mapping[str, datetime]) -> dict[str, object]:
    """The published content: the draft as signed, with when each role signed it."""
    return {
        **content,
        "signoffs": [{"role": role, "signed_at": iso(moment)} for role, moment in sorted(signoffs.items())],
    }


def plain_text(content: Mapping[str, object]) -> str:
    """Every string in the content, for the notice board's search (not hashed, derived again when needed)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            if value and len(value) != 64:  # skip hashes: nobody searches for them
                found.append(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key != "record":  # the record is units and opaque ids; searching it only adds noise
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(content)
    return "\n".join(found)


NOTICE_SCHEMA: Final = "yishi.meeting-notice/1"


def meeting_notice_content(
    community: CommunityFacts, meeting_id: int, number: int, noticed_at: datetime, snapshot: Mapping[str, object]
) -> dict[str, object]:
    """What a meeting notice publishes: the meeting and its agenda as noticed, with no one's name (guests
    appear by role and organisation; the facilitator and the recorder by role only, on the meeting's pages)."""

    def text(key: str, source: Mapping[str, object] = snapshot) -> str:
        return "" if source.get(key) is None else str(source.get(key))

    def moment(key: str) -> str | None:
        value = snapshot.get(key)
        if not value:
            return None
        try:
            return iso(datetime.fromisoformat(str(value)))  # one form whichever engine stored the meeting
        except (ValueError, CanonicalError):
            return str(value)

    guests = snapshot.get("guests")
    items = snapshot.get("items")
    places = snapshot.get("scope_places")
    return {
        "schema": NOTICE_SCHEMA,
        "kind": "meeting_notice",
        "meeting_id": meeting_id,
        "number": number,
        "title": text("title"),
        "community": {"slug": community.slug, "name": community.name, "street": community.street},
        "meeting_kind": text("kind"),
        "starts_at": moment("starts_at"),
        "ends_at": moment("ends_at"),
        "venue": {"name": text("venue"), "address": text("venue_address")},
        "scope": {"kind": text("scope_kind"), "places": [str(p) for p in places] if isinstance(places, list) else []},
        "guests": [
            {"role": text("role", g), "organisation": text("organisation", g)}
            for g in (guests if isinstance(guests, list) else [])
            if isinstance(g, Mapping)
        ],
        "items": [
            {"position": int(str(i.get("position") or n)), "title": text("title", i), "description": text("description", i)}
            for n, i in enumerate(items if isinstance(items, list) else [], start=1)
            if isinstance(i, Mapping)
        ],
        "noticed_at": iso(noticed_at),
        "notice_days": days if isinstance(days := snapshot.get("notice_days"), int) else None,  # the period in force
    }
