"""Time `yishi roster import` of a 100,000-flat register, each run in a fresh process (wall, CPU, peak memory).

Run: .venv/bin/python bench/bench_roster_import.py [--flats N] [--format xlsx|xlsx-inline|csv]
SQLite in a temporary directory, or PostgreSQL when YISHI_DATABASE_URL names a throw-away database (its tables
are emptied). Steps, each `yishi roster import FILE --community SLUG` in a process of its own: the first import
(everything new), the same file again (nothing to write), a newer register (every tenth flat's area, every
twentieth flat's owner changed) and one with a tenth of the flats removed. Peak memory is the child's peak
resident size (VmHWM, Linux's per-process ru_maxrss) minus its resident size just before the import started (the
interpreter and Yishi's modules loaded). The bare baseline, in the same run: a child that executemany-inserts the same 100,000 flat rows
into a table of the flat table's shape in one transaction. Exit 1 when a step takes 30 s or more or grows the
process by 200 MiB or more (the issue's goal).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datetime import UTC

import harness  # noqa: E402 - sets the environment before Yishi is imported

LIMIT_SECONDS = 30.0
LIMIT_MIB = 200.0
SLUG = "bench"


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    # VmHWM is this process's own peak; ru_maxrss would carry the bench parent's larger peak across exec.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child_import(path: str, report: str) -> int:
    """One `yishi roster import` as the command line runs it; its own output (a line per flat) is dropped."""
    from app import cli, wiring  # noqa: F401 - the code loaded before the clock starts: only the import is measured
    from community.roster import cli as roster_cli  # noqa: F401

    start_rss = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    code = cli.main(["roster", "import", path, "--community", SLUG])
    result = {"code": code, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
              "grown": peak_mib() - start_rss}  # fmt: skip
    Path(report).write_text(json.dumps(result))
    return 0


def child_bare(flats: int, report: str) -> int:
    """The floor: the same number of flat-shaped rows in one executemany, one transaction, no Yishi."""
    import asyncio
    from datetime import datetime

    url = os.environ["YISHI_DATABASE_URL"]
    moment = datetime.now(UTC)
    rows = [(1 + n // 200, 1 + n % 200 // 4, f"{n}", 6000 + n % 9000, "registered", "residential", False, None,
             True, moment) for n in range(flats)]  # fmt: skip
    columns = ("stairwell_unit INTEGER, floor INTEGER, room VARCHAR(40), area INTEGER, area_source VARCHAR(20), "
               "usage VARCHAR(20), developer_unsold BOOLEAN, designated_voter INTEGER, active BOOLEAN, "
               "updated_at TIMESTAMP")  # fmt: skip
    start_rss = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    if url.startswith("postgres"):
        import asyncpg

        async def run() -> None:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute("DROP TABLE IF EXISTS bench_bare_flat")
                await conn.execute(f"CREATE TABLE bench_bare_flat (id SERIAL PRIMARY KEY, {columns.replace('TIMESTAMP', 'TIMESTAMPTZ')})")
                async with conn.transaction():
                    await conn.executemany(
                        "INSERT INTO bench_bare_flat (stairwell_unit, floor, room, area, area_source, usage, "
                        "developer_unsold, designated_voter, active, updated_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", rows)  # fmt: skip
                await conn.execute("DROP TABLE bench_bare_flat")
            finally:
                await conn.close()

        asyncio.run(run())
    else:
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("DROP TABLE IF EXISTS bench_bare_flat")
        conn.execute(f"CREATE TABLE bench_bare_flat (id INTEGER PRIMARY KEY, {columns})")
        with conn:
            conn.executemany("INSERT INTO bench_bare_flat (stairwell_unit, floor, room, area, area_source, usage, "
                             "developer_unsold, designated_voter, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             rows)  # fmt: skip
        conn.execute("DROP TABLE bench_bare_flat")
        conn.close()
    result = {"code": 0, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
              "grown": peak_mib() - start_rss}  # fmt: skip
    Path(report).write_text(json.dumps(result))
    return 0


def in_child(*args: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        # The command prints a line per flat it adds, changes or removes: not what is measured.
        subprocess.run([sys.executable, __file__, "--child", *args, report.name], check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(report.name).read_text())  # type: ignore[no-any-return]


async def prepare_community() -> None:
    await harness.prepare()
    from community import db
    from community.tables import Community

    await Community.insert(Community(slug=SLUG, name="基准测试社区"))
    await db.close_pool()


async def counts() -> str:
    from community import db
    from community.roster.snapshot import load_snapshot
    from community.tables import Person

    await db.open_pool()
    snapshot = await load_snapshot(await _community_id())
    people = await Person.count()
    await db.close_pool()
    active = sum(1 for flat in snapshot.flats.values() if flat.active)
    return f"{active:,} active flats, {people:,} people"


async def _community_id() -> int:
    from community.tables import Community

    row = await Community.select(Community.id).where(Community.slug == SLUG).first()
    return int(row["id"])


def main() -> int:
    import asyncio

    from bench_roster_parse import excel_style, make_rows

    from community.roster.files import load_register, write_csv, write_xlsx

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flats", type=int, default=100_000)
    parser.add_argument("--format", choices=("xlsx", "xlsx-inline", "csv"), default="xlsx",
                        help="xlsx: saved the way Excel and WPS save (shared strings); xlsx-inline: as openpyxl "
                             "writes it (inline strings, twice as slow to read); csv: UTF-8 with BOM")  # fmt: skip
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"{harness.engine_name()}, {args.flats:,} flats, {args.format.upper()}; each import a fresh process; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    asyncio.run(prepare_community())
    write = {"xlsx": lambda rows: excel_style(write_xlsx(rows)), "xlsx-inline": write_xlsx, "csv": write_csv}[args.format]
    start = time.perf_counter()
    register = make_rows(args.flats)
    changed = [
        replace(row, area=row.area + 1 if n % 10 == 0 else row.area,
                owners=tuple(replace(o, name=o.name + "乙") for o in row.owners) if n % 20 == 7 else row.owners,
                designated_voter=(row.designated_voter + "乙") if n % 20 == 7 and row.designated_voter else row.designated_voter)
        for n, row in enumerate(register)
    ]  # fmt: skip
    shrunk = changed[: args.flats - args.flats // 10]
    folder = Path(tempfile.mkdtemp(prefix="yishi-bench-roster-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    files = {}
    for name, rows in (("first", register), ("changed", changed), ("shrunk", shrunk)):
        files[name] = folder / f"{name}.{args.format[:4]}"
        files[name].write_bytes(write(rows))
    print(f"  files written in {time.perf_counter() - start:.1f} s ({files['first'].stat().st_size / 1e6:.1f} MB each)")
    start, cpu = time.perf_counter(), time.process_time()
    parsed, problems = load_register(files["first"].name, files["first"].read_bytes())
    assert not problems and len(parsed) == args.flats, problems[:3]
    del parsed
    print(f"  (for reference) read + validate the file alone: {time.perf_counter() - start:.2f} s, "
          f"CPU {time.process_time() - cpu:.2f} s")  # fmt: skip

    bare = in_child("bare", str(args.flats))
    print(f"  {'bare executemany of the same flat rows':52} {bare['wall']:6.2f} s  CPU {bare['cpu']:6.2f} s  "
          f"+{bare['grown']:6.1f} MiB")  # fmt: skip
    missed = []
    for label, name in (
        ("first import (everything new)", "first"),
        ("the same file again (nothing to write)", "first"),
        ("a newer register (a tenth re-measured, owners)", "changed"),
        ("a tenth of the flats removed", "shrunk"),
    ):
        step = in_child("import", str(files[name]))
        ok = step["code"] == 0 and step["wall"] < LIMIT_SECONDS and step["grown"] < LIMIT_MIB
        print(f"  {label:52} {step['wall']:6.2f} s  CPU {step['cpu']:6.2f} s  +{step['grown']:6.1f} MiB  "
              f"ratio {bare['wall'] / step['wall']:.2f}x bare  exit {step['code']}  {'ok' if ok else 'MISSED'}")  # fmt: skip
        if not ok:
            missed.append(label)
    print(f"  stored: {asyncio.run(counts())} (expected {args.flats - args.flats // 10:,} active flats)")
    print(f"goal: each import < {LIMIT_SECONDS:.0f} s and < {LIMIT_MIB:.0f} MiB peak growth: "
          + ("reached" if not missed else f"not reached by {', '.join(missed)}"))  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, value, report = sys.argv[2:5]
        sys.exit(child_import(value, report) if kind == "import" else child_bare(int(value), report))
    sys.exit(main())
