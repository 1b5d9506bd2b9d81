"""At most one reminder a day per flat, held by the database: UNIQUE (vote, flat, day) on vote_reminder
(votes.reminders relies on it). Plain SQL, the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T23:21:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "one reminder a day per flat"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX vote_reminder_vote_flat_day ON vote_reminder (vote, flat, day)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX vote_reminder_vote_flat_day")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
