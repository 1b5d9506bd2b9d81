"""Appending to a community's publication chain: minutes, addenda, result notices and meeting notices alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from community.config import get_config
from deliberation.minutes.canonical import GENESIS, canonical_text, chain_hash
from deliberation.minutes.tables import Publication


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
    digest = chain_hash(community_id, seq, kind, published_at, previous, content)
    await Publication.insert(
        Publication(
            community=community_id,
            seq=seq,
            kind=kind,
            minutes=minutes,
            notice=notice,
            content=canonical_text(content),
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
