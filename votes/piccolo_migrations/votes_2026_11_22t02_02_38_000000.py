"""Uniqueness the votes package relies on, as database constraints (raw CREATE UNIQUE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:02:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "votes unique indexes"

UNIQUE = {
    # One counted ballot per voting entity: 100 simultaneous casts still give one row.
    "vote_ballot_vote_entity": "vote_ballot (vote, entity)",
    "vote_entity_vote_key": "vote_entity (vote, key)",
    "vote_entity_vote_number": "vote_entity (vote, number)",
    "vote_flat_vote_unit": "vote_flat (vote, unit)",
    "vote_paper_ballot_vote_serial": "vote_paper_ballot (vote, serial)",
    # One standing written authorisation per voting entity and vote; revoked ones stay on record.
    "vote_proxy_vote_entity_active": "vote_proxy (vote, entity) WHERE revoked_at IS NULL",
}
PLAIN = {
    "vote_flat_vote_position": "vote_flat (vote, position)",
    "vote_flat_vote_entity": "vote_flat (vote, entity)",
    "vote_flat_vote_flat_id": "vote_flat (vote, flat_id)",
    "vote_flat_vote_stairwell": "vote_flat (vote, stairwell)",
    "vote_voter_vote_person": "vote_voter (vote, person)",
    "vote_proxy_vote_key": "vote_proxy (vote, proxy_key)",
    "vote_paper_ballot_vote_status": "vote_paper_ballot (vote, status)",
    "vote_community_status": "vote (community, status)",
    "vote_agenda_item": "vote (agenda_item)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

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
