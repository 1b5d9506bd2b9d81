"""Uniqueness the projects rely on, as database constraints (raw CREATE UNIQUE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:04:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "projects unique indexes"

INDEXES = {
    "project_occupied_flat_project_flat": "project_occupied_flat (project, flat)",
    "project_objection_project_number": "project_objection (project, number)",
    "project_vote_project_round": "project_vote (project, round)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="projects", description=DESCRIPTION)

    async def run():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} ON {target}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
