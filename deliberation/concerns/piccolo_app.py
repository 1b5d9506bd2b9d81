"""Piccolo app of the concerns package: concerns, their handling log, photos, ratings and monthly reports."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="concerns",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["deliberation.concerns.tables"], exclude_imported=True),
    migration_dependencies=["community.piccolo_app", "deliberation.piccolo_app", "deliberation.minutes.piccolo_app"],
    commands=[],
)
