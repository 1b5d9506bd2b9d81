"""Casting a ballot online (the confirm POST on /v/{id}/cast) against a bare Litestar handler doing one pooled
INSERT, in the same process and the same run.

Usage: .venv/bin/python bench/bench_cast.py [--owners 200]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables are
emptied). Each owner signs in and chooses (not measured), then every owner confirms in turn (measured: CPU of this
process per request, SQL statements per request, and the live participation updates the casts caused, which run
after a short delay outside the requests). Prints the ratio of the bare handler's CPU per request to the cast's
(the issue's goal: 0.5 or more) and exits 1 if a ballot went missing or was counted twice, or the goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402 - sets the environment before Yishi is imported

GOAL = 0.5  # the issue's: a cast costs at most twice a bare pooled INSERT


async def bare_baseline(requests: int) -> harness.Measure:
    from litestar import Litestar, post

    from community.db import engine
    from community.tables import AuditLog

    @post("/_bench/insert", status_code=200)
    async def insert() -> str:
        await AuditLog.raw("INSERT INTO bench_bare (note) VALUES ({})", "ballot")
        return "ok"

    db = engine()
    serial = "SERIAL" if harness.engine_name() == "PostgreSQL" else "INTEGER"
    await db.run_ddl("DROP TABLE IF EXISTS bench_bare")
    await db.run_ddl(f"CREATE TABLE bench_bare (id {serial} PRIMARY KEY, note TEXT)")
    app = Litestar(route_handlers=[insert])
    async with harness.client_for(app) as client:
        await client.post("/_bench/insert")

        async def one(_i: int) -> None:
            response = await client.post("/_bench/insert")
            assert response.status_code == 200, response.text[:300]

        return await harness.measure("bare pooled INSERT", requests, one)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--owners", type=int, default=200)
    parser.add_argument("--htmx", action="store_true", help="confirm as a phone with JavaScript does (HX-Request: "
                        "the answer is the ballot's fragment, not the whole page)")
    args = parser.parse_args()
    await harness.prepare()

    from clients import running

    from app.main import create_app
    from community import db
    from votes import live
    from votes.tables import Ballot, Receipt, VoteFlat

    community_id, phones = await harness.owners_world(args.owners)
    app = create_app()
    clients = []
    async with running(app):
        async with harness.client_for(app) as staff:
            vote_id = await harness.open_vote(staff, community_id)
        keys = {r["unit"]: r["entity.key"] for r in await VoteFlat.select(VoteFlat.unit, VoteFlat.entity.key).where(
            VoteFlat.vote == vote_id)}  # fmt: skip
        forms = []
        for phone in phones:  # sign in and choose: not measured
            client = harness.client_for(app)
            await client.signin(phone, harness.PASSWORD)
            page = (await client.get(f"/v/{vote_id}")).text
            key = next(k for k in keys.values() if f'value="{k}"' in page)
            step1 = await client.post_form(f"/v/{vote_id}/choose", {"entity": key, "choice": "agree"})
            nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)  # type: ignore[union-attr]
            version = re.search(r'name="version" value="([^"]+)"', step1.text).group(1)  # type: ignore[union-attr]
            forms.append({"entity": key, "choice": "agree", "nonce": nonce, "version": version,
                          "_csrf_token": await client.csrf()})  # fmt: skip
            clients.append(client)

        async def cast(i: int) -> None:
            headers = {"HX-Request": "true", "HX-Target": "cast"} if args.htmx else {}
            response = await clients[i].post(f"/v/{vote_id}/cast", data=forms[i], headers=headers)
            assert response.status_code == 200 and "receipt" in response.text.lower(), response.text[:500]
            if i == len(clients) - 1:  # the coalesced live updates the casts asked for belong to their cost
                await asyncio.sleep(2 * getattr(live, "COALESCE_SECONDS", 0.25))

        print(f"{harness.engine_name()}, {args.owners} owners, one process; CPU measured in-process"
              + ("; htmx requests" if args.htmx else ""))
        bare = await bare_baseline(args.owners)
        yishi = await harness.measure("cast (htmx fragment)" if args.htmx else "cast (confirm POST)", len(clients), cast)
        for client in clients:
            await client.aclose()
    ballots = await Ballot.count().where(Ballot.vote == vote_id)
    receipts = await Receipt.count().where(Receipt.vote == vote_id)
    await db.engine().run_ddl("DROP TABLE IF EXISTS bench_bare")
    await db.close_pool()
    print(bare.line())
    print(yishi.line(bare))
    print(f"ballots stored {ballots}, receipts {receipts} (expected {args.owners} each)")
    ratio = bare.cpu / bare.requests / (yishi.cpu / yishi.requests)
    print(f"goal: the cast at least {GOAL}x the bare INSERT's CPU per request: {'reached' if ratio >= GOAL else 'not reached'}")
    return 0 if ballots == receipts == args.owners and ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
