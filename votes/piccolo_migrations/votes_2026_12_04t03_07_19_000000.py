"""Queries and corrections are numbered per vote, held by the database: UNIQUE (vote, number) on vote_query and
vote_correction (votes.query_store relies on it). Votes closed before query windows existed are final: each
gets its stage row. Plain SQL, the same on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:07:19:000000"
VERSION = "1.38.0"
DESCRIPTION = "queries and corrections numbered per vote; earlier closes are final"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await engine.run_ddl("CREATE UNIQUE INDEX vote_query_vote_number ON vote_query (vote, number)")
        await engine.run_ddl("CREATE UNIQUE INDEX vote_correction_vote_number ON vote_correction (vote, number)")
        await engine.run_ddl(
            "INSERT INTO vote_stage (vote, stage, window_days, window_ends_at, preliminary_at, preliminary_seq, "
            "final_at, final_seq, final_by, history) "
            "SELECT id, 'final', 0, NULL, NULL, NULL, closed_at, NULL, NULL, '[]' FROM vote WHERE status = 'closed'"
        )

    async def run_backwards():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX vote_correction_vote_number")
        await engine.run_ddl("DROP INDEX vote_query_vote_number")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
