"""Time importing a 10,000-flat register into the database: a first import, the same file again, a newer
register changing every area, and one removing a tenth of the flats.

SQLite by default (a fresh file); PostgreSQL with YISHI_DATABASE_URL=postgresql://…/a_scratch_database.
Exit status 1 if any step takes a minute or more.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

if not os.environ.get("YISHI_DATABASE_URL"):
    os.environ["YISHI_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='yishi-bench-')}/bench.sqlite3"
os.environ.setdefault("YISHI_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
# Run as `python bench/bench_roster_import.py`: the script's own folder is on sys.path, the repository is not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_roster_parse import FLATS, make_rows  # noqa: E402

from app import db  # noqa: E402
from community.roster import importer  # noqa: E402
from community.roster.files import load_register, write_xlsx  # noqa: E402
from community.roster.snapshot import export_rows  # noqa: E402
from community.tables import Community, Ownership, Person  # noqa: E402

LIMIT_SECONDS = 60.0


async def timed(label: str, action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = await action()
    seconds = time.perf_counter() - start
    print(f"  {label:58} {seconds:6.2f} s   {result}")
    return seconds


async def main() -> int:
    await db.open_pool()
    try:
        await db.run_migrations()
        slug = f"bench-{os.getpid()}"
        rows = await Community.insert(Community(slug=slug, name="基准测试社区")).returning(Community.id)
        community_id = int(rows[0]["id"])
        try:
            register = make_rows(FLATS)
            xlsx = write_xlsx(register)
            changed = [replace(row, area=row.area + 1) for row in register]
            shrunk = changed[: FLATS - FLATS // 10]
            print(f"{FLATS} flats on {db.engine().__class__.__name__} ({os.environ['YISHI_DATABASE_URL'].split(':')[0]})")
            times = [
                await timed(
                    "read + validate the XLSX file",
                    lambda: asyncio.to_thread(lambda: f"{len(load_register('r.xlsx', xlsx)[0])} rows"),
                ),
                await timed("first import (everything new)", lambda: importer.import_rows(community_id, register)),
                await timed("the same register again (no writes)", lambda: importer.import_rows(community_id, register)),
                await timed("a newer register: every area changed", lambda: importer.import_rows(community_id, changed)),
                await timed("a newer register: a tenth of the flats removed", lambda: importer.import_rows(community_id, shrunk)),
                await timed("export (read the register back)", lambda: _export(community_id)),
            ]
            people = await Person.count().where(Person.community == community_id)
            owners = await Ownership.count().where(Ownership.person.community == community_id)
            print(f"  people {people}, ownerships {owners}")
        finally:
            await Community.delete().where(Community.id == community_id)
    finally:
        await db.close_pool()
    return 1 if max(times) >= LIMIT_SECONDS else 0


async def _export(community_id: int) -> str:
    return f"{len(await export_rows(community_id))} rows"


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
