"""Residents' concerns at scale: a community with 10,000 concerns in one month, in a street of 20 communities.
The figures page (signed in as the facilitator), the street page, the community's CSV and the street's CSV,
each against a bare Litestar response of the same size and type, in the same server and the same run.

Usage: .venv/bin/python bench/bench_concerns.py [--concerns 10000] [--communities 20] [--others 200]
                                                [--seconds 8] [--connections 4]
Runs on SQLite in a temporary directory unless YISHI_DATABASE_URL names a (throw-away) database. Uses wrk
(Debian package) when installed, else a Python load generator. Prints requests/s, the median time of one
request, and the ratio of each page to its bare response (higher is better; 1.0 would be free).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-2026"  # noqa: S105 - a throw-away database
KINDS = ("repair", "environment", "safety", "parking", "neighbour_dispute", "proposal", "elderly", "other")
CHANNELS = ("app", "phone", "visit", "box", "meeting", "other")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def concern_rows(community: int, places: list[tuple[int, int, int]], count: int, start: datetime, days: int,
                 rng: random.Random) -> list[Any]:  # fmt: skip
    """`count` concerns opened over `days` from `start`, in every state, with consistent times."""
    from deliberation.concerns.tables import Concern

    rows = []
    for _n in range(count):
        compound, building, unit = rng.choice(places)
        common = rng.random() < 0.15
        opened = start + timedelta(seconds=rng.uniform(0, days * 86400))
        fate = rng.random()
        first = opened + timedelta(hours=rng.uniform(0.5, 40)) if fate < 0.95 else None
        due = opened + timedelta(days=rng.choice((2, 3, 5, 7)))
        answered = first + timedelta(hours=rng.uniform(2, 120)) if first and fate < 0.85 else None
        reopened = 1 if answered and rng.random() < 0.1 else 0
        rating = "" if not answered or fate > 0.7 else rng.choice(("satisfied", "satisfied", "basically_satisfied", "not_satisfied"))
        status = ("received" if first is None else "assigned" if answered is None and fate > 0.9 else
                  "in_progress" if answered is None else "answered" if not rating else
                  "reopened" if rating == "not_satisfied" else "closed")  # fmt: skip
        rows.append(Concern(
            community=community, kind=rng.choice(KINDS), channel=rng.choice(CHANNELS), compound=compound,
            building=None if common else building, stairwell_unit=None if common else unit, text="基准诉求",
            status=status, handler_kind="" if first is None else rng.choice(("staff", "property", "utility")),
            due_at=due if first else None, opened_at=opened, first_response_at=first, last_progress_at=first,
            first_answer_at=answered, answered_at=answered, answers=1 if answered else 0,
            closed_at=answered + timedelta(hours=30) if status == "closed" and answered else None,
            reopen_count=reopened + (1 if rating == "not_satisfied" else 0), rating=rating,
        ))  # fmt: skip
    return rows


async def build(concerns: int, communities: int, others: int) -> dict[str, Any]:
    from community import accounts, db
    from community.tables import Building, Community, Compound, StairwellUnit, Street
    from deliberation.concerns import figures
    from deliberation.concerns.tables import Concern

    await db.open_pool()
    await db.run_migrations()
    rng = random.Random(2026)
    now = datetime.now(UTC)
    year, month = figures.previous_month(now.year, now.month)
    start = datetime(year, month, 1, tzinfo=UTC)
    days = 28
    async with db.write_transaction():
        street = (await Street.insert(Street(slug="bench", name="基准街道")).returning(Street.id))[0]["id"]
    first = None
    for n in range(communities):
        async with db.write_transaction():
            community = (await Community.insert(Community(slug=f"c{n + 1:02d}", name=f"基准社区{n + 1}", street="基准街道",
                                                          street_ref=street)).returning(Community.id))[0]["id"]  # fmt: skip
            places = []
            for c in range(3):
                compound = (await Compound.insert(Compound(community=community, name=f"小区{c + 1}")).returning(Compound.id))[0]["id"]
                for b in range(10):
                    building = (await Building.insert(Building(compound=compound, name=str(b + 1))).returning(Building.id))[0]["id"]
                    for u in range(2):
                        unit = (await StairwellUnit.insert(StairwellUnit(building=building, name=str(u + 1))).returning(StairwellUnit.id))[0]["id"]
                        places.append((compound, building, unit))
        rows = concern_rows(community, places, concerns if n == 0 else others, start, days, rng)
        for i in range(0, len(rows), 500):
            async with db.write_transaction():
                await Concern.insert(*rows[i : i + 500])
        first = first or community
    # An administrator, so that the installation counts as set up (else every page leads to /setup).
    await accounts.create_account(display_name="管理员", password=PASSWORD, username="admin", is_site_admin=True)
    facilitator = await accounts.create_account(display_name="主持人", password=PASSWORD, phone="13700000001")
    await accounts.grant_role(facilitator, first, "facilitator")
    await db.close_pool()
    return {"month": f"{year:04d}-{month:02d}"}


def wrk(url: str, seconds: int, connections: int, cookie: str) -> float:
    import re

    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url}: error responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def pyload(url: str, seconds: int, connections: int, cookie: str) -> float:
    import httpx

    count = 0
    deadline = time.monotonic() + seconds
    headers = {"Cookie": cookie} if cookie else {}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections), timeout=60) as client:

        async def worker() -> None:
            nonlocal count
            while time.monotonic() < deadline:
                response = await client.get(url, headers=headers)
                response.raise_for_status()
                count += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return count / seconds


def one_request_ms(url: str, cookie: str, times: int = 5) -> float:
    """The median time of one request on an idle server."""
    samples = []
    for _n in range(times):
        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            response.read()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def signin(base: str) -> str:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/signin")
        token = client.cookies["csrftoken"]
        response = client.post("/signin", data={"identifier": "13700000001", "password": PASSWORD, "next": "/account",
                                                "_csrf_token": token})  # fmt: skip
        assert response.status_code == 303, response.text
        return f"yishi_session={client.cookies['yishi_session']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concerns", type=int, default=10_000)
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--others", type=int, default=200, help="concerns in each of the other communities")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="yishi-bench-concerns-")
    os.environ.setdefault("YISHI_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("YISHI_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
    os.environ["YISHI_VOTE_CLOCK"] = "0"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.monotonic()
    built = asyncio.run(build(args.concerns, args.communities, args.others))
    print(f"built {args.concerns} concerns in c01 and {args.others} in each of {args.communities - 1} other communities "
          f"of one street in {time.monotonic() - began:.1f} s; month {built['month']}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.concerns_app:create", "--factory", "--port", str(port),
         "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        for _n in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        cookie = signin(base)
        pages = {
            "figures page": (f"/c/c01/concerns/figures?month={built['month']}", cookie, "html"),
            "street page": (f"/s/bench?month={built['month']}", "", "html"),
            "community CSV": ("/c/c01/open-data/concerns.csv", "", "csv"),
            "street CSV": ("/s/bench/open-data/concerns.csv", "", "csv"),
        }
        use_wrk = shutil.which("wrk") is not None
        measure = (lambda u, c: wrk(u, args.seconds, args.connections, c)) if use_wrk else (
            lambda u, c: asyncio.run(pyload(u, args.seconds, args.connections, c)))  # fmt: skip
        print(f"load: {'wrk' if use_wrk else 'python httpx'}, {args.connections} connections, {args.seconds} s each")
        print(f"{'':16} {'bytes':>9} {'req/s':>8} {'1 req ms':>9} {'bare req/s':>11} {'bare ms':>8} {'ratio':>6}")
        for name, (path, page_cookie, kind) in pages.items():
            request = urllib.request.Request(base + path, headers={"Cookie": page_cookie} if page_cookie else {})  # noqa: S310
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                size = len(response.read())
            bare = f"{base}/_bench/bare.{kind}?size={size}"
            one = one_request_ms(base + path, page_cookie)
            bare_one = one_request_ms(bare, "")
            rate = measure(base + path, page_cookie)
            bare_rate = measure(bare, "")
            print(f"{name:16} {size:9d} {rate:8.1f} {one:9.1f} {bare_rate:11.1f} {bare_one:8.1f} {rate / bare_rate:6.3f}")
        return 0
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
