"""Time closing an owners' vote over a 100,000-flat electorate (DB reads, the tally, storing the record), and
`yishi tally` on its published record in a fresh process.

Run: .venv/bin/python bench/bench_votes_close.py [--flats N] [--ballots N]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables are
emptied). Builds the roster (each owner verified, every 25th owning two flats, every 40th flat unsold developer
stock), opens a community-wide vote (the snapshot), stores ballots for most entities, then closes it (the count) and
recounts the published record. Bare baselines in the same run: json.loads of the same record, and a Python process
that only starts. Exit 1 when the close takes 5 s or more, or `yishi tally` 1 s or more of CPU (the issue's goals).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402 - sets the environment before Yishi is imported

CLOSE_LIMIT_SECONDS = 5.0
TALLY_LIMIT_SECONDS = 1.0
CHOICES = ("agree", "agree", "agree", "oppose", "abstain", "agree", "agree", "spoiled")


def peak_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def yishi_tally(text: str, expected: object) -> float:
    """`yishi tally` on the record in a fresh process, median of 3 (wall); a bare interpreter start for scale."""
    import json

    folder = Path(tempfile.mkdtemp(prefix="yishi-bench-record-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "record.json"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    startup = time.perf_counter() - start
    yishi = Path(sys.executable).parent / "yishi"
    command = [str(yishi), "tally", str(path)] if yishi.exists() else [sys.executable, "-m", "app.cli", "tally", str(path)]
    walls, cpus = [], []
    for _ in range(3):
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(time.perf_counter() - start)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    wall, cpu = sorted(walls)[1], sorted(cpus)[1]
    assert json.loads(done.stdout) == expected, "yishi tally printed another result"
    # The goal is judged on the process's CPU time (user + system): on this shared 2-core machine the wall clock
    # mostly measures the other processes.
    print(f"`yishi tally` on the record, a fresh process: median of 3 {cpu:.2f} s CPU, {wall:.2f} s wall "
          f"(a bare `python -c pass`: {startup:.2f} s wall; load average {os.getloadavg()[0]:.2f})")  # fmt: skip
    return cpu


async def main(flats: int, ballots: int) -> int:
    import json

    await harness.prepare()
    from app.wiring import register_all

    register_all()  # closing publishes the result on the chain: the subscribers the web app has
    from community import db
    from community.tables import Community
    from votes import counting, opening, services
    from votes.bulk import insert_many
    from votes.record import parse_record, result_to_json, tally_record
    from votes.tables import Ballot, Vote, VoteEntity
    from votes.testing import bulk_electorate

    rows = await Community.insert(Community(slug="bench", name="基准社区")).returning(Community.id)
    community_id = int(rows[0]["id"])
    load = os.getloadavg()
    start = time.perf_counter()
    await bulk_electorate(community_id, flats)
    print(f"{harness.engine_name()}: roster of {flats:,} flats built in {time.perf_counter() - start:.1f} s; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip

    rows = await Vote.insert(
        Vote(community=community_id, title="基准表决", question="?", kind="owners", matter=7, scope_kind="community",
             channels=["online", "paper"], status="draft")
    ).returning(Vote.id)
    vote_id = int(rows[0]["id"])
    start = time.perf_counter()
    await opening.open_vote_as(await services.get_vote(vote_id), actor=None)
    print(f"opened (electorate snapshot frozen): {time.perf_counter() - start:.2f} s")
    vote = await services.get_vote(vote_id)
    print(f"  {vote.entities:,} voting entities, {vote.total_area / 100:,.2f} m²")

    start = time.perf_counter()
    first = await harness.first_voters(vote_id)
    entities = [e["id"] for e in await VoteEntity.select(VoteEntity.id).where(VoteEntity.vote == vote_id).order_by(VoteEntity.id)]
    chosen = entities[:ballots]
    async with db.write_transaction():
        await insert_many(
            Ballot,
            ("vote", "entity", "unit", "voter", "choice", "channel", "version", "nonce_hash"),
            [
                (vote_id, entity, *first[entity], CHOICES[index % len(CHOICES)], "online" if index % 3 else "paper", 1, "")
                for index, entity in enumerate(chosen)
            ],
        )
    print(f"{len(chosen):,} ballots stored in {time.perf_counter() - start:.1f} s")

    start, cpu = time.perf_counter(), time.process_time()
    await counting.close_vote_as(vote, actor=None)
    close_seconds = time.perf_counter() - start
    closed = await Vote.select(Vote.result).where(Vote.id == vote_id).output(load_json=True).first()
    print(f"closed and counted (reads + tally + record stored): {close_seconds:.2f} s, "
          f"CPU {time.process_time() - cpu:.2f} s -> {closed['result']['outcome']}")  # fmt: skip

    start = time.perf_counter()
    counted = await counting.count_vote(vote)
    print(f"  count alone, again (DB reads + tally, nothing stored): {time.perf_counter() - start:.2f} s")
    text = await counting.record_text(vote_id)
    assert text is not None
    start = time.perf_counter()
    json.loads(text)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    record = parse_record(text)
    stored = result_to_json(tally_record(record))
    parsed = time.perf_counter() - start
    print(f"  published record ({len(text) / 1e6:.1f} MB) parsed and recounted in-process: {parsed:.2f} s; "
          f"bare json.loads {bare:.2f} s (ratio {bare / parsed:.2f}x)")  # fmt: skip
    assert stored == closed["result"] == counted[0], "the recount differs from the stored result"
    await db.close_pool()

    tally_seconds = yishi_tally(text, closed["result"])
    print(f"peak memory of this process: {peak_mib():.0f} MiB")
    missed = []
    if close_seconds >= CLOSE_LIMIT_SECONDS:
        missed.append(f"close < {CLOSE_LIMIT_SECONDS:.0f} s")
    if tally_seconds >= TALLY_LIMIT_SECONDS:
        missed.append(f"yishi tally < {TALLY_LIMIT_SECONDS:.0f} s")
    print("goal: close < 5 s, yishi tally < 1 s: " + ("reached" if not missed else f"missed ({', '.join(missed)})"))
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flats", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=80_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.flats, args.ballots)))
