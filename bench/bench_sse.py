"""Latency from a posted comment to 500 phones following the meeting over Server-Sent Events.

Usage: .venv/bin/python bench/bench_sse.py [--listeners 500] [--posts 30] [--workers 1]
Starts `yishi serve` on SQLite in a temporary directory (or on YISHI_DATABASE_URL, e.g. a throw-away
PostgreSQL database: then LISTEN/NOTIFY carries the updates between workers), opens the listeners as raw
asyncio streaming connections to /live/phones-<meeting>-zh, and posts comments through the ordinary form.
Latency = from sending the POST to the moment a listener has read the comment's event. Prints p50/p95 over
every (post, listener) pair, and p50/p95 of the slowest listener per post (everyone has it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_thread import bench_env, free_port, percentile, prepare, signed_in_cookie, start_server  # noqa: E402


class Listener:
    """One phone: an open SSE connection; records when each marker arrives."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.seen: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Event] = {}

    async def run(self, port: int, path: str, cookie: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
            f"Accept-Language: zh-CN\r\nCookie: {cookie}\r\n\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"listener refused: {status!r}")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"event: now"):
                    self.ready.set()  # the snapshot arrived: connected and authorised
                elif b"bench-" in line:
                    now = time.perf_counter()
                    text = line.decode(errors="replace")
                    marker = text[text.index("bench-") :].split("<", 1)[0].split()[0]
                    if marker not in self.seen:
                        self.seen[marker] = now
                        event = self.waiting.get(marker)
                        if event is not None:
                            event.set()
        finally:
            writer.close()

    async def wait_for(self, marker: str, seconds: float) -> float | None:
        if marker not in self.seen:
            event = self.waiting.setdefault(marker, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        return self.seen.get(marker)


async def run(port: int, world: dict, listeners: int, posts: int, posters: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    owner = await signed_in_cookie(base, "13700000002")
    listener_cookie = f"yishi_session={owner['yishi_session']}"
    path = f"/live/phones-{world['meeting']}-zh"
    phones = [Listener() for _ in range(listeners)]
    tasks = []
    for start in range(0, listeners, 50):  # connect in waves, as a room fills up
        tasks += [asyncio.create_task(p.run(port, path, listener_cookie)) for p in phones[start : start + 50]]
        await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in phones)), 120)
    clients = []
    for n in range(posters):
        cookies = await signed_in_cookie(base, f"137000001{n:02d}")
        clients.append(httpx.AsyncClient(base_url=base, cookies=cookies, headers={"x-csrftoken": cookies["csrftoken"]}))
    every, slowest, post_times = [], [], []
    missing = 0
    try:
        for n in range(posts):
            marker = f"bench-{n}-{time.time_ns()}"
            client = clients[n % len(clients)]
            started = time.perf_counter()
            response = await client.post(
                f"/m/{world['meeting']}/items/{world['item']}/comments",
                data={"position": "support", "body": f"同意 {marker}"},
            )
            post_times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 303, response.status_code
            arrivals = await asyncio.gather(*(p.wait_for(marker, 15) for p in phones))
            got = [(a - started) * 1000 for a in arrivals if a is not None]
            missing += listeners - len(got)
            every += got
            if got:
                slowest.append(max(got))
            await asyncio.sleep(0.3)
    finally:
        for client in clients:
            await client.aclose()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "p50": statistics.median(every), "p95": percentile(every, 0.95), "max": max(every),
        "all_p50": statistics.median(slowest), "all_p95": percentile(slowest, 0.95),
        "post_p50": statistics.median(post_times), "missing": missing, "deliveries": len(every),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--posts", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    posters = max(1, (args.posts + 7) // 8)  # each account may post 10 comments a minute
    tmp = tempfile.mkdtemp(prefix="yishi-bench-sse-")
    env = bench_env(tmp)
    os.environ.update(env)
    with contextlib.redirect_stdout(io.StringIO()):
        world = asyncio.run(prepare(env, comments=0, posters=posters))
    port = free_port()
    server = start_server(env, port, workers=args.workers)
    try:
        result = asyncio.run(run(port, world, args.listeners, args.posts, posters))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    backend = "PostgreSQL LISTEN/NOTIFY" if env["YISHI_DATABASE_URL"].startswith("postgres") else "SQLite, in memory"
    print(f"{args.listeners} SSE listeners, {args.posts} comments, {args.workers} uvicorn worker(s), {backend}")
    print(f"posted comment → listener has it: p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
          f"max {result['max']:.0f} ms over {result['deliveries']} deliveries ({result['missing']} missed)")
    print(f"until every listener has it: p50 {result['all_p50']:.0f} ms, p95 {result['all_p95']:.0f} ms; "
          f"the POST itself: p50 {result['post_p50']:.0f} ms")
    return 0 if result["missing"] == 0 and result["all_p95"] < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
