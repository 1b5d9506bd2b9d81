"""The result in plain words on the result page, the projector and the minutes; the ballot states the vote's rule."""

from __future__ import annotations

import re

import pytest
from test_votes_casting import cast_online, deliver, make_world, open_vote
from test_votes_paper import enter, serial_of
from test_votes_results import close, vote_as

from community import i18n
from votes.tables import PaperBallot
from votes.testing import RosterBuilder


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


def checks_of(page: str) -> list[str]:
    """The status class of each row of the checks tables, in order."""
    return re.findall(r'<tr class="vcheck vx-(met|not_met|not_reached)">', page)


def sentence_of(page: str) -> str:
    found = re.search(r'<p class="vx-sentence"[^>]*>(.*?)</p>', page, re.S)
    assert found, page
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


async def test_no_quorum_says_why_and_the_approval_checks_are_not_reached(client, world, assert_translated):
    vote_id = await open_vote(client, world, matter="3")
    # Two of five entities vote, and both agree: the approval checks hold by themselves, but are not reached.
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")  # 王一: 170.00 m²
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")  # 李乙, designated: 90.00 m²
    await close(client, vote_id)

    page = (await client.get(f"/v/{vote_id}/result")).text
    assert sentence_of(page) == "未形成有效决定：参与表决的户数和面积均未达到三分之二。5 户中 2 户参与表决（面积 49.1%）。"
    assert checks_of(page) == ["not_met", "not_met", "not_reached", "not_reached"]
    assert "不予判断" in page and "vx-met" not in page  # nothing green
    assert "2 / 5" in page and "260.00 / 530.00 m²" in page and "40.0%" in page and "≥ 2/3" in page
    assert_translated(page, "zh", data={"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区", "yishi recount"})

    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/v/{vote_id}/result")).text
    assert sentence_of(page) == (
        "No valid decision: fewer than two thirds of the households took part, and they hold less than two thirds "
        "of the floor area. 2 of 5 households took part (49.1% of the area)."
    )
    assert checks_of(page) == ["not_met", "not_met", "not_reached", "not_reached"]
    assert page.count("not reached (not judged)") == 2 and "Not reached: agreement is not judged" in page
    assert "Spoiled ballots (households)" in page and "Invalid ballots (not counted)" in page
    assert "Settings applied to this count" in page and "The first ballot counts" in page
    assert_translated(page, "en", data={"3号楼2单元加装电梯", "是否同意加装电梯？", "测试社区"})


async def test_a_passed_vote_in_one_sentence(client, world):
    vote_id = await open_vote(client, world, matter="7", channels="paper")  # item 7: at least 3/4
    await client.signin("13800000009")
    for unit, choice in {"3-2-101": "agree", "3-2-102": "agree", "3-2-201": "agree", "3-2-202": "oppose"}.items():
        await enter(client, vote_id, await serial_of(vote_id, unit), choice)
    await client.post_form("/signout")
    await client.signin("13800000008")
    for paper in await PaperBallot.select(PaperBallot.id):
        assert (await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")).status_code == 200
    await client.post_form("/signout")
    await close(client, vote_id)
    page = (await client.get(f"/v/{vote_id}/result")).text
    # 4 of 5 entities, 430.00 of 530.00 m²; exactly 3 of 4 agree (met), 340.00 of 430.00 m².
    assert sentence_of(page) == "通过。5 户中 4 户参与表决（面积 81.1%），参与户中 3 户同意（面积 79.1%），达到 3/4。"
    assert checks_of(page) == ["met"] * 4 and "3 / 4" in page and "75.0%" in page and "≥ 3/4" in page
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/v/{vote_id}/result")).text
    assert sentence_of(page) == (
        "Passed. 4 of 5 households took part (81.1% of the area); of them 3 agreed (79.1% of the area), reaching 3/4."
    )


async def test_spoiled_ballots_are_counted_with_their_reasons(client, world):
    vote_id = await open_vote(client, world, matter="3", channels=["online", "paper"], s_conflict="spoil")
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    await client.signin("13800000009")
    # The same entity's other flat comes back on paper with another choice: the entity's ballot is spoiled.
    await enter(client, vote_id, await serial_of(vote_id, "3-2-301"), "oppose")
    # 赵's paper ballot cannot be read.
    await enter(client, vote_id, await serial_of(vote_id, "3-2-202"), "spoiled")
    await client.post_form("/signout")
    await client.signin("13800000008")
    for paper in await PaperBallot.select(PaperBallot.id).order_by(PaperBallot.id):
        assert (await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")).status_code == 200
    await client.post_form("/signout")
    await close(client, vote_id)

    page = (await client.get(f"/v/{vote_id}/result")).text
    spoiled = page.split("废票（按户）", 1)[1].split("</dd>", 1)[0]
    assert "<strong>2</strong> — 同一户的选票不一致：1 · 选票无法辨认：1" in spoiled
    assert "废票计入参与表决，不计入同意。" in spoiled
    assert "无效票（不计入）</dt>\n    <dd>无" in page
    assert "选择不一致时，该户选票作废" in page  # the co-owners' rule that applied
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/v/{vote_id}/result")).text
    assert "<strong>2</strong> — the household's ballots differed: 1 · ballot unreadable: 1" in page


async def test_silent_majority_names_both_results_and_which_stands(client, world):
    vote_id = await open_vote(client, world, matter="3", s_silent_majority="1")
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    await vote_as(client, "13900000104", vote_id, "3-2-201", "agree")
    await client.signin("13800000009")
    for unit in ("3-2-102", "3-2-202", "3-2-302"):  # each flat's delivery with its evidence
        assert (await deliver(client, vote_id, unit)).status_code == 303
    await client.post_form("/signout")
    await close(client, vote_id)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/v/{vote_id}/result")).text
    # Strict: 2 of 5 took part. Adjusted: the 3 served who did not vote are counted with the agreeing majority.
    assert sentence_of(page).startswith("Passed. 5 of 5 households are counted as taking part (100.0% of the area)")
    assert "3 households that were served the ballot with a warning and did not vote are counted as agreeing" in page
    adjusted, strict = page.split('class="vx-reading vx-reading-adjusted"', 1)[1].split('class="vx-reading vx-reading-strict"', 1)
    assert "Adjusted result (silent-majority clause)" in adjusted and ">stands<" in adjusted
    assert "Strict result" in strict and ">for comparison<" in strict and "No valid decision" in strict
    assert checks_of(page) == ["met"] * 4 + ["not_met", "not_met", "not_reached", "not_reached"]


async def test_the_projector_shows_the_result_of_the_vote_closed_last(client, world):
    from deliberation.panels import projector_panels
    from deliberation.tables import AgendaItem, Meeting

    meeting = await Meeting.insert(Meeting(community=world.community_id, kind="owners", title="业主大会")).returning(Meeting.id)
    meeting_id = meeting[0]["id"]
    item = await AgendaItem.insert(AgendaItem(meeting=meeting_id, title="加装电梯")).returning(AgendaItem.id)
    vote_id = await open_vote(client, world, matter="3", agenda_item=str(item[0]["id"]))
    await vote_as(client, "13900000101", vote_id, "3-2-101", "agree")
    panels = "".join(str(p) for p in await projector_panels(meeting_id))
    assert f'id="vote-panel-{vote_id}"' in panels and 'class="vx ' not in panels  # open: participation only
    await close(client, vote_id)
    for language, sentence in [("zh", "未形成有效决定"), ("en", "No valid decision")]:
        with i18n.language(language):
            panels = "".join(str(p) for p in await projector_panels(meeting_id))
        assert f'id="vote-panel-{vote_id}"' in panels and sentence in panels
        assert checks_of(panels) == ["not_met", "not_met", "not_reached", "not_reached"]


async def test_the_minutes_explain_the_result_the_same_way(client):
    from test_minutes_http import publish, start
    from test_minutes_world import build_world

    world = await build_world()
    minutes_id = await start(client, world)
    await publish(client, world, minutes_id)
    for language in ("zh", "en"):
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)
        page = (await client.get(f"/minutes/{minutes_id}")).text
        assert 'class="vx-sentence"' in page and len(checks_of(page)) == 4
        assert ("本次计票适用的规则" if language == "zh" else "Settings applied to this count") in page


async def test_the_printed_ballot_states_the_co_owners_rule_and_the_change_rule(client, world):
    # 王一 and 赵 own 3-2-202 together, with no designated voter.
    await RosterBuilder(world.community_id).own(world.flats["3-2-202"], world.people["王一"])
    vote_id = await open_vote(client, world, channels="paper", s_conflict="spoil")
    await client.signin("13800000009")
    sheets = (await client.get(f"/v/{vote_id}/paper/print")).text.split('class="vprint-sheets"', 1)[1]
    ballots = sheets.split('<section class="paper-ballot">')[1:]
    co_owned = [b for b in ballots if "3-2-202" in b]
    assert len(co_owned) == 1
    assert "本房屋的共有人如作出不同选择，本房屋的选票作废。" in co_owned[0]
    assert "只计最先收到的一张选票" not in sheets  # the old rule is not printed any more
    assert sum("本房屋的共有人" in b for b in ballots) == 1  # only where several owners may sign
    assert all("选票一经交回，不能更改。" in b for b in ballots)
    await client.post_form("/signout")

    other = await open_vote(client, world, channels="paper", s_allow_change="1")
    await client.signin("13800000009")
    sheets = (await client.get(f"/v/{other}/paper/print")).text.split('class="vprint-sheets"', 1)[1]
    assert "本房屋如有多位业主投票，只计最先收到的一张选票，之后的选票不计入。" in sheets
    assert "表决结束前可以更改选择；只计您最后一次的选票。" in sheets


async def test_the_online_vote_page_states_the_same_rules(client, world):
    vote_id = await open_vote(client, world, s_conflict="spoil", s_allow_change="1")
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = (await client.get(f"/v/{vote_id}")).text
    assert "If owners of this flat vote differently, the flat's ballot is spoiled." in page
    assert "You may change your vote until the vote closes; only your last ballot counts." in page
    await client.signin("13900000101")
    assert (await cast_online(client, vote_id, "3-2-101", "agree")).status_code == 200
