"""Staff scopes from the old role_scope rows; one street role per account and street; lookup indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T18:35:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff scopes copied from role_scope, unique street roles, lookup indexes"

DATA = [
    # Grid workers' and building leads' buildings, as before, now in staff_scope.
    "INSERT INTO staff_scope (membership, building) SELECT membership, building FROM role_scope",
    "UPDATE membership SET scope_kind = 'building' WHERE id IN (SELECT membership FROM role_scope)",
]
INDEXES = {
    # Composite UNIQUE as an index: SQLite has no ALTER TABLE ADD CONSTRAINT.
    "street_membership_account_street": "UNIQUE INDEX street_membership_account_street ON street_membership (account, street, role)",
    "membership_community": "INDEX membership_community ON membership (community)",
    "staff_scope_membership": "INDEX staff_scope_membership ON staff_scope (membership)",
    "account_code_account": "INDEX account_code_account ON account_code (account)",
    "audit_log_community": "INDEX audit_log_community ON audit_log (community, id)",
    "community_street_ref": "INDEX community_street_ref ON community (street_ref)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="app", description=DESCRIPTION)

    async def run():
        for statement in DATA:
            await engine_finder().run_ddl(statement)
        for statement in INDEXES.values():
            await engine_finder().run_ddl(f"CREATE {statement}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
