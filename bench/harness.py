"""Shared set-up of the in-process benchmarks (bench_cast.py, bench_phone_pages.py).

They run the Yishi app and a bare Litestar app in this very process, through httpx's ASGI transport, and
measure CPU per request with time.process_time: a busy machine (other processes) then slows the wall clock
but not the figures. The database is SQLite in a temporary directory unless YISHI_DATABASE_URL names a
throw-away PostgreSQL database (its tables are emptied first).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # clients.Client: forms with CSRF, signing in
if not os.environ.get("YISHI_DATABASE_URL"):
    _folder = tempfile.mkdtemp(prefix="yishi-bench-")
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)  # a 100,000-flat database is about 100 MB
    os.environ["YISHI_DATABASE_URL"] = f"sqlite:///{_folder}/bench.sqlite3"
os.environ.setdefault("YISHI_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
os.environ.setdefault("PICCOLO_CONF", "community.piccolo_conf")
os.environ["YISHI_ENV"] = "development"
os.environ["YISHI_VOTE_CLOCK"] = "0"

logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would bury the figures

PASSWORD = "bench-password-2026"  # noqa: S105 - a throw-away database


def engine_name() -> str:
    return "PostgreSQL" if os.environ["YISHI_DATABASE_URL"].startswith("postgres") else "SQLite"


async def prepare() -> None:
    """Migrations applied, every table empty, cheap password hashing (sign-in is not what is measured)."""
    import contextlib
    import io

    from argon2 import PasswordHasher
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    from community import db, passwords

    passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with contextlib.redirect_stdout(io.StringIO()):
        await db.open_pool()
        await db.run_migrations()
    tables = reversed(sort_table_classes(Finder().get_table_classes()))
    if db.is_postgres():  # DELETE over a previous run's 100,000 rows and their foreign keys took minutes
        await db.engine().run_ddl(f"TRUNCATE {', '.join(t._meta.tablename for t in tables)} RESTART IDENTITY CASCADE")
        return
    for table in tables:
        await table.delete(force=True)


async def owners_world(owners: int) -> tuple[int, list[str]]:
    """Community "bench": `owners` flats, 60 to a stairwell unit, each with one verified owner who has an
    account. Returns (community id, the owners' phones)."""
    from community import accounts
    from community.tables import Community
    from votes.testing import RosterBuilder

    await accounts.create_account(display_name="管理员", password=PASSWORD, username="admin", is_site_admin=True)
    rows = await Community.insert(Community(slug="bench", name="基准社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    await accounts.grant_role(
        await accounts.create_account(display_name="主持人", password=PASSWORD, phone="13800000009"), community_id,
        "facilitator",
    )
    b = RosterBuilder(community_id)
    phones = []
    for n in range(owners):
        unit = await b.stairwell(str(1 + n // 600), str(1 + n // 60 % 10))
        flat = await b.flat(unit, f"{1 + n % 60 // 4}0{1 + n % 4}", 9000)
        phone = f"139{n:08d}"
        person = await b.person(f"业主{n}", account=await accounts.create_account(
            display_name=f"业主{n}", password=PASSWORD, phone=phone))  # fmt: skip
        await b.own(flat, person)
        phones.append(phone)
    return community_id, phones


async def open_vote(client: Any, community_id: int, agenda_item: int | None = None) -> int:
    """A community-wide owners' vote, opened by the facilitator (who then signs out)."""
    await client.signin("13800000009", PASSWORD)
    form = {"title": "加装电梯", "question": "是否同意加装电梯？", "kind": "owners", "matter": "7",
            "scope": "community", "channels": "online"}  # fmt: skip
    if agenda_item is not None:
        form["agenda_item"] = str(agenda_item)
    response = await client.post_form("/c/bench/votes", form)
    assert response.status_code == 303, response.text[:2000]
    vote_id = int(response.headers["location"].split("/v/")[1].split("/")[0].split("?")[0])
    published = await client.post_form(f"/v/{vote_id}/publish")
    assert published.status_code == 303, published.text[:2000]
    await client.post_form("/signout")
    return vote_id


async def first_voters(vote_id: int) -> dict[int, tuple[str, str]]:
    """{entity id: (its first unit, the voter a ballot for it names)}: the developer, or its first owner's id."""
    from votes.tables import VoteFlat

    flats = await VoteFlat.select(VoteFlat.entity, VoteFlat.unit, VoteFlat.owners, VoteFlat.developer_unsold).where(
        VoteFlat.vote == vote_id
    ).order_by(VoteFlat.position).output(load_json=True)
    first: dict[int, tuple[str, str]] = {}
    for f in flats:
        if f["entity"] not in first:
            first[f["entity"]] = (f["unit"], "developer" if f["developer_unsold"] else sorted(f["owners"])[0])
    return first


@dataclass
class Measure:
    name: str
    requests: int
    cpu: float  # seconds of this process's CPU
    wall: float
    queries: int

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.requests

    @property
    def queries_each(self) -> float:
        return self.queries / self.requests

    def line(self, bare: Measure | None = None) -> str:
        ratio = f"  ratio {bare.cpu / bare.requests / (self.cpu / self.requests):.2f}x bare" if bare else ""
        return (f"{self.name:28} {self.cpu_ms:7.2f} ms CPU/request  {self.queries_each:5.1f} queries/request  "
                f"{self.requests / self.wall:7.0f} req/s wall{ratio}")  # fmt: skip


async def measure(name: str, requests: int, one: Callable[[int], Awaitable[None]]) -> Measure:
    """Run `one(i)` for i in range(requests), counting CPU, wall time and SQL statements."""
    from community.querycount import counting

    profile = None
    if os.environ.get("YISHI_BENCH_PROFILE") and not name.strip().startswith("bare"):  # where the CPU goes, to stderr
        import cProfile

        profile = cProfile.Profile()
    with counting() as found:
        cpu, wall = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        for i in range(requests):
            await one(i)
        if profile:
            profile.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profile:
        import pstats

        if os.environ.get("YISHI_BENCH_PROFILE_FILE"):  # for pstats / snakeviz; "{name}" in it: a file per measure
            slug = "".join(c if c.isalnum() else "_" for c in name.strip())
            profile.dump_stats(os.environ["YISHI_BENCH_PROFILE_FILE"].replace("{name}", slug))
        pstats.Stats(profile, stream=sys.stderr).sort_stats(os.environ["YISHI_BENCH_PROFILE"]).print_stats(40)
    return Measure(name, requests, cpu, wall, found.count)


def client_for(app: Any) -> Any:
    import httpx
    from clients import Client

    return Client(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
