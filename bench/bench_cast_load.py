"""Many owners casting at once against a served Yishi (uvicorn, 1 and several workers), against a bare Litestar app
doing one pooled INSERT per POST, served the same way, in the same run.
Usage: .venv/bin/python bench/bench_cast_load.py [--owners 300] [--concurrency 50] [--workers 1,2,4]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables are
emptied). Every owner has a session and has made the choice (not measured); then all confirm at once, `concurrency`
requests in flight. For each number of workers: casts per second, latency p50/p95/p99, the server's CPU per cast
(its processes' user+system time, read from /proc), and the same for the bare INSERT; the ratio of casts/s to the
bare inserts/s. Exit 1 if any cast failed (a 5xx, "database is locked", a missing or doubled ballot), or the p99 of
a cast exceeds 5 s (the issue saw 10 s with 50 casters on SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402 - sets the environment before Yishi is imported
from bench_sse import cpu_of, tree  # noqa: E402 - a server's CPU (with its workers) from /proc
from bench_thread import free_port, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
P99_LIMIT = 5.0  # seconds


def serve(target: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn serving `target` ("module:app" or Yishi's factory), as `yishi serve` does."""
    import urllib.request

    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}"}
    if target == "yishi":
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)]
        probe = "/healthz"
    else:
        command = [sys.executable, "-m", "uvicorn", target, "--port", str(port), "--workers", str(workers),
                   "--log-level", "warning"]  # fmt: skip
        probe = None
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if probe:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)  # noqa: S310
            else:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.5 if workers > 1 else 0)  # the other workers come up too
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{target} did not start")


async def fire(port: int, requests: list[tuple[str, dict[str, str], dict[str, str]]], concurrency: int,
               pid: int, check: str) -> dict[str, float]:  # fmt: skip
    """POST every (path, form, cookies) with `concurrency` in flight; timings and failures."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120) as client:

        async def one(path: str, form: dict[str, str], cookies: dict[str, str]) -> None:
            async with gate:
                start = time.perf_counter()
                try:
                    response = await client.post(path, data=form, cookies=cookies)
                    ok = response.status_code == 200 and check in response.text
                    if not ok:
                        failures.append(f"{response.status_code}: {response.text[:200]!r}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                latencies.append(time.perf_counter() - start)

        cpu, wall = cpu_of(tree(pid)), time.perf_counter()
        await asyncio.gather(*(one(*r) for r in requests))
        cpu, wall = cpu_of(tree(pid)) - cpu, time.perf_counter() - wall
    return {"per_second": len(requests) / wall, "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99), "cpu_ms": 1000 * cpu / len(requests), "failed": len(failures),
            "first_failure": failures[0] if failures else ""}  # type: ignore[dict-item]  # fmt: skip


async def choose_all(port: int, vote_id: int, sessions: list[str], keys: dict[str, str], csrf: str) -> list[dict[str, str]]:
    """The choose step of every owner (not measured): the confirm forms."""
    import httpx

    forms: list[dict[str, str]] = []
    gate = asyncio.Semaphore(10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:

        async def one(token: str) -> None:
            async with gate:
                cookies = {"yishi_session": token, "csrftoken": csrf}
                page = (await client.get(f"/v/{vote_id}", cookies=cookies)).text
                key = next(k for k in keys.values() if f'value="{k}"' in page)
                step1 = await client.post(f"/v/{vote_id}/choose", cookies=cookies,
                                          data={"entity": key, "choice": "agree", "_csrf_token": csrf})  # fmt: skip
                nonce = re.search(r'name="nonce" value="([^"]+)"', step1.text).group(1)  # type: ignore[union-attr]
                version = re.search(r'name="version" value="([^"]+)"', step1.text).group(1)  # type: ignore[union-attr]
                forms.append({"entity": key, "choice": "agree", "nonce": nonce, "version": version,
                              "_csrf_token": csrf, "_session": token})  # fmt: skip

        await asyncio.gather(*(one(t) for t in sessions))
    return forms


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owners", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    await harness.prepare()

    import httpx

    from app.main import create_app
    from community import accounts, db
    from community.tables import Account
    from votes.tables import Ballot, Receipt, VoteFlat

    community_id, phones = await harness.owners_world(args.owners)
    app = create_app()
    votes = []
    async with app.lifespan():
        async with harness.client_for(app) as staff:
            for _ in counts:  # one community-wide vote per run: every owner votes in each
                votes.append(await harness.open_vote(staff, community_id))
    accounts_by_phone = {r["phone"]: r["id"] for r in await Account.select(Account.id, Account.phone)}
    sessions = [await accounts.start_session(accounts_by_phone[p], "bench") for p in phones]
    serial = "SERIAL" if harness.engine_name() == "PostgreSQL" else "INTEGER"
    await db.engine().run_ddl("DROP TABLE IF EXISTS bench_bare")
    await db.engine().run_ddl(f"CREATE TABLE bench_bare (id {serial} PRIMARY KEY, note TEXT)")
    await db.close_pool()

    load = os.getloadavg()
    print(f"{harness.engine_name()}, {args.owners} owners casting, {args.concurrency} in flight; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; server CPU from /proc")  # fmt: skip
    failed = False
    for workers, vote_id in zip(counts, votes, strict=True):
        port = free_port()
        proc = serve("cast_bare_app:app", port, workers)
        try:
            bare = await fire(port, [("/_bench/insert", {}, {})] * args.owners, args.concurrency, proc.pid, "ok")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        port = free_port()
        proc = serve("yishi", port, workers)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                await client.get("/")
                csrf = client.cookies["csrftoken"]
            await db.open_pool()
            keys = {r["unit"]: r["entity.key"] for r in await VoteFlat.select(VoteFlat.unit, VoteFlat.entity.key).where(
                VoteFlat.vote == vote_id)}  # fmt: skip
            await db.close_pool()
            forms = await choose_all(port, vote_id, sessions, keys, csrf)
            requests = [(f"/v/{vote_id}/cast", {k: v for k, v in f.items() if k != "_session"},
                         {"yishi_session": f["_session"], "csrftoken": csrf}) for f in forms]  # fmt: skip
            cast = await fire(port, requests, args.concurrency, proc.pid, "receipt-code")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        await db.open_pool()
        ballots = await Ballot.count().where(Ballot.vote == vote_id)
        receipts = await Receipt.count().where(Receipt.vote == vote_id)
        await db.close_pool()
        for name, m in (("bare pooled INSERT", bare), ("cast (confirm POST)", cast)):
            print(f"{workers} worker(s)  {name:20} {m['per_second']:7.0f}/s  p50 {m['p50'] * 1000:6.0f} ms  "
                  f"p95 {m['p95'] * 1000:6.0f} ms  p99 {m['p99'] * 1000:6.0f} ms  server CPU {m['cpu_ms']:6.2f} ms/request"
                  f"  failed {m['failed']:.0f}")  # fmt: skip
        print(f"{workers} worker(s)  casts/s ÷ bare inserts/s = {cast['per_second'] / bare['per_second']:.2f}; "
              f"server CPU ratio {bare['cpu_ms'] / max(cast['cpu_ms'], 1e-9):.2f}x bare; "
              f"ballots {ballots}, receipts {receipts} (expected {args.owners} each)")  # fmt: skip
        if cast["failed"] or bare["failed"]:
            print(f"  first failure: {cast['first_failure'] or bare['first_failure']}")
        if cast["failed"] or ballots != args.owners or receipts != args.owners or cast["p99"] > P99_LIMIT:
            failed = True
    print("goal: every cast recorded once, none failed, p99 under "
          f"{P99_LIMIT:.0f} s: {'met' if not failed else 'NOT met'}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
