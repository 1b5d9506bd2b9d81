"""Uniqueness agreements and funding rely on, as database constraints (raw CREATE UNIQUE INDEX, both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T03:28:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "agreement and funding unique indexes"

INDEXES = {
    "project_agreement_project_version": "project_agreement (project, version)",
    "project_agreement_signature_once": "project_agreement_signature (agreement, flat, person)",
    "project_funding_payment_project_flat": "project_funding_payment (project, flat)",
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
