"""Each owner's ballot is stored apart: one ballot per (vote, entity, voter), one paper ballot per signer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ballots per owner"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX vote_ballot_vote_entity")
        # Co-owners each keep their own ballot; the household rule (votes.households) derives the entity's.
        await engine.run_ddl("CREATE UNIQUE INDEX vote_ballot_vote_entity_voter ON vote_ballot (vote, entity, voter)")
        await engine.run_ddl("DROP INDEX vote_paper_ballot_vote_serial")
        # One printed ballot per voting entity, signed by each co-owner on their own copy.
        await engine.run_ddl(
            "CREATE UNIQUE INDEX vote_paper_ballot_vote_serial_signer ON vote_paper_ballot (vote, serial, signer)"
        )

    async def run_backwards():
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX vote_paper_ballot_vote_serial_signer")
        await engine.run_ddl("CREATE UNIQUE INDEX vote_paper_ballot_vote_serial ON vote_paper_ballot (vote, serial)")
        await engine.run_ddl("DROP INDEX vote_ballot_vote_entity_voter")
        await engine.run_ddl("CREATE UNIQUE INDEX vote_ballot_vote_entity ON vote_ballot (vote, entity)")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
