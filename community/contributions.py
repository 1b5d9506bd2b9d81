"""What a package hands to the public pages of the floor above it: entries of a community's notice board and
sections of a vote's minutes (projects contribute both; `deliberation.contributions` gathers them).

Plain data, all of it public: no residents' names, owners appear as opaque ids, people by role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class NoticeEntry:
    """One entry of a community's public notice board."""

    kind: str  # "meeting", "vote", "result", "minutes", "project", …
    title: str
    url: str
    published_at: datetime
    summary: str = ""
    buildings: tuple[str, ...] = ()  # building names it concerns, for the board's filter
    ends_at: datetime | None = None  # end of a notice or objection period: the board shows a countdown
    how_to_object: str = ""  # plain words: where and until when to lodge a written objection


@dataclass(frozen=True)
class MinutesSection:
    """A titled part of a vote's minutes: paragraphs and optional tables (header row + rows), all plain text."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = ()
    data: dict[str, object] = field(default_factory=dict)  # machine-readable form for the canonical hash
