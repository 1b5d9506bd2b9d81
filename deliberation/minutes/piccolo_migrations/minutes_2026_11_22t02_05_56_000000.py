"""Uniqueness the minutes package relies on, as database constraints (raw CREATE UNIQUE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:05:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "minutes unique indexes"

UNIQUE = {
    # One chain per community: two publications racing for the same place cannot both be stored.
    "publication_community_seq": "publication (community, seq)",
    # One sign-off per role; signing again replaces it.
    "minutes_signoff_minutes_role": "minutes_signoff (minutes, role)",
    # One set of minutes per meeting, one per written consultation, one result notice per vote.
    "minutes_meeting_once": "minutes (meeting) WHERE kind = 'minutes' AND meeting IS NOT NULL",
    "minutes_vote_kind_once": "minutes (vote, kind) WHERE kind <> 'addendum' AND vote IS NOT NULL",
}
PLAIN = {
    "publication_community_kind": "publication (community, kind)",
    "minutes_community_status": "minutes (community, status)",
    "minutes_corrects": "minutes (corrects)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="minutes", description=DESCRIPTION)

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
