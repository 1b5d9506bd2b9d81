"""`yishi roster import FILE --community SLUG [--dry-run]` and `yishi roster export --community SLUG FILE`.

Import: exit 0 when imported (with --dry-run: importable), 1 with every problem, one per line, otherwise.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from community.roster import importer, uploads
from community.roster.files import write_csv, write_xlsx
from community.roster.plan import ImportPlan, row_sort_key
from community.roster.snapshot import export_rows
from community.roster.template import FlatRow
from community.tables import Community

EXPORT_FORMATS = (".csv", ".xlsx")


def _where(row: FlatRow) -> str:
    return f"{row.compound} {row.building} {row.unit} {row.room}"


async def _community_id(slug: str, err: TextIO) -> int | None:
    row = await Community.select(Community.id).where(Community.slug == slug).first()
    if row is None:
        print(f"yishi roster: there is no community {slug!r}", file=err)
        return None
    return int(row["id"])


async def import_file(
    path: str, slug: str, dry_run: bool = False, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """Check the register file and import it (all or nothing); with dry_run only say what it would do."""
    community_id = await _community_id(slug, err)
    if community_id is None:
        return 1
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        print(f"yishi roster import: cannot read {path}: {exc.strerror or exc}", file=err)
        return 1
    checked = await uploads.check_file(Path(path).name, data)
    del data  # 10 MB for a 100,000-flat file, no longer needed
    if checked.problems:
        print(f"{path}: {len(checked.problems)} problem(s); nothing was imported", file=err)
        for problem in checked.problems:
            print(problem.english(), file=out)
        return 1
    summary = ""

    def show(plan: ImportPlan) -> None:
        nonlocal summary
        diff = plan.diff
        for row in sorted(diff.added, key=row_sort_key):
            print(f"+ {_where(row)}", file=out)
        for _old, new, fields in sorted(diff.changed, key=lambda change: row_sort_key(change[1])):
            print(f"~ {_where(new)}: {', '.join(fields)}", file=out)
        for row in sorted(diff.removed, key=row_sort_key):
            print(f"- {_where(row)}", file=out)
        summary = (
            f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed, "
            f"{diff.unchanged} unchanged"
        )

    if dry_run:
        plan, _fingerprint = await uploads.preview(community_id, checked.rows)
        show(plan)
        print(f"{path}: importable ({summary}); dry run, nothing written", file=out)
        return 0
    # Planned and shown under the write lock, then carried out: the register cannot change in between, and a
    # 100,000-flat register is read and planned once.
    result = await importer.import_rows(
        community_id,
        checked.rows,
        report=show,
        source={"source": "command line", "filename": Path(path).name},
    )
    if result.written:
        print(f"{path}: imported ({summary})", file=out)
    else:
        print(f"{path}: the register already says this; nothing written", file=out)
    return 0


async def export_file(slug: str, path: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Write the community's active register as CSV or XLSX, chosen by the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        print(f"yishi roster export: {path} must end in .csv or .xlsx", file=err)
        return 2
    community_id = await _community_id(slug, err)
    if community_id is None:
        return 1
    rows = sorted(await export_rows(community_id), key=row_sort_key)
    data = write_csv(rows) if suffix == ".csv" else write_xlsx(rows)
    try:
        await asyncio.to_thread(Path(path).write_bytes, data)
    except OSError as exc:
        print(f"yishi roster export: cannot write {path}: {exc.strerror or exc}", file=err)
        return 1
    print(f"{path}: {len(rows)} flats written", file=out)
    return 0
