"""The one way works, running costs and proofs of posting reach the community's publication chain.

The chain and its `Publication` table live with the minutes (`deliberation.minutes.chain`), a floor above
`votes/` and `community/`. `deliberation.wiring.register()` hands this module the chain's `append` at start-up;
everything below calls `append_link`, so the chain is reached through this one function only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

Append = Callable[..., Awaitable[tuple[int, str]]]

_append: Append | None = None


def register_chain(append: Append) -> None:
    """Called once by `deliberation.wiring.register()` with `deliberation.minutes.chain.append`."""
    global _append
    _append = append


async def append_link(
    community_id: int,
    kind: str,
    content: Mapping[str, Any],
    *,
    published_at: datetime,
    published_by: int | None,
    title: str,
    summary: str = "",
    buildings: Sequence[str] = (),
    search_text: str = "",
) -> tuple[int, str]:
    """Inside the caller's write transaction: `content` becomes the community's next publication; (seq,
    SHA-256). A process that did not register the chain (`app.wiring.register_all()`) cannot publish."""
    if _append is None:
        raise RuntimeError("no publication chain registered: call app.wiring.register_all() first")
    return await _append(
        community_id, kind, content, published_at=published_at, published_by=published_by, title=title,
        summary=summary, buildings=buildings, search_text=search_text or title,
    )  # fmt: skip
