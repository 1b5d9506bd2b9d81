"""A flat counts as served only with recorded evidence (vote_delivery): flags set by the old bulk action on
votes not yet closed are withdrawn. Closed votes keep their published records."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T20:07:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "served only with evidence"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await engine.run_ddl(
            "UPDATE vote_flat SET served = false WHERE vote IN (SELECT id FROM vote WHERE status <> 'closed') "
            "AND id NOT IN (SELECT flat FROM vote_delivery)"
        )

    async def run_backwards():
        pass  # the withdrawn flags had no evidence; nothing to restore

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
