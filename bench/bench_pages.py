"""Landing and sign-in pages against a bare Litestar template page of the same size, same server, same run.

Usage: .venv/bin/python bench/bench_pages.py [--seconds 10] [--connections 50]
Uses wrk (Debian package) when installed, else a Python load generator. Prints requests/s and the ratio
(goal: each Yishi page at least 0.6 of the bare page).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses")
    return float(match.group(1)) if match else 0.0


async def pyload(url: str, seconds: int, connections: int) -> float:
    import httpx

    count = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:

        async def worker() -> None:
            nonlocal count
            while time.monotonic() < deadline:
                r = await client.get(url)
                r.raise_for_status()
                count += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return count / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="yishi-bench-")
    env = {
        **os.environ,
        "YISHI_DATABASE_URL": os.environ.get("YISHI_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
        "YISHI_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Size the bare template like the landing page, so both render the same amount of HTML.
    server = None

    def start(bare_size: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.pages_app:create", "--factory", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            env={**env, "YISHI_BENCH_BARE_SIZE": str(bare_size)}, cwd=ROOT,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310
                return proc
            except OSError:
                time.sleep(0.1)
        proc.kill()
        raise SystemExit("server did not start")

    try:
        server = start(3000)
        landing_size = len(urllib.request.urlopen(base + "/").read())  # noqa: S310
        server.terminate()
        server.wait()
        server = start(max(0, landing_size - 60))
        bare_size = len(urllib.request.urlopen(base + "/_bench/bare").read())  # noqa: S310
        use_wrk = shutil.which("wrk") is not None
        measure = (lambda u: wrk(u, args.seconds, args.connections)) if use_wrk else (
            lambda u: asyncio.run(pyload(u, args.seconds, args.connections)))
        print(f"load: {'wrk' if use_wrk else 'python httpx'}, {args.connections} connections, {args.seconds} s each; "
              f"landing page {landing_size} bytes, bare page {bare_size} bytes")
        measure(base + "/_bench/bare")  # warm-up
        results = {}
        for name, path in (("bare", "/_bench/bare"), ("landing", "/"), ("signin", "/signin")):
            results[name] = measure(base + path)
            print(f"{name:8} {results[name]:8.0f} req/s")
        worst = min(results["landing"], results["signin"]) / results["bare"]
        print(f"ratio landing/bare {results['landing'] / results['bare']:.2f}, signin/bare "
              f"{results['signin'] / results['bare']:.2f} (goal >= 0.6)")
        return 0 if worst >= 0.6 else 1
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
