"""Test set-up: a fresh database (SQLite by default, PostgreSQL when YISHI_DATABASE_URL says so), cheap argon2.

What costs what, and so how the fixtures are cut:
- Pure tests (most of tests/unit) touch no database: they get no database fixture at all.
- Tests under tests/http get the `database` fixture automatically (tests/http/conftest.py); anywhere else a
  test that needs the database asks for it: `@pytest.mark.usefixtures("database")`, or through `client` or
  `make_account`, which depend on it.
- The migrations run once per session, and the Litestar app is built (and its lifespan entered) once per
  session: building it takes about a second (Litestar inspects every handler's signature) and a fresh app
  also recompiles every template. Each test gets its own httpx client, so its own cookies.
- After a test that had the database, the tables it filled are emptied in one transaction, ids start at 1
  again, and in-process state that mirrors the database is forgotten.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator

if not os.environ.get("YISHI_DATABASE_URL"):
    _sqlite_dir = tempfile.mkdtemp(prefix="yishi-test-")
    # The throw-away SQLite database goes when the run ends (a PostgreSQL one is dropped by scripts/test).
    atexit.register(shutil.rmtree, _sqlite_dir, ignore_errors=True)
    os.environ["YISHI_DATABASE_URL"] = f"sqlite:///{_sqlite_dir}/test.sqlite3"
os.environ.setdefault("YISHI_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ["YISHI_ENV"] = "development"
os.environ["YISHI_VOTE_CLOCK"] = "0"  # tests tick votes.clock themselves, at the moment they choose

import httpx
import pytest
from argon2 import PasswordHasher
from clients import Client, running
from hypothesis import HealthCheck, settings
from litestar import Litestar
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import sort_table_classes

from app.main import create_app
from community import db, passwords

# Cheap parameters: the suite creates many accounts. Real parameters are measured in bench/.
passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# Hypothesis: whether a property holds must not depend on how busy the machine is. No deadline, and none of
# the health checks that measure time or size (they fail when another process takes the CPU); the others
# (e.g. a fixture reused across examples) still apply. Loaded here, before any test module is imported, so
# a test's own @settings(...) inherits it and overrides only what it names.
settings.register_profile(
    "yishi",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("yishi")


def all_tables() -> list[type]:
    from piccolo.conf.apps import Finder

    return sort_table_classes(Finder().get_table_classes())


@pytest.fixture(scope="session")
async def migrated_database() -> AsyncIterator[None]:
    """Open the pool and apply the migrations, once, and only if some test needs the database."""
    from app.wiring import register_all

    register_all()  # subscribers and contributions, as in every Yishi process
    engine = db.engine()
    if isinstance(engine, PostgresEngine):
        await commit_without_waiting_for_the_disk(engine)
    await db.open_pool()
    await db.run_migrations()
    yield
    await db.close_pool()


async def commit_without_waiting_for_the_disk(engine: PostgresEngine) -> None:
    """A throw-away test database need not survive a power cut: with synchronous_commit off, a commit
    returns before its WAL reaches the disk, which on a busy shared disk roughly halves the time of the
    PostgreSQL pass. What other connections see, and when, is unchanged. Set on the database, so every
    connection made from now on (pool, channels listener) has it; skipped where the role may not."""
    import asyncpg

    connection = await engine.get_new_connection()
    try:
        name = await connection.fetchval("SELECT current_database()")
        await connection.execute(f"ALTER DATABASE {_quoted(name)} SET synchronous_commit = off")
    except asyncpg.InsufficientPrivilegeError:
        pass
    finally:
        await connection.close()


@pytest.fixture
async def database(migrated_database: None) -> AsyncIterator[None]:
    """The database, left empty for the next test."""
    yield
    await reset_database()


async def reset_database() -> None:
    from community import accounts, live, objects
    from community.roster import uploads

    # A roster apply the test started runs in the background: let it finish, or it would write into the
    # next test's tables (or fail on the ones being emptied).
    await asyncio.gather(*uploads.running(), return_exceptions=True)
    from votes import live as votes_live

    await votes_live.settle()  # live updates a ballot asked for: their vote is about to go
    await empty_tables()
    # In-process caches of rows that are now gone; ids start again at 1, so a cache keyed by id would
    # otherwise hand the next test a previous test's row.
    accounts.forget_communities()
    objects.forget_all()
    from votes.projects import public as project_public

    project_public.forget_frozen_shares()
    live._fetched.clear()



async def empty_tables() -> None:
    """Empty the tables the test filled, in one transaction, and make ids start at 1 again."""
    engine = db.engine()
    tables = list(reversed(all_tables()))  # children before parents: no row outlives what it refers to
    names = [table._meta.tablename for table in tables]
    # One query names the tables that have rows: a test fills a handful of the ~50, some fill none.
    probe = " UNION ALL ".join(f"SELECT '{n}' AS name WHERE EXISTS (SELECT 1 FROM {_quoted(n)})" for n in names)
    if isinstance(engine, PostgresEngine):
        async with engine.pool.acquire() as connection:
            filled = {row["name"] for row in await connection.fetch(probe)}
            if not filled:
                return
            # DELETE, not TRUNCATE: TRUNCATE gives each table new files and syncs them to disk, about 0.3 s
            # per test here, where deleting a few small tables takes a couple of milliseconds. setval does what
            # TRUNCATE's RESTART IDENTITY would (every table's ids from 1 again, as on SQLite). All in one
            # round trip and one transaction; the lock timeout turns a transaction a test left open into an
            # error here instead of a hang.
            sequences = ", ".join(
                f"setval(pg_get_serial_sequence('{_quoted(t._meta.tablename)}', "
                f"'{t._meta.primary_key._meta.db_column_name}'), 1, false)"
                for t in tables
            )
            await connection.execute(
                "BEGIN; SET LOCAL lock_timeout = '30s'; "
                + "".join(f"DELETE FROM {_quoted(n)}; " for n in names if n in filled)
                + f"SELECT {sequences}; COMMIT;"
            )
        return
    # SQLite: ids restart by themselves on an emptied table (INTEGER PRIMARY KEY takes the largest id + 1);
    # a table declared AUTOINCREMENT would keep counting in sqlite_sequence, so that is emptied too.
    probe += " UNION ALL SELECT 'sqlite_sequence' AS name WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')"
    filled = {row["name"] for row in await engine.run_ddl(probe)}
    if not filled - {"sqlite_sequence"}:
        return
    async with db.write_transaction():
        for name in [*names, "sqlite_sequence"]:
            if name in filled:
                await engine.run_ddl(f"DELETE FROM {_quoted(name)}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture(scope="session")
async def app(migrated_database: None) -> AsyncIterator[Litestar]:
    """The app, built and started once: its per-request state lives in the database (sessions, sign-in
    and join-code attempts), which `database` empties after every test."""
    application = create_app()
    async with running(application):
        yield application


@pytest.fixture
async def client(app: Litestar, database: None) -> AsyncIterator[Client]:
    # Same event loop as the tests (httpx's ASGI transport, not Litestar's threaded portal),
    # so the PostgreSQL pool and the tests' own queries share one loop. A new client per test: no cookie
    # (session, CSRF token, language) carries over from one test to the next.
    from community.admin.services import forget_setup_state

    # An installation that has been set up (tests/http/test_admin_setup.py starts from a fresh one).
    forget_setup_state(done=True)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with Client(transport=transport, base_url="http://testserver.local") as c:
        yield c




@pytest.fixture
def make_account(database: None):
    """Create an account: await make_account(phone="13800000009", password=..., name=...)."""
    from community import accounts
    async def make(
        phone: str | None = None,
        username: str | None = None,
        password: str = "correct-horse",
        name: str = "测试用户",
        is_site_admin: bool = False,
    ) -> int:
        return await accounts.create_account(
            display_name=name, password=password, phone=phone, username=username, is_site_admin=is_site_admin
        )

    return make


CJK = re.compile(r"[\u4e00-\u9fff]")
# Two English words in a row in visible text means an untranslated sentence on a Chinese page.
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")


def visible_text(page: str) -> list[str]:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    texts = re.sub(r"<[^>]+>", "\n", page).split("\n")
    attributes = re.findall(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    return [html.unescape(t).strip() for t in texts + attributes if t.strip()]


@pytest.fixture
def assert_translated():
    """assert_translated(html, language, data=...): no English sentence on a Chinese page, no Chinese on an
    English one (apart from `data`: names and other content that is not interface text)."""
    from community import i18n
    def check(page: str, language: str, data: set[str] | frozenset[str] = frozenset()) -> None:
        allowed_zh = {"English", "Yishi"} | set(data)
        allowed_en = {"中文", "议"} | set(data)
        for text in visible_text(page):
            if language == "zh":
                stripped = text
                for allowed in sorted(allowed_zh, key=len, reverse=True):
                    stripped = stripped.replace(allowed, "")
                assert not ENGLISH_WORDS.search(stripped), f"untranslated text on a Chinese page: {text!r}"
            else:
                stripped = text
                for allowed in sorted(allowed_en, key=len, reverse=True):
                    stripped = stripped.replace(allowed, "")
                assert not CJK.search(stripped), f"Chinese text on an English page: {text!r}"
        assert i18n.missing_messages("zh") == set(), "messages missing from the Chinese catalog"

    return check
