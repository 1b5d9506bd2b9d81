"""The one way the result stages reach the community's publication chain (votes.result_stage, votes.query_store,
votes.corrections), through the foundation's port to the chain (community.publications), which the minutes fill."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from community import publications


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
    ends_at: datetime | None = None,
) -> int:
    """Inside a write transaction: `content` as the community's next publication; its place in the chain."""
    seq, _digest = await publications.append(
        community_id, kind, content, published_at=published_at, published_by=published_by, title=title,
        summary=summary, buildings=buildings, search_text=title, ends_at=ends_at,
    )  # fmt: skip
    return seq
