"""Test set-up: a fresh database (SQLite by default, PostgreSQL when YISHI_DATABASE_URL says so), cheap argon2."""

from __future__ import annotations

import asyncio
import html
import os
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

if not os.environ.get("YISHI_DATABASE_URL"):
    os.environ["YISHI_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='yishi-test-')}/test.sqlite3"
os.environ.setdefault("YISHI_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ["YISHI_ENV"] = "development"
os.environ["YISHI_VOTE_CLOCK"] = "0"  # tests tick votes.clock themselves, at the moment they choose

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from piccolo.table import sort_table_classes

from app.main import create_app
from community import db, passwords

# Cheap parameters: the suite creates many accounts. Real parameters are measured in bench/.
passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def all_tables() -> list[type]:
    from piccolo.conf.apps import Finder

    return sort_table_classes(Finder().get_table_classes())


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    from app.wiring import register_all

    register_all()  # subscribers and contributions, as in every Yishi process
    await db.open_pool()
    await db.run_migrations()
    yield
    await db.close_pool()


@pytest.fixture(autouse=True)
async def clean_tables(database: None) -> AsyncIterator[None]:
    yield
    for table in reversed(all_tables()):
        await table.delete(force=True)
    from community.accounts import forget_communities

    forget_communities()


class Client(httpx.AsyncClient):
    """The test client with the two things every test needs: forms with CSRF, and signing in."""

    async def csrf(self, path: str = "/") -> str:
        if "csrftoken" not in self.cookies:
            await self.get(path)
        return str(self.cookies["csrftoken"])

    async def post_form(self, path: str, data: dict[str, str] | None = None, **kwargs: object):
        token = await self.csrf()
        return await self.post(path, data={**(data or {}), "_csrf_token": token}, **kwargs)  # type: ignore[arg-type]

    async def signin(self, identifier: str, password: str = "correct-horse"):
        response = await self.post_form("/signin", {"identifier": identifier, "password": password, "next": "/account"})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    # Same event loop as the tests (httpx's ASGI transport, not Litestar's threaded portal),
    # so the PostgreSQL pool and the tests' own queries share one loop.
    from community.admin.services import forget_setup_state

    # An installation that has been set up (tests/http/test_admin_setup.py starts from a fresh one).
    forget_setup_state(done=True)
    app = create_app()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with running(app), Client(transport=transport, base_url="http://testserver.local") as c:
        yield c


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own: anyio wants it entered and left in one task."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
def make_account():
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
