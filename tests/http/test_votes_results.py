"""Closing and counting: the four checks, the outcome, silent majority side by side, the record recounts."""

from __future__ import annotations

import json

import pytest
from test_votes_casting import cast_online, deliver, entity_key, make_world, open_vote

from votes.record import parse_record, tally_record
from votes.tables import Ballot, Vote, VoteFlat
from votes.tally_cli import recount_main
from votes.testing import let_voting_period_run


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def close(client, vote_id: int):
    await client.signin("13800000009")
    await let_voting_period_run(vote_id)
    response = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert response.status_code == 303, response.text
    await client.post_form("/signout")
    return response


async def vote_as(client, login: str, vote_id: int, unit: str, choice: str) -> None:
    await client.signin(login)
    response = await cast_online(client, vote_id, unit, choice)
    assert response.status_code == 200, response.text
    await client.post_form("/signout")


async def test_result_page_shows_all_four_checks_and_the_record_recounts(client, world, tmp_path, capsys, assert_translated):
    vote_id = await open_vote(client, world, matter="3")  # item 3: more than half
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")  # 170.00 m²
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")  # 90.00 m²
    # 王二 is not verified, 赵 has no account, the developer does not vote: 2 of 5 entities.
    await close(client, vote_id)
    vote = await Vote.select(Vote.status, Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    assert vote["status"] == "closed"
    assert vote["result"]["outcome"] == "no_quorum"
    assert vote["result"]["participating"] == {"headcount": 2, "area": "260.00"}
    page = await client.get(f"/v/{vote_id}/result")
    assert page.status_code == 200
    assert "未形成有效决定：</strong>参与表决的户数和面积均未达到三分之二。" in page.text
    assert "2 / 5" in page.text and "260.00 / 530.00 m²" in page.text
    # The command line is a command, not interface text.
    assert_translated(page.text, "zh", data={"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区", "yishi recount"})
    record = await client.get(f"/v/{vote_id}/record.json")
    assert record.status_code == 200 and record.headers["content-type"].startswith("application/json")
    data = record.json()
    assert data["schema"] == "yishi.vote-record/1" and data["vote"]["matter"] == 3
    assert "王一" not in record.text and "赵" not in record.text  # owners are opaque ids
    path = tmp_path / "record.json"
    path.write_text(record.text, encoding="utf-8")
    assert recount_main([str(path)]) == 0
    assert "result matches" in capsys.readouterr().out
    # The hash shown when the vote opened is the hash of the named electorate (the facilitator's copy);
    # the public copy has other unit labels, so it has another hash, but the same count.
    from votes.electorate import electorate_hash

    await client.signin("13800000009")
    named = await client.get(f"/v/{vote_id}/record-named.json")
    stored = await Vote.select(Vote.electorate_hash).where(Vote.id == vote_id).first()
    assert electorate_hash(parse_record(named.text).flats) == stored["electorate_hash"]


async def test_a_passing_vote_and_exactly_three_quarters(client, world):
    vote_id = await open_vote(client, world, matter="7", channels="paper")
    await client.signin("13800000009")
    from test_votes_paper import enter, serial_of

    choices = {"3-2-101": "agree", "3-2-102": "agree", "3-2-201": "agree", "3-2-202": "oppose"}
    signers = {"3-2-201": "", "3-2-202": ""}
    for unit, choice in choices.items():
        await enter(client, vote_id, await serial_of(vote_id, unit), choice, signers.get(unit, ""))
    await client.post_form("/signout")
    await client.signin("13800000008")
    from votes.tables import PaperBallot

    for paper in await PaperBallot.select(PaperBallot.id):
        assert (await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")).status_code == 200
    await client.post_form("/signout")
    await close(client, vote_id)
    vote = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    result = vote["result"]
    # 4 of 5 entities (4/5 >= 2/3); 430.00 of 530.00 m² (>= 2/3); agreeing 3 of 4 = exactly 3/4 by headcount,
    # 340.00 of 430.00 m² (79%): passed.
    assert result["participating"] == {"headcount": 4, "area": "430.00"}
    assert result["agreeing"] == {"headcount": 3, "area": "340.00"}
    assert result["checks"] == {"participation_headcount": True, "participation_area": True,
                                "approval_headcount": True, "approval_area": True}
    assert result["outcome"] == "passed"
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{vote_id}/result")
    assert "Passed" in page.text and "3 / 4" in page.text and "≥ 3/4" in page.text
    # The count record names who counted and who scrutinised the paper ballots.
    assert "Counters" in page.text and "主持人" in page.text and "Scrutineers" in page.text and "记录员" in page.text


async def test_silent_majority_shows_strict_and_adjusted_side_by_side(client, world, tmp_path):
    vote_id = await open_vote(client, world, matter="3", s_silent_majority="1")
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")
    await client.signin("13800000009")
    # Served flat by flat, each with its evidence (the bulk "whole stairwell unit" record is gone).
    for unit in ("3-2-102", "3-2-202", "3-2-302"):
        served = await deliver(client, vote_id, unit)
        assert served.status_code == 303, served.text
    assert await VoteFlat.count().where(VoteFlat.served.eq(True)) == 3
    await client.post_form("/signout")
    await close(client, vote_id)
    vote = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    assert vote["result"]["outcome"] == "no_quorum"
    assert vote["result"]["adjusted"]["outcome"] == "passed"
    page = await client.get(f"/v/{vote_id}/result")
    assert "严格结果" in page.text and "调整后的结果" in page.text
    record = await client.get(f"/v/{vote_id}/record.json")
    path = tmp_path / "record.json"
    path.write_text(record.text, encoding="utf-8")
    assert recount_main([str(path)]) == 0
    assert json.loads(record.text)["settings"]["silent_majority"] is True


async def test_closed_vote_record_matches_a_fresh_tally(client, world):
    vote_id = await open_vote(client, world)
    await vote_as(client, "13900000101", vote_id, "3-2-101", "oppose")
    await close(client, vote_id)
    record = (await client.get(f"/v/{vote_id}/record.json")).json()
    stored = record.pop("result")
    from votes.record import result_to_json

    assert result_to_json(tally_record(parse_record(record))) == stored


async def test_record_only_once_closed(client, world):
    vote_id = await open_vote(client, world)
    assert (await client.get(f"/v/{vote_id}/record.json")).status_code == 404
    assert (await client.get(f"/v/{vote_id}/result")).status_code == 303


async def test_after_the_close_nothing_changes(client, world):
    vote_id = await open_vote(client, world, s_allow_change="1")
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    await close(client, vote_id)
    await client.signin("13800000009")
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 409
    assert (await client.post_form(f"/v/{vote_id}/edit", {"title": "x"})).status_code == 409
    await client.post_form("/signout")
    await client.signin("13900000101")
    page = await client.get(f"/v/{vote_id}")
    assert "已经结束" in page.text and 'name="choice"' not in page.text


async def test_poll_counts_options_without_thresholds(client, world):
    vote_id = await open_vote(client, world, kind="poll", matter="", options="方案一\n方案二")
    await vote_as(client, "13900000101", vote_id, "3-2-101", "o2")
    await close(client, vote_id)
    vote = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    assert vote["result"]["outcome"] == "poll"
    assert [o["headcount"] for o in vote["result"]["options"]] == [0, 1]
    page = await client.get(f"/v/{vote_id}/result")
    assert "不具约束力" in page.text and "方案二" in page.text
    assert (await client.get(f"/v/{vote_id}/record.json")).status_code == 404


async def test_residents_meeting_counts_households_including_tenants(client, world):
    vote_id = await open_vote(client, world, kind="residents", matter="")
    await vote_as(client, "13900000105", vote_id, "3-2-202", "agree")  # a tenant votes for the household
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    await vote_as(client, "13900000101", vote_id, "3-2-301", "oppose")  # one ballot per flat
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")
    await close(client, vote_id)
    vote = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    result = vote["result"]
    # The developer's unsold flat has nobody living in it: five households.
    assert result["households"] == 5 and result["participating"] == 4 and result["agreeing"] == 3
    assert result["outcome"] == "passed"
    page = await client.get(f"/v/{vote_id}/result")
    assert "4 / 5" in page.text


async def test_a_poll_is_open_to_tenants_unless_it_asks_owners_only(client, world):
    """Issue 19: a non-binding poll refused tenants with the owners'-vote message."""
    vote_id = await open_vote(client, world, kind="poll", matter="", options="方案一\n方案二")
    await vote_as(client, "13900000105", vote_id, "3-2-202", "o1")  # the tenant of 3-2-202 answers
    await vote_as(client, "13900000101", vote_id, "3-2-101", "o2")
    await client.signin("13900000101")
    assert "相关房屋的所有住户都可以回答" in (await client.get(f"/v/{vote_id}")).text  # the ballot says who answers
    await client.post_form("/signout")
    await close(client, vote_id)
    vote = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    assert [o["headcount"] for o in vote["result"]["options"]] == [1, 1]
    # A poll that asks owners only refuses her, with words about the poll, not about owners' decisions.
    owners_only = await open_vote(client, world, kind="poll", matter="", options="方案一\n方案二", s_poll_audience="owners")
    await client.signin("13900000105")
    page = await client.get(f"/v/{owners_only}")
    assert "这次意见征询只请相关房屋的业主回答" in page.text and 'name="choice"' not in page.text
    assert "租户不参加业主共同决定的表决" not in page.text
    refused = await client.post_form(f"/v/{owners_only}/choose", {"entity": await entity_key(owners_only, "3-2-202"), "choice": "o1"})
    assert refused.status_code == 403
    client.cookies.set("yishi_lang", "en")
    page = await client.get(f"/v/{owners_only}")
    assert "This poll asks only the owners of the flats concerned" in page.text
    assert await Ballot.count().where(Ballot.vote == owners_only) == 0
