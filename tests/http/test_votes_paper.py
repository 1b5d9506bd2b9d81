"""Paper ballots: printing, a counter enters, a different scrutineer confirms, duplicates are flagged not counted."""

from __future__ import annotations

import re

import pytest
from test_votes_casting import cast_online, entity_key, make_world, open_vote

from community import accounts
from votes.codes import paper_serial
from votes.tables import Ballot, BallotChange, Conflict, PaperBallot, VoteEntity
from votes.testing import let_voting_period_run, scope_staff


@pytest.fixture
async def world(make_account):
    world = await make_world(make_account)
    world.accounts["网格员"] = await make_account(phone="13800000007", name="网格员")
    await accounts.grant_role(world.accounts["网格员"], world.community_id, "grid_worker")
    await scope_staff(world.accounts["网格员"], world.community_id, "grid_worker")
    return world


async def serial_of(vote_id: int, unit: str) -> str:
    key = await entity_key(vote_id, unit)
    row = await VoteEntity.select(VoteEntity.number).where((VoteEntity.vote == vote_id) & (VoteEntity.key == key)).first()
    return paper_serial(vote_id, row["number"])


async def enter(client, vote_id: int, serial: str, choice: str = "agree", signer: str = "", **extra: str):
    return await client.post_form(f"/v/{vote_id}/paper", {"serial": serial, "choice": choice, "signer": signer, "channel": "paper", **extra})


async def test_printed_ballots_are_chinese_a4_with_serial_qr_and_signature_line(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    await client.signin("13800000009")
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{vote_id}/paper/print")
    assert page.status_code == 200
    assert page.text.count('class="paper-ballot"') == 5  # one per voting entity
    sheets = page.text.split('class="vprint-sheets"', 1)[1]
    assert "业主表决票" in sheets and "业主（或代理人）签名" in sheets  # the ballots stay Chinese
    assert "Print ballots" in page.text  # the page around them follows the reader's language
    assert await serial_of(vote_id, "3-2-101") in sheets
    assert sheets.count("<svg") >= 5 and "style=" not in sheets  # inline QR codes, nothing the CSP blocks
    assert "王一" in sheets  # pre-filled with the owner's name


async def test_counter_enters_and_a_different_scrutineer_confirms(client, world, assert_translated):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    found = await client.get(f"/v/{vote_id}/paper", params={"serial": serial})
    assert "赵" in found.text and "3-2-202" in found.text
    assert_translated(found.text, "zh", data={"3号楼2单元加装电梯", "赵", serial, "3-2-202"})
    entered = await enter(client, vote_id, serial, "oppose")
    assert entered.status_code == 200 and "经第二人核对确认后计入" in entered.text
    assert await Ballot.count() == 0  # not counted yet
    # The counter cannot confirm their own entry.
    paper = await PaperBallot.select(PaperBallot.id).first()
    own = await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    assert own.status_code == 409 and "监票人" in own.text
    assert await Ballot.count() == 0
    await client.post_form("/signout")
    await client.signin("13800000008")  # the recorder acts as scrutineer
    confirmed = await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    assert confirmed.status_code == 200 and "已计入" in confirmed.text
    ballot = await Ballot.select(Ballot.choice, Ballot.channel, Ballot.unit).first()
    assert ballot == {"choice": "oppose", "channel": "paper", "unit": "3-2-202"}


async def test_scanned_qr_url_finds_the_ballot(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-201")
    await client.signin("13800000009")
    found = await client.get(f"/v/{vote_id}/paper", params={"serial": f"https://yishi.example/v/{vote_id}/paper?serial={serial}"})
    assert found.status_code == 200 and "3-2-201" in found.text
    assert "李乙" in found.text and "指定投票人" in found.text  # only the designated voter may sign
    assert "李甲" not in found.text.split("签名人", 1)[1].split("</fieldset>", 1)[0]


async def test_mistyped_serial_is_refused_with_the_typed_value_kept(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-201")
    wrong = serial[:-1] + str((int(serial[-1]) + 1) % 10)
    await client.signin("13800000009")
    response = await enter(client, vote_id, wrong)
    assert response.status_code == 422
    assert "这不是选票编号" in response.text and f'value="{wrong}"' in response.text
    assert await PaperBallot.count() == 0


async def test_missing_choice_keeps_the_entry_form(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    response = await enter(client, vote_id, serial, choice="")
    assert response.status_code == 422 and "请选择选票上勾选的内容" in response.text
    assert serial in response.text and await PaperBallot.count() == 0


async def test_a_ballot_entered_twice_is_flagged_and_counted_once(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    await enter(client, vote_id, serial, "agree")
    again = await enter(client, vote_id, serial, "oppose")
    assert again.status_code == 409 and "不会重复计票" in again.text
    assert await PaperBallot.count() == 1
    assert (await Conflict.select(Conflict.kind, Conflict.resolution).first()) == {"kind": "serial_twice", "resolution": "refused"}


async def test_rejected_entry_can_be_entered_again(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    await enter(client, vote_id, serial, "agree")
    paper = await PaperBallot.select(PaperBallot.id).first()
    await client.post_form("/signout")
    await client.signin("13800000007")  # the grid worker
    rejected = await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/reject")
    assert rejected.status_code == 200
    await client.post_form("/signout")
    await client.signin("13800000009")  # the counter enters it again (a scrutineer never enters)
    again = await enter(client, vote_id, serial, "oppose")
    assert again.status_code == 200
    assert (await PaperBallot.select(PaperBallot.status, PaperBallot.choice).first()) == {"status": "entered", "choice": "oppose"}


@pytest.mark.parametrize(("rule", "counted", "outcome"), [("first", "agree", "duplicate"), ("spoil", "spoiled", "spoiled_entity")])
async def test_online_and_paper_for_one_entity_are_resolved_by_the_rule(client, world, rule, counted, outcome):
    vote_id = await open_vote(client, world, channels=["online", "paper"], s_conflict=rule)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101", "agree")
    await client.post_form("/signout")
    await client.signin("13800000009")
    serial = await serial_of(vote_id, "3-2-301")  # the same owner's other flat: the same entity
    form = await client.get(f"/v/{vote_id}/paper", params={"serial": serial})
    assert "已有计入的选票" in form.text
    await enter(client, vote_id, serial, "oppose")
    await client.post_form("/signout")
    await client.signin("13800000008")
    paper = await PaperBallot.select(PaperBallot.id).first()
    confirmed = await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    assert confirmed.status_code == 200
    assert await Ballot.count() == 1  # never counted twice
    assert (await Ballot.select(Ballot.choice).first())["choice"] == counted
    assert (await PaperBallot.select(PaperBallot.outcome).first())["outcome"] == outcome
    assert await Conflict.count() == 1
    if rule == "spoil":
        assert (await BallotChange.select(BallotChange.reason).first())["reason"] == "conflict_spoiled"


async def test_paper_then_online_refuses_the_online_ballot(client, world):
    vote_id = await open_vote(client, world, channels=["online", "paper"])
    await client.signin("13800000009")
    await enter(client, vote_id, await serial_of(vote_id, "3-2-101"), "oppose")
    await client.post_form("/signout")
    await client.signin("13800000008")
    paper = await PaperBallot.select(PaperBallot.id).first()
    await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    await client.post_form("/signout")
    await client.signin("13900000101")
    page = await client.get(f"/v/{vote_id}")
    assert "您的选票已记录" in page.text and 'name="choice"' not in page.text
    refused = await client.post_form(f"/v/{vote_id}/choose", {"entity": await entity_key(vote_id, "3-2-101"), "choice": "agree"})
    assert refused.status_code == 409
    assert await Ballot.count() == 1


async def test_close_waits_for_pending_entries(client, world):
    vote_id = await open_vote(client, world, channels="paper")
    await client.signin("13800000009")
    await enter(client, vote_id, await serial_of(vote_id, "3-2-202"), "agree")
    await let_voting_period_run(vote_id)
    refused = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert refused.status_code == 409 and "等待监票人确认" in refused.text
    # Not a bare error page: the manage page, with the reason above its actions and the way to the desk.
    assert 'id="problem"' in refused.text and f'href="/v/{vote_id}/paper"' in refused.text and "结束并计票" in refused.text
    # Which ballots wait, and who entered them, under the reason (issue 19: a bare 409 page explained nothing).
    problem = refused.text.split('id="problem"', 1)[1].split("</div>", 1)[0]
    serial = await serial_of(vote_id, "3-2-202")
    assert serial in problem and "3-2-202" in problem and "主持人" in problem and "到纸质选票台确认或驳回" in problem
    client.cookies.set("yishi_lang", "en")
    refused = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert "wait for a scrutineer" in refused.text and f'href="/v/{vote_id}/paper"' in refused.text
    assert f"Ballot {serial} (3-2-202), entered by 主持人" in refused.text


async def test_residents_and_strangers_cannot_use_the_paper_desk(client, world, make_account):
    vote_id = await open_vote(client, world, channels="paper")
    await client.signin("13900000101")
    assert (await client.get(f"/v/{vote_id}/paper")).status_code == 403
    assert (await enter(client, vote_id, await serial_of(vote_id, "3-2-202"))).status_code == 403
    assert (await client.get(f"/v/{vote_id}/paper/print")).status_code == 403
    assert await PaperBallot.count() == 0


async def test_meeting_ballots_are_entered_like_paper(client, world):
    vote_id = await open_vote(client, world, channels="meeting")
    await client.signin("13800000009")
    serial = await serial_of(vote_id, "3-2-202")
    form = await client.get(f"/v/{vote_id}/paper", params={"serial": serial})
    assert re.search(r'name="channel" value="meeting"', form.text)
    await client.post_form(f"/v/{vote_id}/paper", {"serial": serial, "choice": "abstain", "channel": "meeting"})
    await client.post_form("/signout")
    await client.signin("13800000008")
    paper = await PaperBallot.select(PaperBallot.id).first()
    await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    assert (await Ballot.select(Ballot.channel).first())["channel"] == "meeting"


async def test_counters_and_scrutineers_are_different_people(client, world):
    """Issue 19: the same two staff appeared as both counters and scrutineers. Whoever has entered ballots of a
    vote never confirms or rejects one, and whoever has checked one never enters: two people, two roles."""
    vote_id = await open_vote(client, world, channels="paper")
    await client.signin("13800000009")  # the counter
    await enter(client, vote_id, await serial_of(vote_id, "3-2-202"), "agree")
    await client.post_form("/signout")
    await client.signin("13800000008")  # the scrutineer confirms it
    first = await PaperBallot.select(PaperBallot.id).first()
    assert (await client.post_form(f"/v/{vote_id}/paper/{first['id']}/confirm")).status_code == 200
    # The scrutineer may not now enter a ballot of this vote.
    refused = await enter(client, vote_id, await serial_of(vote_id, "3-2-201"), "agree", signer="")
    assert refused.status_code == 409 and "计票人和监票人必须是不同的人" in refused.text
    assert await PaperBallot.count() == 1
    client.cookies.set("yishi_lang", "en")
    refused = await enter(client, vote_id, await serial_of(vote_id, "3-2-201"), "agree")
    assert "counters and scrutineers must be different people" in refused.text
    client.cookies.set("yishi_lang", "zh")
    # A third member of staff enters another ballot; the first counter may not check it, though he did not enter it.
    await client.post_form("/signout")
    await client.signin("13800000007")
    await enter(client, vote_id, await serial_of(vote_id, "3-2-101"), "oppose")
    second = await PaperBallot.select(PaperBallot.id).where(PaperBallot.status == "entered").first()
    await client.post_form("/signout")
    await client.signin("13800000009")
    for action in ("confirm", "reject"):
        refused = await client.post_form(f"/v/{vote_id}/paper/{second['id']}/{action}")
        assert refused.status_code == 409 and "计票人和监票人必须是不同的人" in refused.text
    assert (await PaperBallot.select(PaperBallot.status).where(PaperBallot.id == second["id"]).first())["status"] == "entered"
    await client.post_form("/signout")
    await client.signin("13800000008")
    assert (await client.post_form(f"/v/{vote_id}/paper/{second['id']}/confirm")).status_code == 200
    rows = await PaperBallot.select(PaperBallot.entered_by, PaperBallot.confirmed_by)
    assert not {r["entered_by"] for r in rows} & {r["confirmed_by"] for r in rows}


async def test_a_double_click_at_the_desk_enters_and_counts_a_ballot_once(client, world):
    """The counter's "enter" and the scrutineer's "confirm", each clicked four times at once: one entry, one ballot
    counted; the other clicks are told the ballot is already there (no error page)."""
    import asyncio

    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    entered = await asyncio.gather(*[enter(client, vote_id, serial, "agree") for _ in range(4)])
    assert sorted(r.status_code for r in entered) == [200, 409, 409, 409], [r.status_code for r in entered]
    assert await PaperBallot.count() == 1
    paper = await PaperBallot.select(PaperBallot.id).first()
    await client.post_form("/signout")
    await client.signin("13800000008")
    confirmed = await asyncio.gather(*[client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm") for _ in range(4)])
    assert sorted(r.status_code for r in confirmed) == [200, 409, 409, 409], [r.status_code for r in confirmed]
    # Counted once, and the repeated clicks flag no conflict (a ballot "entered twice" is for a real second copy).
    assert await Ballot.count() == 1 and await Conflict.count().where(Conflict.kind != "serial_twice") == 0
