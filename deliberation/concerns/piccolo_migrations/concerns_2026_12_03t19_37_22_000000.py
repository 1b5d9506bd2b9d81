"""Uniqueness and lookups the concerns package relies on (raw CREATE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T19:37:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "concerns indexes"

UNIQUE = {
    # A concern's answer is rated once: two ratings racing for the same answer cannot both be stored.
    "concern_rating_once": "concern_rating (concern, answer)",
    # One published monthly summary per community and month.
    "concern_report_month": "concern_report (community, month)",
}
PLAIN = {
    "concern_community_opened": "concern (community, opened_at)",
    "concern_community_status": "concern (community, status)",
    "concern_reporter": "concern (reporter)",
    "concern_agenda_item": "concern (agenda_item)",
    "concern_step_concern": "concern_step (concern, at)",
    "concern_photo_concern": "concern_photo (concern)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="concerns", description=DESCRIPTION)

    async def run():
        for name, target in UNIQUE.items():
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} ON {target}")
        for name, target in PLAIN.items():
            await engine_finder().run_ddl(f"CREATE INDEX {name} ON {target}")

    async def run_backwards():
        for name in [*UNIQUE, *PLAIN]:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
