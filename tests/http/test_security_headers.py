"""Caching: nothing personal is kept by any cache, and no shared cache keeps a page whose links came from an
unchecked Host header. Production needs YISHI_PUBLIC_URL, so its public pages never depend on the Host."""

from __future__ import annotations

import dataclasses

import pytest
from test_deliberation_world import build_world, make_meeting
from test_votes_casting import make_world, open_vote

from community import config
from deliberation.minutes.tables import Publication

EVIL = "evil.example"


@pytest.fixture
def public_address(monkeypatch):
    """Run with YISHI_PUBLIC_URL set, as production must."""
    monkeypatch.setattr(config, "_config", dataclasses.replace(config.get_config(), public_url="https://yishi.example.org"))


async def _published_notice(client, world) -> int:
    meeting_id, _items = await make_meeting(world, status="draft")
    await client.signin(world.phones["facilitator"])
    assert (await client.post_form(f"/m/{meeting_id}/notice")).status_code == 303
    await client.post_form("/signout")
    client.cookies.clear()
    row = await Publication.select(Publication.notice).where(Publication.kind == "meeting_notice").first()
    return int(row["notice"])


async def test_without_a_public_address_host_derived_pages_are_not_publicly_cached(client, make_account):
    world = await build_world(make_account)
    notice_id = await _published_notice(client, world)
    for path in ("/c/xfl", "/c/xfl/feed.atom", f"/notices/{notice_id}"):
        response = await client.get(path, headers={"Host": EVIL})
        assert response.status_code == 200, path
        assert EVIL in response.text, path  # the links (feed entries, QR codes) do come from the Host ...
        cache = response.headers["cache-control"]
        assert "public" not in cache and "private" in cache, (path, cache)  # ... so no shared cache keeps them


async def test_with_a_public_address_the_host_is_ignored_and_pages_may_be_cached(client, make_account, public_address):
    world = await build_world(make_account)
    notice_id = await _published_notice(client, world)
    for path in ("/c/xfl", "/c/xfl/feed.atom", f"/notices/{notice_id}"):
        response = await client.get(path, headers={"Host": EVIL})
        assert response.status_code == 200, path
        assert EVIL not in response.text and "https://yishi.example.org" in response.text, path
        assert response.headers["cache-control"] == "public, max-age=60", path


async def test_staff_pages_and_meeting_pages_are_never_stored(client, make_account):
    world = await build_world(make_account)
    meeting_id, items = await make_meeting(world, status="in_session")
    closed_id, _closed_items = await make_meeting(world, status="closed")
    await client.signin(world.phones["facilitator"])
    started = await client.post_form("/c/xfl/minutes", {"start": f"meeting-{closed_id}"})
    assert started.status_code == 303, started.text
    minutes_edit = started.headers["location"]
    paths = [
        "/c/xfl/roster", "/c/xfl/roster/not-joined", "/c/xfl/venues", "/c/xfl/meetings/new", f"/m/{meeting_id}/manage",
        f"/m/{meeting_id}/control", f"/m/{meeting_id}/attendance", f"/m/{meeting_id}", f"/m/{meeting_id}/items/{items[0]}",
        minutes_edit, "/c/xfl/minutes", "/account", "/meetings", "/", "/c/xfl/meetings",
    ]  # fmt: skip
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "private, no-store", path
    # Even the pages anyone may read, when the reader is signed in (the header shows who they are).
    assert (await client.get("/c/xfl")).headers["cache-control"] == "private, no-store"
    # Redirects and errors too; static files keep their own rules.
    assert (await client.get("/v/424242")).headers["cache-control"] == "private, no-store"
    static = await client.get("/static/css/yishi.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


async def test_vote_desks_and_anonymous_pages_with_personal_data_are_never_stored(client, make_account):
    world = await make_world(make_account)
    vote_id = await open_vote(client, world, channels="paper")
    client.cookies.clear()
    # Anonymous: the join page shows a masked name and flat; the receipt check shows a ballot's choice.
    for path in ("/join/ABCDEFGH", f"/v/{vote_id}/receipt", "/signin", f"/v/{vote_id}"):
        response = await client.get(path)
        assert response.headers["cache-control"] == "private, no-store", path
    await client.signin("13800000009")
    for path in (f"/v/{vote_id}/manage", f"/v/{vote_id}/paper", f"/v/{vote_id}/proxies", f"/v/{vote_id}/board",
                 "/c/test/votes", "/c/test/votes/settings", "/votes"):  # fmt: skip
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "private, no-store", path
