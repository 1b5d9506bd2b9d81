"""Co-owners of one flat with no designated voter: every owner's ballot is kept, and one rule counts the
household the same way whether they voted online, on paper or by proxy."""

from __future__ import annotations

import json

import pytest
from test_votes_casting import cast_online, entity_key, make_world, open_vote
from test_votes_paper import enter, serial_of

from community import accounts
from community.tables import Flat, Ownership
from votes import paper, services
from votes.tables import Ballot, Conflict, PaperBallot, Vote, VoteRecordFile
from votes.testing import let_voting_period_run, scope_staff

FIRST_ONLINE = "按本次表决的规则只计第一张选票，因此您的选票不会被计入"
FIRST_STAFF = "按本次表决的规则只计第一张选票，因此这张选票不计入"
SPOIL_ONLINE = "如果你们的选择不一致，本户的选票将作废"


@pytest.fixture
async def world(make_account):
    """As in test_votes_casting, but 李甲 and 李乙 co-own 3-2-201 with no designated voter."""
    world = await make_world(make_account)
    await Flat.update({Flat.designated_voter: None}).where(Flat.id == world.flats["3-2-201"])
    world.accounts["网格员"] = await make_account(phone="13800000007", name="网格员")
    await accounts.grant_role(world.accounts["网格员"], world.community_id, "grid_worker")
    await scope_staff(world.accounts["网格员"], world.community_id, "grid_worker")
    return world


async def as_user(client, phone: str):
    await client.post_form("/signout")
    await client.signin(phone)


async def close(client, vote_id: int) -> dict:
    await as_user(client, "13800000009")
    await let_voting_period_run(vote_id)
    closed = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert closed.status_code in (200, 303), closed.text
    row = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    return row["result"]


async def household_choice(vote_id: int) -> str:
    """What the published record says about 3-2-201, recounted: its owners' ballots as stored."""
    body = json.loads((await VoteRecordFile.select(VoteRecordFile.body).first())["body"])
    choices = {b["choice"] for b in body["ballots"] if b["unit"] == "3-2-201"}
    return choices.pop() if len(choices) == 1 else "spoiled"


async def paper_ballot(client, vote_id: int, signer_name: str, choice: str):
    """A counter (the recorder) enters the owner's signed paper ballot; the grid worker confirms it."""
    await as_user(client, "13800000008")
    serial = await serial_of(vote_id, "3-2-201")
    vote = await services.get_vote(vote_id)
    entity = await paper.paper_entity(vote, await paper.entity_by_serial(vote, serial))
    signer = next(s.value for s in entity.signers if s.name == signer_name)
    entered = await enter(client, vote_id, serial, choice, signer=signer)
    await as_user(client, "13800000007")
    waiting = await PaperBallot.select(PaperBallot.id).where(PaperBallot.status == "entered").first()
    if waiting is not None:
        await client.post_form(f"/v/{vote_id}/paper/{waiting['id']}/confirm")
    return entered


async def test_with_changes_allowed_a_co_owner_never_overwrites_the_other(client, world):
    vote_id = await open_vote(client, world, s_allow_change="1", s_conflict="spoil")
    await as_user(client, "13900000103")
    assert (await cast_online(client, vote_id, "3-2-201", "agree")).status_code == 200
    await as_user(client, "13900000104")
    assert (await cast_online(client, vote_id, "3-2-201", "oppose")).status_code == 200
    rows = await Ballot.select(Ballot.voter, Ballot.choice).order_by(Ballot.id)
    assert [r["choice"] for r in rows] == ["agree", "oppose"]  # both stand, side by side
    # 李乙 changes their mind: only their own ballot changes, and the household agrees again.
    assert (await cast_online(client, vote_id, "3-2-201", "agree")).status_code == 200
    assert [r["choice"] for r in await Ballot.select(Ballot.choice).order_by(Ballot.id)] == ["agree", "agree"]
    await close(client, vote_id)
    assert await household_choice(vote_id) == "agree"


async def test_under_spoil_differing_online_ballots_spoil_the_household_after_a_warning(client, world):
    vote_id = await open_vote(client, world, s_conflict="spoil")
    await as_user(client, "13900000103")
    await cast_online(client, vote_id, "3-2-201", "agree")
    await as_user(client, "13900000104")
    page = await client.get(f"/v/{vote_id}")
    assert SPOIL_ONLINE in page.text and 'name="choice"' in page.text  # warned, not refused
    key = await entity_key(vote_id, "3-2-201")
    confirm = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": "oppose"})
    assert SPOIL_ONLINE in confirm.text and "同意" not in confirm.text.split("vconfirm", 1)[1].split("</dl>", 1)[0]
    assert (await cast_online(client, vote_id, "3-2-201", "oppose")).status_code == 200
    assert await Ballot.count() == 2
    result = await close(client, vote_id)
    assert await household_choice(vote_id) == "spoiled"
    # Spoiled but authentic: the household takes part (the default) and does not agree.
    assert result["participating"]["headcount"] == 1 and result["agreeing"]["headcount"] == 0


async def test_under_spoil_the_same_ballots_on_paper_and_online_count_alike(client, world):
    vote_id = await open_vote(client, world, channels=["online", "paper"], s_conflict="spoil")
    await as_user(client, "13900000103")
    await cast_online(client, vote_id, "3-2-201", "agree")
    entered = await paper_ballot(client, vote_id, "李乙", "oppose")
    assert "如果选择不一致，本户的选票将作废" in entered.text
    assert await Ballot.count() == 2
    assert (await PaperBallot.select(PaperBallot.outcome).first())["outcome"] == "spoiled_entity"
    assert (await Conflict.select(Conflict.kind).first())["kind"] == "co_owners_differ"
    await close(client, vote_id)
    assert await household_choice(vote_id) == "spoiled"


async def test_two_co_owners_on_paper_each_sign_their_own_ballot(client, world):
    vote_id = await open_vote(client, world, channels="paper", s_conflict="spoil")
    await paper_ballot(client, vote_id, "李甲", "agree")
    await paper_ballot(client, vote_id, "李乙", "agree")
    assert await Ballot.count() == 2 and await Conflict.count() == 0
    await close(client, vote_id)
    assert await household_choice(vote_id) == "agree"


async def test_under_first_a_later_co_owner_is_refused_on_every_channel_with_the_same_words(client, world):
    vote_id = await open_vote(client, world, channels=["online", "paper"], s_conflict="first", s_allow_change="1")
    await as_user(client, "13900000103")
    await cast_online(client, vote_id, "3-2-201", "agree")
    await as_user(client, "13900000104")
    page = await client.get(f"/v/{vote_id}")
    assert FIRST_ONLINE in page.text and 'name="choice"' not in page.text
    key = await entity_key(vote_id, "3-2-201")
    refused = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": "oppose"})
    assert refused.status_code == 409 and FIRST_ONLINE in refused.text
    on_paper = await paper_ballot(client, vote_id, "李乙", "oppose")
    assert on_paper.status_code == 409 and FIRST_STAFF in on_paper.text
    assert await Ballot.count() == 1 and await PaperBallot.count() == 0
    assert (await Conflict.select(Conflict.kind, Conflict.resolution).first()) == {
        "kind": "co_owner_after_first", "resolution": "refused"}
    # The first owner may still change their own ballot (changes are allowed), and it stays the only one.
    await as_user(client, "13900000103")
    assert (await cast_online(client, vote_id, "3-2-201", "oppose")).status_code == 200
    assert [r["choice"] for r in await Ballot.select(Ballot.choice)] == ["oppose"]
    await close(client, vote_id)
    assert await household_choice(vote_id) == "oppose"


async def test_the_seller_of_a_flat_sold_during_the_vote_still_votes_online(client, world):
    """The electorate snapshot decides who may vote, on every channel: the owner on the day the vote opened."""
    vote_id = await open_vote(client, world)
    from community.roster.importer import REASON_REGISTER
    from community.tables import Verification
    from votes.services import now

    # The register import that records the sale ends 赵's… here 王一's link to 3-2-101 and 3-2-301.
    await Ownership.delete().where(Ownership.person == world.people["王一"])
    await Verification.update(
        {Verification.revoked_at: now(), Verification.revoke_reason: REASON_REGISTER}
    ).where(Verification.person == world.people["王一"])
    await as_user(client, "13900000101")
    assert (await cast_online(client, vote_id, "3-2-101", "agree")).status_code == 200
    assert await Ballot.count() == 1


async def test_the_buyer_of_a_flat_sold_during_the_vote_is_told_why_they_cannot_vote(client, world, make_account):
    from votes.testing import RosterBuilder

    vote_id = await open_vote(client, world)
    buyer = await make_account(phone="13900000199", name="新业主")
    b = RosterBuilder(world.community_id)
    await b.own(world.flats["3-2-101"], await b.person("新业主", account=buyer))
    await as_user(client, "13900000199")
    page = await client.get(f"/v/{vote_id}")
    assert "以表决开始当天的登记为准" in page.text and 'name="choice"' not in page.text
    client.cookies.set("yishi_lang", "en")
    assert "fixed by the register on the day the vote opened" in (await client.get(f"/v/{vote_id}")).text
