"""Defects found walking the whole story (issue 19): each test names what a user saw and checks it is gone, in both
languages where text is involved."""

from __future__ import annotations

import pytest
from test_deliberation_world import build_world

from community import i18n


@pytest.fixture
async def world(make_account):
    return await build_world(make_account)


async def test_the_venue_form_asks_for_the_venues_name_not_a_persons(client, world):
    await client.signin(world.phones["facilitator"])
    await client.post_form("/c/xfl/venues", {"name": "议事厅"})
    page = await client.get("/c/xfl/venues")
    assert page.status_code == 200
    assert "场地名称" in page.text and "姓名" not in page.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    english = await client.get("/c/xfl/venues")
    assert "Venue name" in english.text
