"""HTTP tests go through the app and the database: every test here gets the database, emptied after it."""

import pytest


@pytest.fixture(autouse=True)
def _database(database: None) -> None:
    pass


@pytest.fixture
def live_log():
    """Every record the live layer logs during the test (a handler on its own logger: an app built in the test
    configures logging again, which takes pytest's capture off the root logger)."""
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("yishi.live")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)
