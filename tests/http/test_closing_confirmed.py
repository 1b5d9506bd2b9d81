"""Closing a meeting and closing a vote are asked for first (issue 19): the button opens a page saying what the
close does, and the server closes nothing on a POST without that page's confirmation."""

from __future__ import annotations

import pytest
from test_deliberation_world import build_world, make_meeting
from test_votes_casting import cast_online, make_world, open_vote
from test_votes_paper import enter, serial_of

from deliberation.tables import Meeting, SpeakerRequest
from votes.tables import Vote
from votes.testing import let_voting_period_run


@pytest.fixture
async def meeting_world(make_account):
    return await build_world(make_account)


@pytest.fixture
async def vote_world(make_account):
    return await make_world(make_account)


async def meeting_status(meeting_id: int) -> str:
    return str((await Meeting.select(Meeting.status).where(Meeting.id == meeting_id).first())["status"])


async def test_closing_a_meeting_asks_first(client, meeting_world, assert_translated):
    world = meeting_world
    meeting_id, _items = await make_meeting(world, status="in_session")
    await SpeakerRequest.insert(SpeakerRequest(meeting=meeting_id, account=world.people["owner"], status="waiting", position=1))
    await client.signin(world.phones["facilitator"])
    control = (await client.get(f"/m/{meeting_id}/control")).text
    # The control page's button is a way to the question, not a form that closes.
    assert f'href="/m/{meeting_id}/close"' in control and f'action="/m/{meeting_id}/close"' not in control
    manage = (await client.get(f"/m/{meeting_id}/manage")).text
    assert f'href="/m/{meeting_id}/close"' in manage and f'action="/m/{meeting_id}/close"' not in manage

    asked = await client.get(f"/m/{meeting_id}/close")
    assert asked.status_code == 200
    assert "结束会议吗？" in asked.text and "无法撤销" in asked.text and "仍在等待发言的 1 人" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert_translated(asked.text, "zh", data={"三号楼板凳会"})
    assert await meeting_status(meeting_id) == "in_session"

    # A close without the confirmation (an old page, a script) closes nothing: it gets the question again.
    refused = await client.post_form(f"/m/{meeting_id}/close")
    assert refused.status_code == 422 and "会议没有结束" in refused.text and 'name="confirm" value="yes"' in refused.text
    refused = await client.post_form(f"/m/{meeting_id}/close", {"confirm": "on"})
    assert refused.status_code == 422
    assert await meeting_status(meeting_id) == "in_session"

    client.cookies.set("yishi_lang", "en")
    asked = await client.get(f"/m/{meeting_id}/close")
    assert "Close the meeting?" in asked.text and "cannot be undone" in asked.text
    assert_translated(asked.text, "en", data={"三号楼板凳会"})

    closed = await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/m/{meeting_id}/manage"
    assert await meeting_status(meeting_id) == "closed"
    # Nothing left to ask: an old link leads to the control page, a second close is refused.
    assert (await client.get(f"/m/{meeting_id}/close")).headers["location"] == f"/m/{meeting_id}/control"
    assert (await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})).status_code == 409


async def test_only_the_meetings_staff_are_asked(client, meeting_world):
    world = meeting_world
    meeting_id, _items = await make_meeting(world, status="in_session")
    for who in ("owner", "recorder"):
        await client.signin(world.phones[who])
        assert (await client.get(f"/m/{meeting_id}/close")).status_code == 403, who
        assert (await client.post_form(f"/m/{meeting_id}/close", {"confirm": "yes"})).status_code == 403, who
    await client.signin(world.phones["other_facilitator"])
    assert (await client.get(f"/m/{meeting_id}/close")).status_code == 404
    assert await meeting_status(meeting_id) == "in_session"


async def vote_status(vote_id: int) -> str:
    return str((await Vote.select(Vote.status).where(Vote.id == vote_id).first())["status"])


async def test_closing_a_vote_asks_first(client, vote_world, assert_translated):
    vote_id = await open_vote(client, vote_world)
    await client.signin("13900000101")
    await cast_online(client, vote_id, "3-2-101")
    await let_voting_period_run(vote_id)
    await client.signin("13800000009")
    manage = (await client.get(f"/v/{vote_id}/manage")).text
    assert f'href="/v/{vote_id}/close"' in manage and f'action="/v/{vote_id}/close"' not in manage

    asked = await client.get(f"/v/{vote_id}/close")
    assert asked.status_code == 200
    assert "结束并计票吗？" in asked.text
    assert "5 名业主中已有 1 名投票" in asked.text and "还差 3 名业主" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert_translated(asked.text, "zh", data={"3号楼2单元加装电梯"})

    refused = await client.post_form(f"/v/{vote_id}/close")
    assert refused.status_code == 422 and "表决没有结束" in refused.text
    assert await vote_status(vote_id) == "open"

    client.cookies.set("yishi_lang", "en")
    asked = await client.get(f"/v/{vote_id}/close")
    assert "Close and count?" in asked.text and "Needs 3 more owners" in asked.text
    assert_translated(asked.text, "en", data={"3号楼2单元加装电梯"})

    closed = await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/v/{vote_id}/result"
    assert await vote_status(vote_id) == "closed"
    assert (await client.get(f"/v/{vote_id}/close")).headers["location"] == f"/v/{vote_id}/manage"
    assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 409


async def test_the_question_says_when_the_vote_cannot_close_yet(client, vote_world):
    vote_id = await open_vote(client, vote_world, channels="paper")
    await client.signin("13800000009")
    too_early = await client.get(f"/v/{vote_id}/close")  # the minimum voting period has not run
    assert too_early.status_code == 200 and 'name="confirm"' not in too_early.text and "alert-error" in too_early.text
    await let_voting_period_run(vote_id)
    await enter(client, vote_id, await serial_of(vote_id, "3-2-202"), "agree")
    waiting = await client.get(f"/v/{vote_id}/close")
    assert "还有 1 张纸质选票等待监票人确认" in waiting.text and 'name="confirm"' not in waiting.text
    assert f'href="/v/{vote_id}/manage"' in waiting.text


async def test_only_the_facilitator_is_asked(client, vote_world):
    vote_id = await open_vote(client, vote_world)
    for login in ("13800000008", "13900000101"):  # the recorder, an owner
        await client.signin(login)
        assert (await client.get(f"/v/{vote_id}/close")).status_code == 403, login
        assert (await client.post_form(f"/v/{vote_id}/close", {"confirm": "yes"})).status_code == 403, login
    assert await vote_status(vote_id) == "open"
