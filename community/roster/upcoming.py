"""What is coming up for a resident's own flats, shown on "my flats" right after joining with a code.

The roster knows flats, not meetings or votes: the packages that do register a source here (meetings that
have been noticed for the resident's flats, open votes she may take part in), so `community` imports no
other package. A failing source is logged and left out; the page still shows the flats.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.accounts import CurrentUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upcoming:
    """One thing for the resident's flats: what it is (a msgid), its title, where to go, when it happens or ends."""

    kind: str
    title: str
    href: str
    when: datetime | None
    when_label: str  # msgid with %(when)s, e.g. "Starts %(when)s"
    community: str = ""


UpcomingSource = Callable[["CurrentUser"], Awaitable[list[Upcoming]]]
_sources: dict[str, UpcomingSource] = {}


def register_upcoming_source(name: str, source: UpcomingSource) -> None:
    _sources[name] = source


async def upcoming_for(user: CurrentUser) -> list[Upcoming]:
    """Everything registered sources find for the account's flats, soonest first (undated last)."""
    found: list[Upcoming] = []
    for name, source in _sources.items():
        try:
            found += await source(user)
        except Exception:
            log.exception("upcoming source %s failed", name)
    return sorted(found, key=lambda u: (u.when.timestamp() if u.when else float("inf"), u.title))
