"""A meeting notice is published once: a unique index on the publication's link to it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T04:46:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "publication notice unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="minutes", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX publication_notice_once ON publication (notice)")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX publication_notice_once")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
