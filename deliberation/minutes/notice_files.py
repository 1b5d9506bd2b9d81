"""The files a meeting notice announces: each agenda item's attachments with their SHA-256 in the notice's
hashed content (public once the notice is published, docs/security.md), and the audit's look at those files."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from deliberation import uploads
from deliberation.minutes.tables import Publication
from deliberation.tables import AgendaItem, Attachment


def entry(meeting_id: int, row: Mapping[str, Any]) -> dict[str, object]:
    """One attachment as the notice publishes it (and the notice page shows it)."""
    return {
        "id": int(row["id"]),
        "name": str(row["original_name"]),
        "content_type": str(row["content_type"]),
        "size": int(row["size"]),
        "sha256": str(row["sha256"]),
        "url": f"/m/{meeting_id}/attachments/{int(row['id'])}",
    }


async def add_to_content(meeting_id: int, content: dict[str, Any]) -> None:
    """Inside the transaction that publishes the notice: every item of `content` gets `attachments` (its files in
    upload order, each with its SHA-256), items matched by their place on the agenda, as the snapshot numbers them."""
    items = await AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == meeting_id).order_by(
        AgendaItem.position
    ).order_by(AgendaItem.id)
    rows = await Attachment.select(
        Attachment.id, Attachment.item, Attachment.original_name, Attachment.content_type, Attachment.size,
        Attachment.sha256, Attachment.stored_name,
    ).where(Attachment.item.meeting == meeting_id).order_by(Attachment.id)  # fmt: skip
    by_item: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if not row["sha256"]:  # uploaded before fingerprints were kept and missed by the migration: now
            row["sha256"] = uploads.sha256_of(str(row["stored_name"])) or ""
            await Attachment.update({Attachment.sha256: row["sha256"]}).where(Attachment.id == row["id"])
        by_item.setdefault(int(row["item"]), []).append(row)
    for place, item in enumerate(content.get("items") or []):
        found = by_item.get(int(items[place]["id"]), []) if place < len(items) else []
        item["attachments"] = [entry(meeting_id, row) for row in found]


def published_files(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The attachments a publication's content announces (none in notices published before fingerprints)."""
    return [a for item in content.get("items") or [] if isinstance(item, Mapping) for a in item.get("attachments") or []]


async def findings(community_id: int, rows: Sequence[Mapping[str, Any]], where: Mapping[int, str]) -> list[str]:
    """Each announced file as it is now against its published SHA-256 (then its stored row), and every other
    attachment of a meeting with a published notice against the SHA-256 recorded at upload."""
    found: list[str] = []
    covered: set[int] = set()
    for row in rows:
        if row["kind"] != "meeting_notice":
            continue
        try:
            content = json.loads(str(row["content"]))
        except ValueError:
            continue  # the chain check reports it
        for published in published_files(content):
            covered.add(int(published["id"]))
            label = f"{where[int(row['seq'])]}: attachment {published['id']} ({published.get('name', '')})"
            found += await _check(label, published)
    meetings = {
        int(r["notice.meeting"])
        for r in await Publication.select(Publication.notice.meeting).where(
            (Publication.community == community_id) & (Publication.kind == "meeting_notice")
        )
        if r["notice.meeting"] is not None
    }
    if not meetings:
        return found
    public = await Attachment.select(
        Attachment.id, Attachment.original_name, Attachment.stored_name, Attachment.sha256,
    ).where(
        (Attachment.item.meeting.community == community_id) & Attachment.item.meeting.is_in(sorted(meetings))
    ).order_by(Attachment.id)  # fmt: skip
    for attachment in public:
        if int(attachment["id"]) in covered:
            continue
        label = f"attachment {attachment['id']} ({attachment['original_name']}), announced before fingerprints"
        now = uploads.sha256_of(str(attachment["stored_name"]))
        if now is None:
            found.append(f"{label}: its file is missing")
        elif attachment["sha256"] and now != attachment["sha256"]:
            found.append(f"{label}: its file was altered or replaced (SHA-256 now {now}, at upload {attachment['sha256']})")
    return found


async def _check(label: str, published: Mapping[str, Any]) -> list[str]:
    expected = str(published.get("sha256") or "")
    row = await Attachment.select(Attachment.stored_name, Attachment.sha256, Attachment.original_name).where(
        Attachment.id == int(published["id"])
    ).first()
    if row is None:
        return [f"{label}: the attachment is no longer in the database"]
    problems = []
    if row["sha256"] != expected:
        problems.append(f"{label}: its recorded SHA-256 differs from the published one ({row['sha256'] or 'none'})")
    if row["original_name"] != published.get("name"):
        problems.append(f"{label}: its name differs from the published one ({row['original_name']})")
    now = uploads.sha256_of(str(row["stored_name"]))
    if now is None:
        problems.append(f"{label}: its file is missing")
    elif now != expected:
        problems.append(f"{label}: its file was altered or replaced (SHA-256 now {now}, published {expected})")
    return problems
