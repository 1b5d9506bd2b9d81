"""Meeting notices in the publication chain: chained when published, shown and printed as they were published."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from markupsafe import Markup

from community import i18n
from community.canonical import fingerprint
from community.errors import NotFound
from community.i18n import lazy
from community.qr import qr_svg
from deliberation.minutes import chain, notice_files
from deliberation.minutes.assemble import meeting_notice_content
from deliberation.minutes.community import community_facts
from deliberation.minutes.tables import Publication
from deliberation.tables import Notice

NOT_FOUND = lazy("This notice does not exist, or it has not been published.")


async def chain_notice(notice_id: int, actor: int | None) -> tuple[int, str]:
    """Inside the write transaction that stored the notice: publish it as the community's next publication."""
    row = await Notice.select(
        Notice.id, Notice.meeting, Notice.number, Notice.published_at, Notice.snapshot, Notice.meeting.community
    ).where(Notice.id == notice_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    snapshot = row["snapshot"]
    if isinstance(snapshot, str):
        snapshot = json.loads(snapshot)
    community_id = int(row["meeting.community"])
    content = meeting_notice_content(
        await community_facts(community_id), int(row["meeting"]), int(row["number"]), row["published_at"], snapshot
    )
    await notice_files.add_to_content(int(row["meeting"]), content)  # each item's files, with their SHA-256
    items = cast(list[dict[str, Any]], content["items"])
    places = cast(dict[str, Any], content["scope"])["places"]
    return await chain.append(
        community_id,
        "meeting_notice",
        content,
        published_at=row["published_at"],
        published_by=actor,
        title=str(content["title"]),
        summary="；".join(str(i["title"]) for i in items),
        buildings=[str(p) for p in places],
        search_text="\n".join([str(content["title"]), *(f"{i['title']}\n{i['description']}" for i in items)]),
        notice=notice_id,
    )


@dataclass(frozen=True)
class NoticeView:
    """A published meeting notice as its page and its printout show it."""

    notice_id: int
    content: dict[str, Any]
    seq: int
    sha256: str
    previous: str
    published_at: datetime
    fingerprint: str
    url: str
    qr: Markup
    meeting_status: str
    community_id: int  # the footer links to its street


async def notice_view(notice_id: int, base: str) -> NoticeView:
    row = await Publication.select(
        Publication.content, Publication.seq, Publication.sha256, Publication.previous, Publication.published_at,
        Publication.notice.meeting.status, Publication.community,
    ).where((Publication.notice == notice_id) & (Publication.kind == "meeting_notice")).first()  # fmt: skip
    if row is None:
        raise NotFound(NOT_FOUND)
    url = f"{base}/notices/{notice_id}"
    return NoticeView(
        notice_id=notice_id,
        content=json.loads(str(row["content"])),
        seq=int(row["seq"]),
        sha256=str(row["sha256"]),
        previous=str(row["previous"]),
        published_at=row["published_at"],
        fingerprint=fingerprint(str(row["sha256"])),
        url=url,
        qr=qr_svg(url),
        meeting_status=str(row["notice.meeting.status"] or ""),
        community_id=int(row["community"]),
    )


async def fingerprints(notice_ids: list[int]) -> dict[int, str]:
    """The short fingerprint of each of these notices that is in the chain (older ones may not be)."""
    if not notice_ids:
        return {}
    rows = await Publication.select(Publication.notice, Publication.sha256).where(Publication.notice.is_in(notice_ids))
    return {int(r["notice"]): fingerprint(str(r["sha256"])) for r in rows}


def print_label(view: NoticeView) -> str:
    """The margin text of every printed sheet: the community and the fingerprint."""
    community = cast(dict[str, Any], view.content.get("community") or {})
    return i18n.gettext("%(name)s · fingerprint %(fp)s") % {"name": community.get("name", ""), "fp": view.fingerprint}
