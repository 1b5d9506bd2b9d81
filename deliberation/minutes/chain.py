"""Appending to a community's publication chain: minutes, addenda, result notices and meeting notices alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from community.canonical import GENESIS, canonical_text, chain_hash_of_text
from community.config import get_config
from deliberation.minutes.tables import Publication


def listing_of(
    title: str, summary: str, outcomes: Sequence[Mapping[str, object]], ends_at: datetime | None, buildings: Sequence[str]
) -> dict[str, object]:
    """The board's listing of a publication, as it is hashed (and compared by the audit)."""
    return {
        "title": title,
        "summary": summary,
        "outcomes": [dict(o) for o in outcomes],
        # To the second, in UTC: the same instant reads back the same from either database.
        "ends_at": ends_at.astimezone(UTC).replace(microsecond=0).isoformat() if ends_at is not None else None,
        "buildings": list(buildings),
    }


async def append(
    community_id: int,
    kind: str,
    content: Mapping[str, Any],
    *,
    published_at: datetime,
    published_by: int | None,
    title: str,
    summary: str = "",
    buildings: Sequence[str] = (),
    outcomes: Sequence[Mapping[str, object]] = (),
    search_text: str = "",
    minutes: int | None = None,
    notice: int | None = None,
    ends_at: datetime | None = None,
) -> tuple[int, str]:
    """Inside a write transaction: store `content` as the community's next publication; its seq and SHA-256.

    Two publications racing for the same place violate UNIQUE (community, seq): the caller retries or
    tells the user, and nothing half-written remains (the transaction rolls back).
    """
    last = await Publication.select(Publication.seq, Publication.sha256).where(
        Publication.community == community_id
    ).order_by(Publication.seq, ascending=False).first()
    seq = int(last["seq"]) + 1 if last else 1
    previous = str(last["sha256"]) if last else GENESIS
    published_at = published_at.replace(microsecond=0)  # stamped to the second on both engines
    # What the notice board lists (title, summary, decisions, end of the objection period, buildings) is
    # hashed with the content, so `yishi audit verify` and anyone outside can tell when a listing changed.
    listing = listing_of(title[:200], summary[:500], outcomes, ends_at, buildings)
    content = {**content, "listing": listing}
    text = canonical_text(content)
    digest = chain_hash_of_text(community_id, seq, kind, published_at, previous, text)
    await Publication.insert(
        Publication(
            community=community_id,
            seq=seq,
            kind=kind,
            minutes=minutes,
            notice=notice,
            content=text,
            sha256=digest,
            previous=previous,
            published_at=published_at,
            published_by=published_by,
            title=title[:200],
            summary=summary[:500],
            year=published_at.astimezone(ZoneInfo(get_config().timezone)).year,
            buildings=list(buildings),
            outcomes=[dict(o) for o in outcomes],
            search_text=search_text,
            ends_at=ends_at,
        )
    )
    return seq, digest
