"""Appending to a community's publication chain, for packages below the minutes (projects' public notices).

The chain, its `Publication` table and its audit live with the minutes (`deliberation.minutes.chain`), a floor
above `votes/`. This port is how a lower floor publishes anyway: `deliberation.wiring` hands it the chain's
`append` at start-up, and a project's notice becomes the next link of the same chain as minutes and meeting
notices. Canonical JSON and fingerprints are `community.canonical`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from community.i18n import lazy

# What each kind of publication is, for the lists that mix them (the street's recent publications).
KIND_LABELS: dict[str, str] = {
    "minutes": lazy("Minutes"),
    "addendum": lazy("Addendum"),
    "notice": lazy("Result notice"),
    "meeting_notice": lazy("Notice of meeting"),
    "project_notice": lazy("Public notice of a project"),
    "concern_report": lazy("Monthly summary"),
    "vote_preliminary": lazy("Preliminary result"),
    "vote_query": lazy("Query on the count"),
    "vote_answer": lazy("Answer to a query"),
    "vote_correction": lazy("Correction of the count"),
    "vote_final": lazy("Final result"),
    "works_milestone": lazy("Progress of the works"),
    "upkeep_ledger": lazy("Running costs"),
    "notice_posting": lazy("Proof of posting"),
    "agreement": lazy("Cost-sharing agreement"),
    "agreement_done": lazy("Agreement signed by every household"),
    "funding_done": lazy("Funds raised in full"),
}


class Append(Protocol):
    """`deliberation.minutes.chain.append`: inside a write transaction, the next publication's (seq, SHA-256)."""

    async def __call__(
        self,
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
        ends_at: datetime | None = None,
    ) -> tuple[int, str]: ...


_append: Append | None = None


def register_chain(append: Append) -> None:
    """Called once by `deliberation.wiring.register()`."""
    global _append
    _append = append


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
    search_text: str = "",
    ends_at: datetime | None = None,
) -> tuple[int, str]:
    """Inside the caller's write transaction: store `content` as the community's next publication; its seq and
    SHA-256 (the board's search reads `search_text`, the title when none is given). A process that did not
    register the chain (`app.wiring.register_all()`) cannot publish."""
    if _append is None:
        raise RuntimeError("no publication chain registered: call app.wiring.register_all() first")
    return await _append(
        community_id, kind, content, published_at=published_at, published_by=published_by, title=title,
        summary=summary, buildings=buildings, search_text=search_text or title, ends_at=ends_at,
    )  # fmt: skip
