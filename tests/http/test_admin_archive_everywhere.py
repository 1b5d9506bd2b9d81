"""An archived community refuses changes at every address that belongs to it (/v/…, /m/…), not only /c/…;
its pages stay readable."""

from __future__ import annotations

from test_votes_casting import make_world, open_vote

from community.admin import services
from community.tables import Community
from votes.tables import Vote
from votes.testing import let_voting_period_run


async def test_an_archived_communitys_vote_cannot_be_closed(client, make_account):
    world = await make_world(make_account)
    vote_id = await open_vote(client, world)
    await Community.update({Community.archived_at: services.now()}).where(Community.id == world.community_id)
    services._archived_cache.clear()
    await client.signin("13800000009")
    await let_voting_period_run(vote_id)
    refused = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert refused.status_code == 409 and "已归档" in refused.text
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
    assert (await client.get(f"/v/{vote_id}")).status_code == 200
    await Community.update({Community.archived_at: None}).where(Community.id == world.community_id)
    services._archived_cache.clear()
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
