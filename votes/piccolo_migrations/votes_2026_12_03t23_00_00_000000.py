"""The vote setting "named_ballots" (labelled only "staff see who has not voted") becomes "disclosure".

Every existing vote and community default becomes `secret`: the old label promised owners nothing about
their neighbours seeing their choice, so no existing vote may start showing it. Staff still see who has
voted under `secret`, which is all "named" ever promised them. Written as plain SQL per row, for SQLite and
PostgreSQL alike."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-03T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "disclosure replaces named_ballots"


def _load(value: object) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def _converted(data: dict, fill: bool) -> dict:
    had = "named_ballots" in data
    data.pop("named_ballots", None)
    if had or fill:
        data["disclosure"] = "secret"
    return data


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="votes", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for row in await engine.run_querystring(QueryString("SELECT id, settings, overrides FROM vote")):
            settings = _load(row["settings"])
            overrides = _load(row["overrides"])
            new_settings = _converted(dict(settings), fill=bool(settings))
            new_overrides = _converted(dict(overrides), fill=False)
            if new_settings != settings or new_overrides != overrides:
                await engine.run_ddl(
                    "UPDATE vote SET settings = {}, overrides = {} WHERE id = {}".format(
                        _sql(json.dumps(new_settings)), _sql(json.dumps(new_overrides)), int(row["id"])
                    )
                )
        for row in await engine.run_querystring(QueryString("SELECT id, settings FROM community")):
            stored = _load(row["settings"])
            votes = stored.get("votes")
            if isinstance(votes, dict) and "named_ballots" in votes:
                stored["votes"] = _converted(dict(votes), fill=False)
                await engine.run_ddl(
                    "UPDATE community SET settings = {} WHERE id = {}".format(_sql(json.dumps(stored)), int(row["id"]))
                )

    async def run_backwards():
        pass  # "secret" is what the old default meant for owners; nothing to restore

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
