"""The one door through which agreements and funding reach the community's publication chain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from community import publications


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
    """Inside the caller's write transaction: append `content` to the chain (through the foundation's port,
    community.publications, which the minutes fill); its SHA-256."""
    _seq, digest = await publications.append(
        community_id, kind, content, published_at=published_at, published_by=published_by, title=title,
        summary=summary, buildings=buildings, search_text=title,
    )  # fmt: skip
    return digest
