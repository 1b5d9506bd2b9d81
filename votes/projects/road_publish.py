"""The one door through which agreements and funding reach the community's publication chain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


async def publish(
    community_id: int,
    kind: str,
    content: Mapping[str, Any],
    *,
    published_at: datetime,
    published_by: int | None,
    title: str,
    summary: str = "",
    buildings: Sequence[str] = (),
) -> str:
    """Inside the caller's write transaction: append `content` to the chain; its SHA-256.

    The chain still lives in deliberation (see docs/architecture.md, what is not done yet): this is the only
    arrow from the agreement and funding modules into it, to be pointed at community/ when the chain moves.
    """
    from deliberation.minutes import chain

    _seq, digest = await chain.append(
        community_id, kind, content, published_at=published_at, published_by=published_by, title=title,
        summary=summary, buildings=buildings, search_text=title,
    )  # fmt: skip
    return digest
