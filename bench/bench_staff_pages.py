"""The staff pages over a 100,000-flat community: server time, bytes and SQL statements per page.

Run: .venv/bin/python bench/bench_staff_pages.py [--flats N] [--requests N]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables are
emptied). Builds the roster as bench_votes_close.py does, opens a community-wide owners' vote over it (online and
paper) with ballots from a third of the entities, and fetches, signed in as its facilitator, every staff page that
lists flats, entities or ballots: the vote's manage page, participation, the paper desk, canvassing, the vote's
reminder slips, sending reminders and its deliveries (the manage page of a vote with the silent-majority clause, a
delivery recorded), and every GET page of the register (`roster_pages`: overview, a building, a flat, search, not
joined, join slips to choose and to print for a building and for a scope, the import page, a slip's join page, "my
flats"). Then the vote's pages again signed in as a grid worker of four buildings (about 1% of the flats), and the
register's pages as a grid worker of every 35th building (about 3%, `roster_world`). Server time is measured in-process (CPU of this process and
wall clock, median of `requests` fetches after one warm-up); the bare baseline renders a Jinja page of 200 KB in a
bare Litestar app, in the same run. Exit 1 when a page takes 300 ms or more of CPU or is 200 KB or larger (the issue's
goal; on PostgreSQL the database server's own time is not in the figure, the wall clock is printed beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402 - sets the environment before Yishi is imported

LIMIT_MS = 300.0
LIMIT_BYTES = 200_000


async def bare_ms(requests: int) -> float:
    from jinja2 import Environment
    from litestar import Litestar, MediaType, get

    template = Environment(autoescape=True).from_string(
        "<!DOCTYPE html><html><body>{% for i in rows %}<tr><td>{{ i }}</td><td>房屋</td></tr>{% endfor %}</body></html>"
    )

    @get("/_bench/bare", media_type=MediaType.HTML)
    async def bare() -> str:
        return template.render(rows=range(LIMIT_BYTES // 30))

    async with harness.client_for(Litestar(route_handlers=[bare])) as client:
        await client.get("/_bench/bare")
        cpus = []
        for _ in range(requests):
            cpu = time.process_time()
            await client.get("/_bench/bare")
            cpus.append(time.process_time() - cpu)
    return 1000 * statistics.median(cpus)


async def _measure(client: Any, pages: list[tuple[str, str]], requests: int, bare: float) -> list[str]:
    """Fetch each page (a POST: `POST <url>`, sent after its setup) and print its line; the names that missed."""
    from community.querycount import counting

    missed = []
    for name, url in pages:
        walls, cpus = [], []
        response = await _fetch(client, url)  # warm-up (templates compiled, caches filled)
        with counting() as found:
            for _ in range(requests):
                await _before(url)
                wall, cpu = time.perf_counter(), time.process_time()
                response = await _fetch(client, url)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
        wall_ms, cpu_ms = 1000 * statistics.median(walls), 1000 * statistics.median(cpus)
        size = len(response.content)
        expected = 303 if url.startswith("POST ") else 200
        if response.status_code != expected:
            print(f"  {name}: HTTP {response.status_code} -> {response.headers.get('location')}")
        # Server time is this process's CPU (the app and, on SQLite, the database): on a shared 2-core machine
        # the wall clock mostly measures the other processes; it is printed beside it.
        ok = response.status_code == expected and cpu_ms < LIMIT_MS and size < LIMIT_BYTES
        print(f"  {name:26} {wall_ms:8.1f} ms wall {cpu_ms:8.1f} ms CPU {size / 1000:8.1f} KB "
              f"{found.count / requests:6.1f} queries  ratio {bare / max(cpu_ms, 0.001):5.2f}x bare  "
              f"HTTP {response.status_code}  {'ok' if ok else 'MISSED'}"
              + ("  (wall over the limit: PostgreSQL's own time)" if ok and harness.engine_name() == "PostgreSQL"
                 and wall_ms >= LIMIT_MS else ""))  # fmt: skip
        if not ok:
            missed.append(name)
    return missed


# --- the vote's pages not measured before, and the grid worker's pass (the roster's pages stay above) ---------

SILENT = "silent=1"  # the vote's settings with the silent-majority clause while this page is fetched


def _vote_pages_not_in_main(vote_id: int) -> list[tuple[str, str]]:
    return [
        ("send reminders", f"POST /v/{vote_id}/reminders"),
        ("reminder slips", f"/v/{vote_id}/reminders/slips"),
        ("deliveries (manage)", f"/v/{vote_id}/manage?{SILENT}"),
        ("record a delivery", f"POST /v/{vote_id}/deliveries?{SILENT}"),
    ]


async def _silent(vote_id: int, on: bool) -> None:
    from votes.tables import Vote

    row = await Vote.select(Vote.settings).where(Vote.id == vote_id).first().output(load_json=True)
    assert row is not None
    await Vote.update({Vote.settings: {**row["settings"], "silent_majority": on}}).where(Vote.id == vote_id)


async def _before(url: str) -> None:
    """Setup not measured: sending reminders again finds every flat reminded today, so today's are forgotten;
    a delivery recorded is forgotten so the same flat can be served again."""
    from votes.tables import Delivery, Notice, Reminder

    if not url.startswith("POST "):
        return
    vote_id = int(url.split("/v/")[1].split("/")[0])
    if url.endswith("/reminders"):
        await Reminder.delete().where(Reminder.vote == vote_id)
        await Notice.delete().where(Notice.vote == vote_id)
    if "/deliveries" in url:
        await Delivery.delete().where(Delivery.vote == vote_id)


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def _fetch(client: Any, url: str) -> Any:
    from community.config import get_config
    from votes.tables import VoteFlat

    silent = SILENT in url
    vote_id = int(url.split("/v/")[1].split("/")[0]) if "/v/" in url else 0
    if silent:
        await _silent(vote_id, True)
    try:
        if not url.startswith("POST "):
            return await client.get(url)
        path = url.removeprefix("POST ").split("?")[0]
        await _before(url)
        if path.endswith("/reminders"):
            return await client.post_form(path, {"template": "friendly"})
        last = await VoteFlat.select(VoteFlat.unit).where(VoteFlat.vote == vote_id).order_by(
            VoteFlat.position, ascending=False).first()  # in the grid worker's last building  # fmt: skip
        assert last is not None
        token = await client.csrf()
        now = datetime.now(ZoneInfo(get_config().timezone)).strftime("%Y-%m-%dT%H:%M")
        return await client.post(path, data={"unit": last["unit"], "method": "posted", "delivered_by": "网格员",
                                             "delivered_at": now, "signed_by": "", "_csrf_token": token},
                                 files={"photo": ("p.jpg", _jpeg(), "image/jpeg")})  # fmt: skip
    finally:
        if silent:
            await _silent(vote_id, False)


VOTE_GRID_WORKER = "13800000010"


async def _scope_buildings(community_id: int) -> list[int]:
    """Four buildings spread over the compound (first, a third, two thirds, last)."""
    from community.tables import Building

    ids = [int(r["id"]) for r in await Building.select(Building.id).order_by(Building.id)]
    return sorted({ids[0], ids[len(ids) // 3], ids[2 * len(ids) // 3], ids[-1]})


async def _scope_flats(vote_id: int, community_id: int) -> int:
    from votes.bulk import fetch_tuples

    buildings = await _scope_buildings(community_id)
    sql = ("SELECT COUNT(*) FROM vote_flat f JOIN flat fl ON fl.id = f.flat_id JOIN stairwell_unit s ON s.id = fl.stairwell_unit"
           f" WHERE f.vote = {{}} AND s.building IN ({', '.join(['{}'] * len(buildings))})")  # fmt: skip
    return int((await fetch_tuples(sql, vote_id, *buildings))[0][0])


async def _grid_worker(community_id: int) -> str:
    """A grid worker (网格员) whose scope is `_scope_buildings`; returns the phone to sign in with."""
    from community import accounts, db
    from community.admin.core import RoleScope
    from community.admin.store import insert_membership

    account = await accounts.create_account(display_name="网格员", password=harness.PASSWORD, phone=VOTE_GRID_WORKER)
    async with db.write_transaction():
        await insert_membership(account, community_id, "grid_worker",
                                RoleScope("building", frozenset(await _scope_buildings(community_id))))  # fmt: skip
    return VOTE_GRID_WORKER


# --------------------------------------------------------------------------- the register's pages

GRID_WORKER = "13800000008"
SCOPE_EVERY = 35  # the grid worker's buildings: every 35th (12 of the 417 buildings of 100,000 flats, about 3%)


@dataclass
class RosterWorld:
    """What the register's pages are fetched with: a building and a flat in the grid worker's scope, its
    buildings, and the join-slip batches made for them (filled in by `make_slip_batches`)."""

    building: int
    flat: int
    scope: list[int]
    scope_flats: int
    batches: dict[str, str] = field(default_factory=dict)


async def roster_world(community_id: int) -> RosterWorld:
    """A grid worker (网格员) limited to every SCOPE_EVERY-th building; the building shown is the second of them."""
    from community import accounts
    from community.tables import Building, Flat
    from votes.testing import scope_staff

    buildings = [int(r["id"]) for r in await Building.select(Building.id).order_by(Building.id)]
    scope = buildings[SCOPE_EVERY // 2 :: SCOPE_EVERY] or buildings[:1]
    account = await accounts.create_account(display_name="网格员", password=harness.PASSWORD, phone=GRID_WORKER)
    await accounts.grant_role(account, community_id, "grid_worker")
    await scope_staff(account, community_id, "grid_worker", tuple(scope))
    flat = await Flat.select(Flat.id, Flat.stairwell_unit.building).where(Flat.stairwell_unit.building == scope[-1 if len(scope) < 2 else 1]).order_by(Flat.id).first()
    flats = await Flat.count().where(Flat.stairwell_unit.building.is_in(scope) & Flat.active.eq(True))
    return RosterWorld(int(flat["stairwell_unit.building"]), int(flat["id"]), scope, int(flats))


async def make_slip_batches(client: Any, world: RosterWorld) -> None:
    """Join slips as staff make them (the form, signed in as the facilitator): one batch for the building shown,
    one for the grid worker's whole scope; then a code of the first for its join page."""
    from community.tables import JoinCode

    for name, buildings in (("building", [world.building]), ("scope", world.scope)):
        form = {"building": [str(b) for b in buildings], "mode": "person", "days": "30"}
        response = await client.post_form("/c/bench/roster/slips", form)
        assert response.status_code == 303, response.text[:2000]
        world.batches[name] = response.headers["location"].rsplit("/", 1)[1]
    code = await JoinCode.select(JoinCode.code).where(JoinCode.batch == world.batches["building"]).first()
    world.batches["code"] = str(code["code"])


def roster_pages(world: RosterWorld, limited: bool) -> list[tuple[str, str]]:
    """Every GET page of the register a staff member opens (community/roster/*controllers.py, *_pages.py); the
    import page only for the facilitator (a grid worker may not import). Not here: the template and export
    downloads (files whose format is fixed) and an upload's preview (it needs an upload)."""
    base = "/c/bench/roster"
    who = "limited " if limited else ""
    pages = [
        (f"{who}roster overview", base),
        (f"{who}roster overview page 2", f"{base}?page=2"),
        (f"{who}roster building", f"{base}/buildings/{world.building}"),
        (f"{who}roster flat", f"{base}/flats/{world.flat}"),
        (f"{who}roster search", f"{base}/search?q=101"),
        (f"{who}roster search name", f"{base}/search?q=业主1"),
        (f"{who}roster not joined", f"{base}/not-joined"),
        (f"{who}not joined building", f"{base}/not-joined?building={world.building}"),
        (f"{who}slips form", f"{base}/slips?building={world.building}"),
        (f"{who}slips of a building", f"{base}/slips/{world.batches['building']}"),
        (f"{who}slips of the scope", f"{base}/slips/{world.batches['scope']}"),
        (f"{who}join page of a slip", f"/join/{world.batches['code']}"),
        (f"{who}my flats", "/account/flats"),
    ]
    return pages if limited else [*pages, ("roster import", f"{base}/import")]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flats", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--only", default="", help="fetch only the pages whose name contains this")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    await harness.prepare()
    from clients import running

    from app.main import create_app
    from community import accounts, db
    from community.tables import Community
    from votes import opening, services
    from votes.bulk import insert_many
    from votes.tables import Ballot, Vote
    from votes.testing import bulk_electorate

    rows = await Community.insert(Community(slug="bench", name="基准社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    await accounts.create_account(display_name="管理员", password=harness.PASSWORD, username="admin", is_site_admin=True)
    await accounts.grant_role(
        await accounts.create_account(display_name="主持人", password=harness.PASSWORD, phone="13800000009"),
        community_id, "facilitator",
    )  # fmt: skip
    start = time.perf_counter()
    await bulk_electorate(community_id, args.flats)
    rows = await Vote.insert(
        Vote(community=community_id, title="基准表决", question="?", kind="owners", matter=7, scope_kind="community",
             channels=["online", "paper"], status="draft")  # fmt: skip
    ).returning(Vote.id)
    vote_id = int(rows[0]["id"])
    await opening.open_vote_as(await services.get_vote(vote_id), actor=None)
    first = await harness.first_voters(vote_id)
    async with db.write_transaction():
        await insert_many(
            Ballot, ("vote", "entity", "unit", "voter", "choice", "channel", "version", "nonce_hash"),
            [(vote_id, e, *first[e], "agree", "online" if i % 4 else "paper", 1, "")
             for i, e in enumerate(sorted(first)[::3])],
        )  # fmt: skip
    print(f"{harness.engine_name()}: {args.flats:,} flats, {len(first):,} entities, a third voted; built in "
          f"{time.perf_counter() - start:.1f} s; {args.requests} requests per page after a warm-up; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    world = await roster_world(community_id)
    pages = [
        ("manage", f"/v/{vote_id}/manage"),
        ("participation", f"/v/{vote_id}/participation"),
        ("participation page 2", f"/v/{vote_id}/participation?page=2"),
        ("paper desk", f"/v/{vote_id}/paper"),
        ("paper desk search", f"/v/{vote_id}/paper?q=101"),
        ("paper ballots to print", f"/v/{vote_id}/paper/print"),
        ("canvass", f"/v/{vote_id}/canvass"),
        ("proxies", f"/v/{vote_id}/proxies"),
    ]
    bare = await bare_ms(20)
    print(f"  {'bare Jinja page of 200 KB':26} {bare:8.1f} ms CPU")
    missed = []
    grid_worker = await _grid_worker(community_id)
    app = create_app()
    async with running(app), harness.client_for(app) as client:
        await client.signin("13800000009", harness.PASSWORD)
        await make_slip_batches(client, world)
        print("  signed in as the facilitator")
        chosen = [(name, url) for name, url in [*pages, *_vote_pages_not_in_main(vote_id),
                                                *roster_pages(world, limited=False)] if args.only in name]  # fmt: skip
        missed += await _measure(client, chosen, args.requests, bare)
    async with running(app), harness.client_for(app) as client:
        await client.signin(grid_worker, harness.PASSWORD)
        print(f"  signed in as a grid worker of {len(await _scope_buildings(community_id))} buildings "
              f"({await _scope_flats(vote_id, community_id):,} flats); load average {os.getloadavg()[0]:.2f}")  # fmt: skip
        chosen = [(name, url) for name, url in [*pages[:7], *_vote_pages_not_in_main(vote_id)] if args.only in name]
        missed += [f"{name} (grid worker)" for name in await _measure(client, chosen, args.requests, bare)]
    async with running(app), harness.client_for(app) as client:
        await client.signin(GRID_WORKER, harness.PASSWORD)
        print(f"  signed in as a grid worker limited to {len(world.scope)} buildings "
              f"({world.scope_flats:,} flats, {100 * world.scope_flats / args.flats:.1f}%)")  # fmt: skip
        chosen = [(name, url) for name, url in roster_pages(world, limited=True) if args.only in name]
        missed += await _measure(client, chosen, args.requests, bare)
    await db.close_pool()
    print(f"goal: every page < {LIMIT_MS:.0f} ms and < {LIMIT_BYTES // 1000} KB: "
          + ("reached" if not missed else f"not reached by {', '.join(missed)}"))  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
