"""A community's whole publication chain as one public document, so that anyone can check it without the
database (docs/publications.md): each link's envelope fields, its hashed content and its SHA-256."""

from __future__ import annotations

import json
from typing import Any

from community.canonical import GENESIS, PUBLICATION_SCHEMA, iso
from community.permissions import community_by_slug
from deliberation.minutes.tables import Publication

CHAIN_SCHEMA = "yishi.publication-chain/1"


async def chain_document(slug: str) -> dict[str, Any]:
    community = await community_by_slug(slug)
    rows = await Publication.select(
        Publication.seq, Publication.kind, Publication.published_at, Publication.previous, Publication.sha256,
        Publication.content,
    ).where(Publication.community == community["id"]).order_by(Publication.seq)
    return {
        "schema": CHAIN_SCHEMA,
        "publication_schema": PUBLICATION_SCHEMA,
        "community": int(community["id"]),
        "slug": slug,
        "genesis": GENESIS,
        "publications": [
            {
                "seq": int(r["seq"]),
                "kind": str(r["kind"]),
                "published_at": iso(r["published_at"]),
                "previous": str(r["previous"]),
                "sha256": str(r["sha256"]),
                "content": json.loads(str(r["content"])),
            }
            for r in rows
        ],
    }
