"""The SHA-256 of every attachment already stored, read from its file (a missing file keeps "": the audit says so)."""

import hashlib
import os
from pathlib import Path

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:23:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "attachment fingerprints of files already stored"


def _digest(stored_name: str) -> str:
    # Where deliberation/uploads.py keeps them (written out here: a migration must not change with the code).
    root = Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads") / "deliberation"
    path = root / stored_name
    if "/" in stored_name or "\\" in stored_name or not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def backfill():
    engine = engine_finder()
    rows = await engine.run_ddl("SELECT id, stored_name FROM agenda_attachment WHERE sha256 = ''")
    for row in rows or []:
        found = _digest(str(row["stored_name"]))
        if found:  # hex digits and an integer id: nothing to quote
            await engine.run_ddl(f"UPDATE agenda_attachment SET sha256 = '{found}' WHERE id = {int(row['id'])}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deliberation", description=DESCRIPTION)
    manager.add_raw(backfill)
    return manager
