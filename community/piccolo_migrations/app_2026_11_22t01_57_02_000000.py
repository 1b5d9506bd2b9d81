"""Roster lookups and one active verification per person and flat, as database indexes (both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:57:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "roster lookup indexes, one active verification per person and flat"

INDEXES = {
    # Two staff verifying the same person at once must not leave two active verifications.
    "verification_active_flat_person": "UNIQUE INDEX verification_active_flat_person ON verification (flat, person) WHERE revoked_at IS NULL",
    "person_account": "INDEX person_account ON person (account)",
    "ownership_person": "INDEX ownership_person ON ownership (person)",
    "residency_person": "INDEX residency_person ON residency (person)",
    "verification_person": "INDEX verification_person ON verification (person)",
    "join_code_person": "INDEX join_code_person ON join_code (person)",
    "flat_stairwell_unit": "INDEX flat_stairwell_unit ON flat (stairwell_unit)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="app", description=DESCRIPTION)

    async def run():
        for statement in INDEXES.values():
            await engine_finder().run_ddl(f"CREATE {statement}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
