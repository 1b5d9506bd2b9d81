"""An agenda item with a long thread (5,000 comments): server time to render its first page, and throughput.

Usage: .venv/bin/python bench/bench_thread.py [--comments 5000] [--requests 300] [--seconds 10] [--connections 50]
Runs on SQLite in a temporary directory unless YISHI_DATABASE_URL names a (throw-away) database.
1. Server time: the whole request (session, access checks, queries, template) in-process through the ASGI app,
   sequentially; p50/p95/max in ms. Goal: p95 < 100 ms.
2. Throughput: `yishi serve` (uvicorn, one worker) under wrk (else a Python load generator) with a signed-in cookie.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - a throw-away database

logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would bury the figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_env(tmp: str) -> dict[str, str]:
    return {
        **os.environ,
        "YISHI_DATABASE_URL": os.environ.get("YISHI_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
        "YISHI_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "YISHI_UPLOAD_DIR": f"{tmp}/uploads",
        "PYTHONPATH": str(ROOT),
    }


async def build_world(comments: int, posters: int = 0) -> dict[str, Any]:
    """A community with one building, a verified owner, a facilitator, `posters` grid workers, a meeting in
    session with its first item current, and `comments` comments on that item (a fifth of them replies)."""
    import json
    from datetime import UTC, datetime, timedelta

    from community import accounts
    from community.tables import (
        Building,
        Community,
        Compound,
        Flat,
        Ownership,
        Person,
        StairwellUnit,
        Verification,
    )
    from deliberation.tables import AgendaItem, Comment, Meeting, Notice

    community = (await Community.insert(Community(slug="bench", name="基准社区")).returning(Community.id))[0]["id"]
    compound = (await Compound.insert(Compound(community=community, name="基准小区")).returning(Compound.id))[0]["id"]
    building = (await Building.insert(Building(compound=compound, name="1")).returning(Building.id))[0]["id"]
    unit = (await StairwellUnit.insert(StairwellUnit(building=building, name="1")).returning(StairwellUnit.id))[0]["id"]
    flats = [
        (await Flat.insert(Flat(stairwell_unit=unit, floor=f, room=f"{f}01", area=8800)).returning(Flat.id))[0]["id"]
        for f in range(1, 7)
    ]
    people: dict[str, int] = {}
    # A site administrator: without one every page leads to the first-run /setup (and signing in sets no session).
    people["admin"] = await accounts.create_account(display_name="管理员", password=BENCH_PASSWORD, username="admin",
                                                    is_site_admin=True)
    people["facilitator"] = await accounts.create_account(display_name="主持人", password=BENCH_PASSWORD, phone="13700000001")
    await accounts.grant_role(people["facilitator"], community, "facilitator")
    people["owner"] = await accounts.create_account(display_name="业主", password=BENCH_PASSWORD, phone="13700000002")
    person = (await Person.insert(Person(community=community, name="业主", identity_key="业主|bench",
                                         account=people["owner"])).returning(Person.id))[0]["id"]  # fmt: skip
    await Ownership.insert(Ownership(flat=flats[0], person=person))
    await Verification.insert(Verification(flat=flats[0], person=person, method="register"))
    for n in range(posters):
        people[f"poster{n}"] = await accounts.create_account(
            display_name=f"网格员{n}", password=BENCH_PASSWORD, phone=f"137000001{n:02d}"
        )
        await accounts.grant_role(people[f"poster{n}"], community, "grid_worker")
    meeting = (await Meeting.insert(Meeting(
        community=community, kind="bench", title="加装电梯协商会", scope_kind="building", scope_ids=json.dumps([building]),
        starts_at=datetime.now(UTC), facilitator=people["facilitator"], status="in_session",
        projector_key="bench-projector-key-0123456789")).returning(Meeting.id))[0]["id"]  # fmt: skip
    item = (await AgendaItem.insert(AgendaItem(meeting=meeting, position=1, title="加装电梯方案",
                                               description="**方案**：北侧加装。")).returning(AgendaItem.id))[0]["id"]  # fmt: skip
    await Meeting.update({Meeting.current_item: item}).where(Meeting.id == meeting)
    await Notice.insert(Notice(meeting=meeting, number=1, snapshot={"items": [{"title": "加装电梯方案"}]}))
    rng = random.Random(2026)
    positions = ["support", "oppose", "question", "suggestion"]
    start = datetime.now(UTC) - timedelta(days=3)
    top_level = comments - comments // 5
    batch: list[Any] = []
    for n in range(top_level):
        batch.append(Comment(meeting=meeting, item=item, author=people["owner"], position=rng.choice(positions),
                             body=f"第{n}条意见：" + "电梯费用和一楼采光的问题需要再讨论。" * rng.randint(1, 4),
                             created_at=start + timedelta(seconds=30 * n)))  # fmt: skip
        if len(batch) == 500:
            await Comment.insert(*batch)
            batch = []
    if batch:
        await Comment.insert(*batch)
    ids = [r["id"] for r in await Comment.select(Comment.id).where(Comment.item == item).order_by(Comment.id)]
    replies = [
        Comment(meeting=meeting, item=item, author=people["facilitator"], parent=rng.choice(ids), position="",
                body=f"回复{n}：谢谢，已记录。", created_at=start + timedelta(seconds=30 * top_level + n))  # fmt: skip
        for n in range(comments - top_level)
    ]
    for i in range(0, len(replies), 500):
        await Comment.insert(*replies[i : i + 500])
    return {"community": community, "meeting": meeting, "item": item, "people": people, "comments": comments}


async def signed_in_cookie(base_url: str, phone: str, transport: Any = None) -> dict[str, str]:
    """Sign in through the form (CSRF included); the cookies of the session."""
    import httpx

    async with httpx.AsyncClient(base_url=base_url, transport=transport, follow_redirects=False) as client:
        await client.get("/signin")
        token = client.cookies["csrftoken"]
        response = await client.post("/signin", data={"identifier": phone, "password": BENCH_PASSWORD, "next": "/",
                                                      "_csrf_token": token})  # fmt: skip
        assert response.status_code == 303 and "yishi_session" in client.cookies, (
            f"signing in as {phone} failed: {response.status_code} → {response.headers.get('location')}")
        return {"yishi_session": client.cookies["yishi_session"], "csrftoken": client.cookies["csrftoken"]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def server_time(world: dict[str, Any], requests: int) -> dict[str, float]:
    import httpx

    from app.main import create_app
    from community import db
    from deliberation import comments

    app = create_app()
    path = f"/m/{world['meeting']}/items/{world['item']}"
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        cookies = await signed_in_cookie("http://bench.local", "13700000002", transport)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local", cookies=cookies) as client:
            first = await client.get(path)
            newest = f"第{world['comments'] - world['comments'] // 5 - 1}条意见"  # the newest top-level comment
            assert first.status_code == 200 and newest in first.text, (first.status_code, newest)
            for _ in range(20):  # warm-up: templates compiled, connections open
                await client.get(path)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            query = []
            for _ in range(requests):
                started = time.perf_counter()
                await comments.thread_page(world["item"])
                query.append((time.perf_counter() - started) * 1000)
        await db.close_pool()
    return {
        "p50": statistics.median(timings), "p95": percentile(timings, 0.95), "max": max(timings),
        "query_p50": statistics.median(query), "bytes": len(first.content),
    }


def wrk(url: str, seconds: int, connections: int, cookie: str) -> tuple[float, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(out.split("Requests/sec:")[1].split()[0])
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"{url}: error responses\n{out}")
    latency = " ".join(line.strip() for line in out.splitlines() if line.strip().startswith(("50%", "99%")))
    return rate, latency


async def pyload(url: str, seconds: int, connections: int, cookie: str) -> tuple[float, str]:
    import httpx

    count = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(headers={"Cookie": cookie}, limits=httpx.Limits(max_connections=connections)) as c:

        async def worker() -> None:
            nonlocal count
            while time.monotonic() < deadline:
                (await c.get(url)).raise_for_status()
                count += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return count / seconds, ""


def start_server(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def prepare(env: dict[str, str], comments: int, posters: int = 0) -> dict[str, Any]:
    os.environ.update(env)
    from community import db
    await db.open_pool()
    await db.run_migrations()
    world = await build_world(comments, posters)
    if not env["YISHI_DATABASE_URL"].startswith("sqlite"):
        # Statistics as autovacuum keeps them in a live database (a bulk load leaves the planner guessing).
        await db.engine().run_ddl("VACUUM ANALYZE")
    await db.close_pool()
    return world


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="yishi-bench-")
    env = bench_env(tmp)
    os.environ.update(env)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # migration chatter
        world = asyncio.run(prepare(env, args.comments))
    server = None
    try:
        timing = asyncio.run(server_time(world, args.requests))
        backend = "PostgreSQL" if env["YISHI_DATABASE_URL"].startswith("postgres") else "SQLite"
        print(f"item with {args.comments} comments on {backend}; first page {timing['bytes']} bytes")
        print(f"server time, whole request (in-process ASGI, {args.requests} sequential): p50 {timing['p50']:.1f} ms, "
              f"p95 {timing['p95']:.1f} ms, max {timing['max']:.1f} ms (goal p95 < 100 ms)")
        print(f"  of which the thread queries (thread_page): p50 {timing['query_p50']:.1f} ms")
        port = free_port()
        server = start_server(env, port)
        cookies = asyncio.run(signed_in_cookie(f"http://127.0.0.1:{port}", "13700000002"))
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        url = f"http://127.0.0.1:{port}/m/{world['meeting']}/items/{world['item']}"
        use_wrk = shutil.which("wrk") is not None
        measure = wrk if use_wrk else (lambda *a: asyncio.run(pyload(*a)))
        measure(url, 2, args.connections, cookie)  # warm-up
        rate, latency = measure(url, args.seconds, args.connections, cookie)
        print(f"throughput ({'wrk' if use_wrk else 'python httpx'}, {args.connections} connections, {args.seconds} s, "
              f"one uvicorn worker): {rate:.0f} pages/s {latency}")
        return 0 if timing["p95"] < 100 else 1
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
