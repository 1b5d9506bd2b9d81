"""HTTP tests go through the app and the database: every test here gets the database, emptied after it."""

import pytest


@pytest.fixture(autouse=True)
def _database(database: None) -> None:
    pass
