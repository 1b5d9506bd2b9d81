"""Casting online as a verified owner: the two steps, receipts, refusals that store nothing, one ballot per entity."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from community import accounts
from community.tables import Community, Flat, Ownership, Verification
from votes import casting, drafting, services
from votes.errors import AlreadyVoted
from votes.tables import Ballot, BallotChange, Receipt, Vote, VoteEntity, VoteFlat
from votes.testing import RosterBuilder, let_voting_period_run

PASSWORD = "correct-horse"


@dataclass
class World:
    """Community "test": stairwell unit 3-2 (the vote's scope) and 3-1 (outside it)."""

    community_id: int
    flats: dict[str, int]
    people: dict[str, int]
    accounts: dict[str, int]


async def make_world(make_account) -> World:
    rows = await Community.insert(Community(slug="test", name="测试社区")).returning(Community.id)
    community_id = rows[0]["id"]
    ids: dict[str, int] = {}
    for phone, name in [
        ("13800000009", "主持人"),
        ("13800000008", "记录员"),
        ("13900000101", "王一"),
        ("13900000102", "王二"),
        ("13900000103", "李甲"),
        ("13900000104", "李乙"),
        ("13900000105", "孙租"),
        ("13900000106", "钱外"),
        ("13900000107", "无名"),
    ]:
        ids[name] = await make_account(phone=phone, name=name)
    await accounts.grant_role(ids["主持人"], community_id, "facilitator")
    await accounts.grant_role(ids["记录员"], community_id, "recorder")
    b = RosterBuilder(community_id)
    unit = await b.stairwell("3", "2")
    other = await b.stairwell("3", "1")
    flats = {
        "3-2-101": await b.flat(unit, "101", 7000),
        "3-2-102": await b.flat(unit, "102", 8000),
        "3-2-201": await b.flat(unit, "201", 9000),
        "3-2-202": await b.flat(unit, "202", 9000),
        "3-2-301": await b.flat(unit, "301", 10000),
        "3-2-302": await b.flat(unit, "302", 10000, developer_unsold=True),
        "3-1-101": await b.flat(other, "101", 6000),
    }
    people = {
        "王一": await b.person("王一", account=ids["王一"]),
        "王二": await b.person("王二", account=ids["王二"]),
        "李甲": await b.person("李甲", account=ids["李甲"]),
        "李乙": await b.person("李乙", account=ids["李乙"]),
        "赵": await b.person("赵"),
        "孙租": await b.person("孙租", account=ids["孙租"]),
        "钱外": await b.person("钱外", account=ids["钱外"]),
    }
    await b.own(flats["3-2-101"], people["王一"])
    await b.own(flats["3-2-301"], people["王一"])
    await b.own(flats["3-2-102"], people["王二"], verified=False)
    await b.own(flats["3-2-201"], people["李甲"])
    await b.own(flats["3-2-201"], people["李乙"])
    await b.designate(flats["3-2-201"], people["李乙"])
    await b.own(flats["3-2-202"], people["赵"])
    await b.rent(flats["3-2-202"], people["孙租"])
    await b.own(flats["3-1-101"], people["钱外"])
    return World(community_id, flats, people, ids)


@pytest.fixture
async def world(make_account) -> World:
    return await make_world(make_account)


def vote_form(**changes: str) -> dict[str, str]:
    form = {
        "title": "3号楼2单元加装电梯",
        "question": "是否同意加装电梯？",
        "kind": "owners",
        "matter": "7",
        "scope": "",
        "channels": "online",
    }
    form.update(changes)
    return form


async def stairwell_scope(community_id: int, name: str = "3-2") -> str:
    for choice in await drafting.scope_choices(community_id):
        if choice.kind == "stairwell_unit" and choice.label == name:
            return choice.value
    raise AssertionError(name)


async def open_vote(client, world: World, **changes: str) -> int:
    """Create and open a vote as the facilitator, then sign out."""
    await client.signin("13800000009")
    form = vote_form(scope=await stairwell_scope(world.community_id), **changes)
    response = await client.post_form("/c/test/votes", form)
    assert response.status_code == 303, response.text
    vote_id = int(response.headers["location"].split("/")[2])
    published = await client.post_form(f"/v/{vote_id}/publish")
    assert published.status_code == 303, published.text
    await client.post_form("/signout")
    return vote_id


async def entity_key(vote_id: int, unit: str) -> str:
    row = await VoteFlat.select(VoteFlat.entity.key).where((VoteFlat.vote == vote_id) & (VoteFlat.unit == unit)).first()
    return row["entity.key"]


async def cast_online(client, vote_id: int, unit: str, choice: str = "agree"):
    """Step 1 then step 2, as the phone does; returns the final response."""
    key = await entity_key(vote_id, unit)
    step1 = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": choice})
    assert step1.status_code == 200, step1.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)
    version = re.search(r'name="version" value="([^"]+)"', step1.text).group(1)
    return await client.post_form(
        f"/v/{vote_id}/cast", {"entity": key, "choice": choice, "nonce": nonce, "version": version}
    )


async def test_owner_votes_in_two_steps_and_gets_a_receipt(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    page = await client.get(f"/v/{vote_id}")
    assert page.status_code == 200
    assert "3-2-101、3-2-301" in page.text  # two flats, one voting entity
    assert "四分之三" in page.text  # the threshold in plain words
    assert_translated(page.text, "zh", data={"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区"})
    key = await entity_key(vote_id, "3-2-101")
    step1 = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": "agree"})
    assert "请核对您的选票" in step1.text or "核对" in step1.text
    assert await Ballot.count() == 0  # choosing stores nothing
    nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)
    cast = await client.post_form(f"/v/{vote_id}/cast", {"entity": key, "choice": "agree", "nonce": nonce, "version": "0"})
    assert cast.status_code == 200
    code = re.search(r'id="receipt-code">([0-9A-Z-]+)<', cast.text).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    ballots = await Ballot.select()
    assert len(ballots) == 1 and ballots[0]["choice"] == "agree" and ballots[0]["channel"] == "online"
    receipts = await Receipt.select(Receipt.code_hash)
    assert len(receipts) == 1 and code not in receipts[0]["code_hash"]  # only a hash is stored
    # The same confirm form submitted again (a double tap) shows the same receipt and stores nothing more.
    again = await client.post_form(f"/v/{vote_id}/cast", {"entity": key, "choice": "agree", "nonce": nonce, "version": "0"})
    assert code in again.text
    assert await Ballot.count() == 1 and await Receipt.count() == 1


async def test_receipt_check_shows_only_that_ballot(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    cast = await cast_online(client, vote_id, "3-2-101", "oppose")
    code = re.search(r'id="receipt-code">([0-9A-Z-]+)<', cast.text).group(1)
    await client.post_form("/signout")
    await client.signin("13900000104")
    await cast_online(client, vote_id, "3-2-201", "agree")
    await client.post_form("/signout")
    client.cookies.set("yishi_lang", "en")
    checked = await client.post_form(f"/v/{vote_id}/receipt", {"code": code.lower().replace("-", " ")})
    assert checked.status_code == 200
    assert "Oppose" in checked.text and "It is counted as cast." in checked.text
    assert "Agree" not in checked.text.split("receipt-check", 1)[1].split("</form>", 1)[1]
    assert_translated(checked.text, "en", data={"3号楼2单元加装电梯", "测试社区"})
    unknown = await client.post_form(f"/v/{vote_id}/receipt", {"code": "0000-0000-0000"})
    assert "No ballot of this vote has this receipt code" in unknown.text
    malformed = await client.post_form(f"/v/{vote_id}/receipt", {"code": "abc"})
    assert malformed.status_code == 422 and 'value="abc"' in malformed.text


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("13900000102", "尚未核实"),  # owner, not verified
        ("13900000105", "租户"),  # tenant
        ("13900000103", "指定"),  # co-owner, the other one is the designated voter
        ("13900000106", "仅涉及"),  # owner outside the scope
        ("13900000107", "经过核实的业主才能投票"),  # no link at all
    ],
)
async def test_refusals_are_explained_and_store_nothing(client, world, login, reason):
    vote_id = await open_vote(client, world)
    await client.signin(login)
    page = await client.get(f"/v/{vote_id}")
    assert reason in page.text
    assert 'name="choice"' not in page.text
    key = await entity_key(vote_id, "3-2-202")
    for path in (f"/v/{vote_id}/choose", f"/v/{vote_id}/cast"):
        response = await client.post_form(path, {"entity": key, "choice": "agree", "nonce": "n" * 20, "version": "0"})
        assert response.status_code == 403
    assert await Ballot.count() == 0 and await Receipt.count() == 0


async def test_refusals_in_english(client, world, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000105")
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{vote_id}")
    assert "Tenants do not vote in owners' decisions" in page.text
    assert_translated(page.text, "en", data={"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区", "3-2"})


async def test_not_yet_open_and_closed_votes_refuse_ballots(client, world):
    vote_id = await open_vote(client, world)
    await Vote.update({Vote.status: "scheduled", Vote.opens_at: services.now() + timedelta(days=1)}).where(Vote.id == vote_id)
    await client.signin("13900000101")
    refused = await cast_online_raw(client, vote_id, "3-2-101")
    assert refused.status_code == 403 and "尚未开始" in refused.text
    await Vote.update({Vote.status: "open", Vote.opens_at: None}).where(Vote.id == vote_id)
    await client.post_form("/signout")
    await client.signin("13800000009")
    await let_voting_period_run(vote_id)
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 303
    await client.post_form("/signout")
    await client.signin("13900000101")
    refused = await cast_online_raw(client, vote_id, "3-2-101")
    assert refused.status_code == 403 and "已经结束" in refused.text
    assert await Ballot.count() == 0


async def cast_online_raw(client, vote_id: int, unit: str):
    key = await entity_key(vote_id, unit)
    return await client.post_form(f"/v/{vote_id}/cast", {"entity": key, "choice": "agree", "nonce": "x" * 24, "version": "0"})


async def test_a_closed_window_refuses_even_before_the_close_is_stored(client, world):
    vote_id = await open_vote(client, world)
    await Vote.update({Vote.closes_at: services.now() - timedelta(minutes=1)}).where(Vote.id == vote_id)
    await client.signin("13900000101")
    assert (await cast_online_raw(client, vote_id, "3-2-101")).status_code == 403
    # Reads never write: the page and the refused cast leave the stored status alone…
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "open"
    # …and the vote clock closes an online-only vote once its window has ended.
    from votes import clock

    await clock.tick()
    assert (await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"] == "closed"


async def test_second_ballot_is_refused_unless_changes_are_allowed(client, world):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    assert (await cast_online(client, vote_id, "3-2-101", "agree")).status_code == 200
    second = await client.post_form(f"/v/{vote_id}/choose", {"entity": await entity_key(vote_id, "3-2-101"), "choice": "oppose"})
    assert second.status_code == 409 and "已有一张选票" in second.text
    assert (await Ballot.select(Ballot.choice).first())["choice"] == "agree"


async def test_changing_a_ballot_where_allowed_keeps_history_and_supersedes_the_receipt(client, world):
    vote_id = await open_vote(client, world, s_allow_change="1")
    await client.signin("13900000101")
    first = await cast_online(client, vote_id, "3-2-101", "agree")
    old_code = re.search(r'id="receipt-code">([0-9A-Z-]+)<', first.text).group(1)
    changed = await cast_online(client, vote_id, "3-2-101", "oppose")
    assert "已更改" in changed.text
    ballot = await Ballot.select(Ballot.choice, Ballot.version).first()
    assert ballot == {"choice": "oppose", "version": 2}
    assert await Ballot.count() == 1
    history = await BallotChange.select(BallotChange.old_choice, BallotChange.new_choice)
    assert history == [{"old_choice": "agree", "new_choice": "oppose"}]
    checked = await client.post_form(f"/v/{vote_id}/receipt", {"code": old_code})
    assert "以更改后的选票为准" in checked.text


async def test_stale_change_form_is_refused(client, world):
    vote_id = await open_vote(client, world, s_allow_change="1")
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "agree")
    key = await entity_key(vote_id, "3-2-101")
    stale = await client.post_form(f"/v/{vote_id}/cast", {"entity": key, "choice": "abstain", "nonce": "y" * 24, "version": "0"})
    assert stale.status_code == 409
    assert (await Ballot.select(Ballot.choice).first())["choice"] == "agree"


async def test_snapshot_is_not_changed_by_later_roster_changes(client, world):
    vote_id = await open_vote(client, world)
    before = await Vote.select(Vote.electorate_hash, Vote.entities, Vote.total_area).where(Vote.id == vote_id).first()
    flats_before = await VoteFlat.select(VoteFlat.unit, VoteFlat.area, VoteFlat.owners).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position)
    assert before["entities"] == 5 and before["total_area"] == 53000
    # The roster changes after the opening: an area corrected, an owner sells, a flat removed.
    await Flat.update({Flat.area: 12345}).where(Flat.id == world.flats["3-2-101"])
    await Ownership.delete().where(Ownership.flat == world.flats["3-2-202"])
    await Flat.update({Flat.active: False}).where(Flat.id == world.flats["3-2-102"])
    after = await Vote.select(Vote.electorate_hash, Vote.entities, Vote.total_area).where(Vote.id == vote_id).first()
    flats_after = await VoteFlat.select(VoteFlat.unit, VoteFlat.area, VoteFlat.owners).where(VoteFlat.vote == vote_id).order_by(VoteFlat.position)
    assert after == before and flats_after == flats_before
    # A new vote on the same scope sees the new roster, with another hash.
    await client.signin("13800000009")
    response = await client.post_form("/c/test/votes", vote_form(scope=await stairwell_scope(world.community_id)))
    other = int(response.headers["location"].split("/")[2])
    conflict = await client.post_form(f"/v/{other}/publish")
    assert conflict.status_code == 409 and "3-2-202" in conflict.text  # now ownerless: the roster must be fixed


async def test_revoked_verification_stops_online_voting(client, world):
    vote_id = await open_vote(client, world)
    await Verification.update({Verification.revoked_at: services.now()}).where(Verification.person == world.people["王一"])
    await client.signin("13900000101")
    page = await client.get(f"/v/{vote_id}")
    assert "尚未核实" in page.text


async def test_hundred_simultaneous_casts_for_one_entity_store_one_ballot(client, world):
    """Two tabs, two devices, a hundred taps: the database's unique index lets exactly one through."""
    vote_id = await open_vote(client, world)
    user = accounts.CurrentUser(world.accounts["王一"], "王一", None, "13900000101", False, 0)
    key = await entity_key(vote_id, "3-2-101")

    async def attempt(i: int):
        try:
            return await casting.cast(user, vote_id, key, "agree" if i % 2 else "oppose", f"nonce-{i:04d}-xxxxxxxx", 0)
        except AlreadyVoted as exc:
            return exc

    results = await asyncio.gather(*(attempt(i) for i in range(100)))
    winners = [r for r in results if isinstance(r, casting.CastResult)]
    assert len(winners) == 1
    assert sum(isinstance(r, AlreadyVoted) for r in results) == 99
    assert await Ballot.count() == 1 and await Receipt.count() == 1
    assert (await Ballot.select(Ballot.choice).first())["choice"] == winners[0].choice


async def test_the_database_refuses_a_second_ballot_row_for_an_entity(world, client):
    from community.db import is_unique_violation

    vote_id = await open_vote(client, world)
    entity = await VoteEntity.select(VoteEntity.id).where(VoteEntity.vote == vote_id).first()
    row = {"vote": vote_id, "entity": entity["id"], "unit": "3-2-101", "voter": "x", "choice": "agree", "channel": "online"}
    await Ballot.insert(Ballot(**row))
    with pytest.raises(Exception) as raised:
        await Ballot.insert(Ballot(**row))
    assert is_unique_violation(raised.value)


def jpeg(color: str = "white") -> bytes:
    """A small photo, as a phone would upload one."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="JPEG")
    return out.getvalue()


async def deliver(client, vote_id: int, unit: str, method: str = "posted", **changes: str):
    """Record one flat's delivery of the ballot with the silent-majority warning, with its evidence (a photo)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    data = {"unit": unit, "method": method, "delivered_by": "张网格",
            "delivered_at": datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M"),
            "signed_by": "业主本人" if method == "in_person" else "", "_csrf_token": await client.csrf(), **changes}
    files = {"photo": ("photo.jpg", jpeg(), "image/jpeg")} if "photo" not in changes else None
    data.pop("photo", None)
    return await client.post(f"/v/{vote_id}/deliveries", data=data, files=files)
