"""Uniqueness the roster relies on, as database constraints (raw CREATE UNIQUE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:48:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "roster unique indexes"

INDEXES = {
    "compound_community_name": "compound (community, name)",
    "building_compound_name": "building (compound, name)",
    "stairwell_unit_building_name": "stairwell_unit (building, name)",
    "flat_unit_room": "flat (stairwell_unit, room)",
    "person_community_identity": "person (community, identity_key)",
    "ownership_flat_person": "ownership (flat, person)",
    "residency_flat_person": "residency (flat, person)",
    "role_scope_membership_building": "role_scope (membership, building)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="app", description=DESCRIPTION)

    async def run():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} ON {target}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
