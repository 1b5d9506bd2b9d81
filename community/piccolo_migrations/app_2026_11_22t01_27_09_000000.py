"""One membership per (account, community, role): a database constraint, not only a check."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:27:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique membership per account, community and role"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="app", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX membership_account_community_role ON membership (account, community, role)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX membership_account_community_role")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
