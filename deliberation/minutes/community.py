"""The community a publication belongs to, as the publication chain names it (no meeting or vote needed)."""

from __future__ import annotations

from community.tables import Community
from deliberation.minutes.facts import CommunityFacts


async def community_facts(community_id: int) -> CommunityFacts:
    row = await Community.select(Community.id, Community.slug, Community.name, Community.street).where(
        Community.id == community_id
    ).first()
    assert row is not None
    return CommunityFacts(int(row["id"]), str(row["slug"]), str(row["name"]), str(row["street"] or ""))
