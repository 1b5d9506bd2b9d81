"""Issue 17, scenario 4: the database fails around a cast. Before the commit: "your ballot was not recorded —
please try again", nothing stored, and trying again works. After the commit: the resident is told the ballot
counts, with its receipt code, never that it failed. During the commit: "we cannot tell", and sending the
same form again counts once."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
from asyncpg.exceptions import ConnectionDoesNotExistError
from test_votes_casting import entity_key, make_world, open_vote

from community import db, i18n
from votes import casting, controllers
from votes.codes import receipt_hash
from votes.tables import Ballot, Receipt


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def confirm_step(client, vote_id: int, unit: str = "3-2-101", choice: str = "agree") -> dict[str, str]:
    """Step 1 (choose), as the phone does: the form step 2 sends."""
    key = await entity_key(vote_id, unit)
    step1 = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": choice})
    assert step1.status_code == 200, step1.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)
    return {"entity": key, "choice": choice, "nonce": nonce, "version": "0"}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_failure_before_the_commit_says_not_recorded_and_stores_nothing(client, world, monkeypatch, language,
                                                                                 assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    form = await confirm_step(client, vote_id)

    async def database_gone(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(casting, "lock_for_cast", database_gone)  # inside the ballot's transaction
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    answer = await client.post_form(f"/v/{vote_id}/cast", form)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    expected = {"zh": "您的选票没有记录", "en": "Your ballot was not recorded — please try again"}[language]
    assert expected in answer.text and 'id="receipt-code"' not in answer.text
    assert_translated(answer.text, language, data={"3号楼2单元加装电梯"})
    assert await Ballot.count() == 0 and await Receipt.count() == 0

    monkeypatch.undo()  # the database is back: the same form, sent again, is recorded
    again = await client.post_form(f"/v/{vote_id}/cast", form)
    assert again.status_code == 200 and 'id="receipt-code"' in again.text
    assert await Ballot.count() == 1


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_failure_after_the_commit_still_shows_the_receipt(client, world, monkeypatch, language, assert_translated):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    form = await confirm_step(client, vote_id)
    shown = controllers._vote_page

    async def receipt_page_fails(request, vote, step="choose", **extra):
        if step == "receipt":  # the ballot is committed by now; the database goes away while the page is built
            raise ConnectionDoesNotExistError("connection was closed in the middle of operation")
        return await shown(request, vote, step, **extra)

    monkeypatch.setattr(controllers, "_vote_page", receipt_page_fails)
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    answer = await client.post_form(f"/v/{vote_id}/cast", form)
    assert answer.status_code == 200
    code = re.search(r'id="receipt-code">([^<]+)<', answer.text).group(1)
    assert {"zh": "您的选票已记录", "en": "Your ballot is recorded"}[language] in answer.text
    assert {"zh": "不行", "en": "failed"}[language] not in answer.text
    assert_translated(answer.text, language, data={"3-2-101、3-2-301", code})
    # What the page says is what the database holds: one ballot, and this code is its receipt.
    ballots = await Ballot.select(Ballot.choice)
    assert ballots == [{"choice": "agree"}]
    assert await Receipt.exists().where(Receipt.code_hash == receipt_hash(code))


async def test_a_failure_during_the_commit_says_it_cannot_tell_and_a_resend_counts_once(client, world, monkeypatch):
    vote_id = await open_vote(client, world)
    await client.signin("13900000101")
    form = await confirm_step(client, vote_id)
    real = casting.write_transaction

    class RolledBack(Exception):
        pass

    @asynccontextmanager
    async def commit_lost(**options):
        """COMMIT is sent and the connection drops before its answer (here the transaction is rolled back)."""
        try:
            async with real(**options):
                yield
                raise RolledBack
        except RolledBack:
            lost = ConnectionResetError(104, "Connection reset by peer")
            lost.add_note(db.COMMIT_FAILED)
            raise lost from None

    monkeypatch.setattr(casting, "write_transaction", commit_lost)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    answer = await client.post_form(f"/v/{vote_id}/cast", form)
    assert answer.status_code == 503
    assert "We cannot tell whether your ballot was recorded" in answer.text and "counts only once" in answer.text
    assert await Ballot.count() == 0
    monkeypatch.undo()
    for _ in range(2):  # sent again, twice: one ballot
        assert (await client.post_form(f"/v/{vote_id}/cast", form)).status_code == 200
    assert await Ballot.count() == 1 and await Receipt.count() == 1


async def test_paper_entry_and_confirmation_stored_before_the_desk_fails_are_reported_stored(client, make_account,
                                                                                            monkeypatch, assert_translated):
    from test_votes_paper import enter, serial_of
    from test_votes_paper import world as paper_world

    from votes import paper_controllers
    from votes.tables import PaperBallot

    world = await paper_world.__wrapped__(make_account)
    vote_id = await open_vote(client, world, channels="paper")
    serial = await serial_of(vote_id, "3-2-202")
    await client.signin("13800000009")
    desk = paper_controllers._desk_page

    async def desk_fails(request, vote, status_code=200, **extra):
        if extra.get("notice"):  # after the entry or the confirmation is committed
            raise ConnectionResetError(104, "Connection reset by peer")
        return await desk(request, vote, status_code, **extra)

    monkeypatch.setattr(paper_controllers, "_desk_page", desk_fails)
    entered = await enter(client, vote_id, serial, "oppose")
    assert entered.status_code == 200 and "经第二人核对确认后计入" in entered.text and "已经保存" in entered.text
    assert_translated(entered.text, "zh", data={serial})
    assert await PaperBallot.count() == 1
    await client.post_form("/signout")
    await client.signin("13800000008")
    paper = await PaperBallot.select(PaperBallot.id).first()
    confirmed = await client.post_form(f"/v/{vote_id}/paper/{paper['id']}/confirm")
    assert confirmed.status_code == 200 and "已计入" in confirmed.text
    assert await Ballot.select(Ballot.choice, Ballot.channel) == [{"choice": "oppose", "channel": "paper"}]
