"""Uniqueness the works and running costs rely on, as database constraints (raw CREATE UNIQUE INDEX works on both
engines): each milestone once per project, complaints numbered per project, one ledger per project and year."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:28:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "works and running costs unique indexes"

INDEXES = {
    "project_milestone_project_kind": "project_milestone (project, kind)",
    "project_works_complaint_project_number": "project_works_complaint (project, number)",
    "project_upkeep_ledger_project_year": "project_upkeep_ledger (project, year)",
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
