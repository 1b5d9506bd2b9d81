"""Which street each community belongs to, kept in memory: every community page links to its street (/s/{slug})
from the footer without a query of its own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from community.tables import Community

# Another process may rename a street or move a community: this process reads the table again after this long.
# A change made in this process is seen at once (`forget`).
MAX_AGE_SECONDS = 300.0


@dataclass(frozen=True)
class StreetLink:
    slug: str
    name: str


_streets: dict[int, StreetLink | None] | None = None
_loaded_at = 0.0


def forget() -> None:
    """After a street or community changed: the next request reads the table again."""
    global _streets
    _streets = None


async def refresh_if_stale() -> None:
    """Read every community's street when nothing is loaded yet or what is loaded is old (one statement)."""
    global _streets, _loaded_at
    if _streets is not None and time.monotonic() - _loaded_at < MAX_AGE_SECONDS:
        return
    rows = await Community.select(
        Community.id, Community.street_ref.slug.as_alias("slug"), Community.street_ref.name.as_alias("name")
    )
    _streets = {int(r["id"]): StreetLink(r["slug"], r["name"]) if r["slug"] else None for r in rows}
    _loaded_at = time.monotonic()


def street_of(community_id: Any) -> StreetLink | None:
    """The street of a community, if it has one (and it is known to this process)."""
    if _streets is None:
        return None
    try:
        return _streets.get(int(community_id))
    except (TypeError, ValueError):
        return None
