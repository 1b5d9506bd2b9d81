"""Anyone can check a community's publication chain from /c/{slug}/chain.json alone (docs/publications.md)."""

from __future__ import annotations

import hashlib
import json
import unicodedata

from test_minutes_audit import published
from test_minutes_world import build_world

from deliberation.minutes.tables import Publication


def nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def problems(chain: dict) -> list[str]:
    """The documented procedure, written again here without any of Yishi's code."""
    found, previous = [], "0" * 64
    for number, link in enumerate(chain["publications"], start=1):
        envelope = {"schema": chain["publication_schema"], "community": chain["community"], "seq": link["seq"],
                    "kind": link["kind"], "published_at": link["published_at"], "previous": link["previous"],
                    "content": link["content"]}
        text = json.dumps(nfc(envelope), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if link["seq"] != number or link["previous"] != previous:
            found.append(f"link {number} out of place")
        if hashlib.sha256(text.encode()).hexdigest() != link["sha256"]:
            found.append(f"link {number} changed")
        previous = link["sha256"]
    return found


async def test_the_chain_checks_from_outside_and_a_changed_title_shows(client):
    world = await build_world()
    await published(world)
    response = await client.get(f"/c/{world.slug}/chain.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    chain = response.json()
    assert chain["publications"] and problems(chain) == []
    assert "listing" in chain["publications"][0]["content"]  # what the board lists is hashed too

    row = await Publication.select(Publication.id, Publication.content).order_by(Publication.seq).first()
    content = json.loads(row["content"])
    content["listing"]["title"] = "改过的标题"
    await Publication.update({Publication.content: json.dumps(content, ensure_ascii=False)}).where(Publication.id == row["id"])
    assert problems((await client.get(f"/c/{world.slug}/chain.json")).json()) == ["link 1 changed"]
