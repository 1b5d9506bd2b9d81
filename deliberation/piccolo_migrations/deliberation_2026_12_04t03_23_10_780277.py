from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T03:23:10:780277"
VERSION = "1.38.0"
DESCRIPTION = "attachment sha256"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="deliberation", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Attachment",
        tablename="agenda_attachment",
        column_name="sha256",
        db_column_name="sha256",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
