"""Concerns from before `updated_at`: their last change is not known, their intake time stands in for it (a
migration of its own: raw steps run before a migration's added columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T20:17:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "concerns updated_at filled in and indexed"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="concerns", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("UPDATE concern SET updated_at = opened_at WHERE updated_at IS NULL")
        # The version of a community's month (count, last change) is then read from the index alone.
        await engine_finder().run_ddl("CREATE INDEX concern_version ON concern (community, opened_at, updated_at)")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX concern_version")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
