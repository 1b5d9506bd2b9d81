"""While the database is away, every page says so plainly (503), and a resident casting a ballot is told
it was not recorded, instead of a 500 and a traceback."""

from __future__ import annotations

import sqlite3

from asyncpg.exceptions import CannotConnectNowError

from votes import casting, services


async def test_a_page_during_an_outage_answers_503_and_says_try_again(client, monkeypatch):
    async def away(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(services, "visible_vote", away)
    page = await client.get("/v/1")
    assert page.status_code == 503 and page.headers["retry-after"] == "30"
    assert "暂时无法连接数据库" in page.text and "没有保存" in page.text


async def test_a_ballot_cast_during_an_outage_is_said_not_to_be_recorded(client, monkeypatch, make_account):
    async def away(*args, **kwargs):
        raise CannotConnectNowError("the database system is starting up")

    await make_account(phone="13900000101", name="王一")
    await client.signin("13900000101")
    monkeypatch.setattr(casting, "cast", away)
    client.cookies.set("yishi_lang", "en")
    answer = await client.post_form("/v/1/cast", {"entity": "x", "choice": "agree", "nonce": "n" * 20, "version": "0"})
    assert answer.status_code == 503
    assert "Nothing you just sent was saved; a ballot counts only once you see its receipt code" in answer.text


async def test_sqlite_locked_for_too_long_is_an_outage_too(client, monkeypatch):
    async def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(services, "visible_vote", locked)
    assert (await client.get("/v/1")).status_code == 503
