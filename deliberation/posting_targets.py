"""Which notices of meetings carry proof of posting (community.posting_store): a meeting's notice once it is
in the publication chain (/notices/{id})."""

from __future__ import annotations

from community.posting_store import Target
from deliberation.minutes.tables import Publication


async def meeting_notice(notice_id: int) -> Target | None:
    row = await Publication.select(Publication.community, Publication.title, Publication.published_at).where(
        (Publication.notice == notice_id) & (Publication.kind == "meeting_notice")
    ).first()
    if row is None:
        return None
    return Target(int(row["community"]), str(row["title"]), f"/notices/{notice_id}", row["published_at"])
