"""Run every benchmark in bench/, one after the other, and say which met its goal.

Usage: .venv/bin/python bench/run_all.py [--only cast,phone_pages] [--quick]
Each bench_*.py runs in a process of its own with its default sizes (--quick: the smaller sizes listed below, for a
first look on a busy machine). YISHI_DATABASE_URL is passed on: the benchmarks that take PostgreSQL then use it (a
throw-away database: its tables are emptied). Exit status 1 if any benchmark failed or missed its goal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {
    "cast": ["--owners", "50"],
    "cast_load": ["--owners", "100", "--workers", "1,2"],
    "phone_pages": ["--owners", "60", "--requests", "50"],
    "votes_open": ["--flats", "10000"],
    "votes_close": ["--flats", "10000", "--ballots", "8000"],
    "roster_import": ["--flats", "10000"],
    "staff_pages": ["--flats", "10000"],
    "pages": ["--seconds", "3"],
    "thread": ["--comments", "1000", "--requests", "100", "--seconds", "3"],
    "concerns": ["--concerns", "2000", "--seconds", "3"],
    "sse": ["--listeners", "100", "--posts", "10"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated names, e.g. cast,phone_pages")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {len(names)} benchmarks", flush=True)
    failed = []
    for name in names:
        command = [sys.executable, str(HERE / f"bench_{name}.py"), *(QUICK.get(name, []) if args.quick else [])]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        print(f"=== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            failed.append(name)
    print(f"\n{len(names) - len(failed)} of {len(names)} ran and met their goal"
          + (f"; failed or missed it: {', '.join(failed)}" if failed else ""))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
