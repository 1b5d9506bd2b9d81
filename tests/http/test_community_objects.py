"""The process keeps which community an object at a community address belongs to (community.objects): a deleted
draft's id, which SQLite may hand to the next vote, is forgotten, so an archived community's guard never reads the
wrong community."""

from __future__ import annotations

import pytest
from test_votes_casting import make_world, stairwell_scope, vote_form

from community import objects
from votes.tables import Vote


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def test_a_deleted_draft_is_forgotten(client, world):
    await client.signin("13800000009")
    created = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id)))
    vote_id = int(created.headers["location"].split("/")[2])
    await client.post_form(f"/v/{vote_id}/choose", {"choice": "agree"})  # refused, but every POST asks the guard
    assert await objects.community_of("v", Vote, vote_id) == world.community_id
    assert ("v", vote_id) in objects._kept
    deleted = await client.post_form(f"/v/{vote_id}/delete")
    assert deleted.status_code == 303, deleted.text
    assert ("v", vote_id) not in objects._kept
    assert await objects.community_of("v", Vote, vote_id) is None  # nothing there now, and nothing kept
    assert ("v", vote_id) not in objects._kept
