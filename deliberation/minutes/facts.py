"""The plain facts minutes are assembled from: a meeting, its items, attendance and notes, a written consultation's
votes and their counting, the community, the minutes an addendum corrects. Frozen dataclasses, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


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
class ConcernFacts:
    """A resident's concern the item took up, as the public may read it: number, kind and place, never who."""

    number: int
    kind: str  # deliberation.concerns.core.KINDS
    building: str = ""  # empty for a common area, and always for a neighbour dispute
    unit: str = ""


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
    concerns: tuple[ConcernFacts, ...] = ()


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

