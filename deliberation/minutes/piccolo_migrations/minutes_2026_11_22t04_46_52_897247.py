"""Publications carry meeting notices: a nullable link to the notice (its unique index is the next migration:
SQLite cannot add a UNIQUE column, and raw steps run before added columns)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Notice(Table, tablename="meeting_notice", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-22T04:46:52:897247"
VERSION = "1.38.0"
DESCRIPTION = "publications carry meeting notices"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="minutes", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Publication",
        tablename="publication",
        column_name="notice",
        db_column_name="notice",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Notice,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
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
