"""While the database is away, every page says so plainly (503), and a resident casting a ballot is told
it was not recorded, instead of a 500 and a traceback."""

from __future__ import annotations

import sqlite3

import pytest
from asyncpg.exceptions import CannotConnectNowError
from piccolo.conf.apps import Finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from community import db, i18n
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
    assert "Your ballot was not recorded — please try again" in answer.text  # more in test_cast_outcome.py


async def test_sqlite_locked_for_too_long_is_an_outage_too(client, monkeypatch):
    async def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(services, "visible_vote", locked)
    assert (await client.get("/v/1")).status_code == 503


class Unreachable(PostgresEngine):
    async def check_version(self) -> None:  # built inside the running test: nothing to ask yet
        pass


def point_tables_nowhere(monkeypatch, tmp_path) -> None:
    """Every table's engine points where no database answers: a port nobody listens on, or a SQLite file in
    a directory that does not exist (what the app meets when PostgreSQL is down or the disk is gone)."""
    away: SQLiteEngine | PostgresEngine
    if isinstance(db.engine(), PostgresEngine):
        away = Unreachable(config={"dsn": "postgresql://postgres@127.0.0.1:9/yishi", "timeout": 5})
    else:
        away = SQLiteEngine(path=str(tmp_path / "gone" / "yishi.sqlite3"))
    for table in Finder().get_table_classes():
        monkeypatch.setattr(table._meta, "_db", away)


@pytest.fixture
def database_away(monkeypatch, tmp_path) -> None:
    point_tables_nowhere(monkeypatch, tmp_path)


async def test_readyz_fails_while_the_database_is_unreachable_and_healthz_does_not(client, monkeypatch, tmp_path):
    assert (await client.get("/readyz")).status_code == 200
    point_tables_nowhere(monkeypatch, tmp_path)
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"status": "database unavailable"}
    assert (await client.get("/healthz")).status_code == 200  # the process runs: do not restart it for this
    monkeypatch.undo()
    assert (await client.get("/readyz")).status_code == 200  # back once the database is


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_outage_page_is_translated(client, database_away, language, assert_translated):
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    for path in ("/", "/v/1", "/c/test"):
        page = await client.get(path)
        assert page.status_code == 503, path
        assert page.headers["retry-after"] == "30"
        expected = {"zh": "请一分钟后再试", "en": "Please try again in a minute"}[language]
        assert expected in page.text
        assert_translated(page.text, language)


async def test_a_form_whose_commit_was_cut_says_it_cannot_tell(client, monkeypatch):
    async def cut(*args, **kwargs):
        lost = ConnectionResetError(104, "Connection reset by peer")
        lost.add_note(db.COMMIT_FAILED)
        raise lost

    monkeypatch.setattr(services, "visible_vote", cut)
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en")
    page = await client.get("/v/1")
    assert page.status_code == 503 and "cannot tell whether it was stored" in page.text
    assert "Nothing you just sent was saved" not in page.text
