"""Time opening an owners' vote over a 100,000-flat electorate: reading the register, building the snapshot (the
pure core: entities, opaque ids, the electorate hash), storing it, and the whole open as the facilitator runs it.

Run: .venv/bin/python bench/bench_votes_open.py [--flats N]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables are
emptied). Builds the roster as bench_votes_close.py does, times each phase once on a draft vote, then opens a second
vote for real. Exit 1 if the open takes 10 s or more (the issue's goal).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402 - sets the environment before Yishi is imported

FLATS = 100_000
OPEN_LIMIT_SECONDS = 10.0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flats", type=int, default=FLATS)
    flats = parser.parse_args().flats
    await harness.prepare()
    from community import db
    from community.tables import Community
    from votes import opening, services
    from votes.tables import Vote
    from votes.testing import bulk_electorate

    rows = await Community.insert(Community(slug="bench", name="基准社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    start = time.perf_counter()
    await bulk_electorate(community_id, flats)
    print(f"{harness.engine_name()}: roster of {flats:,} flats built in {time.perf_counter() - start:.1f} s; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip

    async def draft() -> int:
        rows = await Vote.insert(
            Vote(community=community_id, title="基准表决", question="?", kind="owners", matter=7, scope_kind="community",
                 channels=["online", "paper"], status="draft")  # fmt: skip
        ).returning(Vote.id)
        return int(rows[0]["id"])

    vote = await services.get_vote(await draft())
    start, cpu = time.perf_counter(), time.process_time()
    roster = await opening.load_roster(vote)
    print(f"  register read ({len(roster):,} flats): {time.perf_counter() - start:.2f} s, CPU {time.process_time() - cpu:.2f} s")
    start, cpu = time.perf_counter(), time.process_time()
    snapshot, _in_force = await opening._snapshot(vote)
    print(f"  register read + snapshot built ({len(snapshot.entities):,} entities): "
          f"{time.perf_counter() - start:.2f} s, CPU {time.process_time() - cpu:.2f} s")  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    async with db.write_transaction():
        await opening._store_snapshot(vote.id, snapshot)
    print(f"  snapshot stored (entities, flats, voters): {time.perf_counter() - start:.2f} s, CPU {time.process_time() - cpu:.2f} s")

    vote = await services.get_vote(await draft())
    start, cpu = time.perf_counter(), time.process_time()
    await opening.open_vote_as(vote, actor=None)
    seconds = time.perf_counter() - start
    print(f"opened (the whole open, a second vote): {seconds:.2f} s, CPU {time.process_time() - cpu:.2f} s")
    await db.close_pool()
    if seconds >= OPEN_LIMIT_SECONDS:
        print(f"too slow: the open took {OPEN_LIMIT_SECONDS:.0f} s or more")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
