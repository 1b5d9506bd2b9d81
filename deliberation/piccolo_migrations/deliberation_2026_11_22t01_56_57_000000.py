"""Uniqueness and lookups the deliberation package relies on (raw CREATE INDEX works on both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:56:57:000000"
VERSION = "1.38.0"
DESCRIPTION = "deliberation indexes"

UNIQUE = {
    "meeting_notice_meeting_number": "meeting_notice (meeting, number)",
    "meeting_attendance_meeting_flat": "meeting_attendance (meeting, flat)",
    # One raised hand per person at a time; finished requests stay on record.
    "speaker_request_active": "speaker_request (meeting, account) WHERE status IN ('waiting', 'speaking')",
}
PLAIN = {
    # First page of a long thread: newest top-level comments of an item.
    "agenda_comment_item_parent_id": "agenda_comment (item, parent, id)",
    "agenda_comment_parent_id": "agenda_comment (parent, id)",
    "agenda_comment_meeting_id": "agenda_comment (meeting, id)",
    # The posting limit counts an account's recent comments.
    "agenda_comment_author_created": "agenda_comment (author, created_at)",
    "agenda_item_meeting_position": "agenda_item (meeting, position)",
    "speaker_request_meeting_status": "speaker_request (meeting, status, position)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deliberation", description=DESCRIPTION)

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
