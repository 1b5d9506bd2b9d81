"""Piccolo queries built once and run again with other values: building a select with joins (and resolving the
tables its foreign keys name lazily) costs more CPU than running it, on the reads every phone page makes.

`Prepared(build, *placeholders)`: `build(*placeholders)` makes the query; its SQL is compiled once per engine and
`key`, and each run puts its own values where the placeholders were. The results are processed by the query
itself (`.output(load_json=True)` and the like), exactly as if it had been built again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from piccolo.query.base import Query
from piccolo.querystring import QueryString

# Values no real row has, standing for the parameters while the query is built (each must occur once).
PLACEHOLDER_IDS = (-7_340_021_001, -7_340_021_002, -7_340_021_003)
PLACEHOLDER_TEXT = "\x01yishi-placeholder\x01"


@dataclass(frozen=True)
class _Built:
    query: Query[Any, Any]
    query_type: str
    template: str  # with {} where the values go (what the query counter prints)
    sql: str  # compiled for the engine
    args: list[Any]
    positions: list[int]  # where each placeholder's value goes in args


class Prepared:
    def __init__(self, build: Callable[..., Query[Any, Any]], *placeholders: Any) -> None:
        self._build = build
        self._placeholders = placeholders
        self._built: dict[Hashable, _Built] = {}

    def _prepare(self, key: Hashable) -> _Built:
        query = self._build(*self._placeholders)
        (querystring,) = query.querystrings
        _next, fragments, args = querystring.bundle(start_index=1, bundled=[], combined_args=[])
        template = "".join(f.prefix.replace("{", "{{").replace("}", "}}") + ("" if f.no_arg else "{}") for f in fragments)
        positions = []
        for placeholder in self._placeholders:
            found = [i for i, arg in enumerate(args) if type(arg) is type(placeholder) and arg == placeholder]
            if len(found) != 1:
                raise ValueError(f"placeholder {placeholder!r} occurs {len(found)} times in the query")
            positions.append(found[0])
        sql, _args = querystring.compile_string(engine_type=query.table._meta.db.engine_type)
        built = self._built[key] = _Built(query, querystring.query_type, template, sql, list(args), positions)
        return built

    async def run(self, *values: Any, key: Hashable = None) -> list[dict[str, Any]]:
        """The query's results with these values; `key`: what else the built query depends on (selected columns
        that are only known at run time, say)."""
        built = self._built.get(key) or self._prepare(key)
        args = list(built.args)
        for position, value in zip(built.positions, values, strict=True):
            args[position] = value
        querystring = QueryString(built.template, *args, query_type=built.query_type, table=built.query.table)
        querystring._frozen_compiled_strings = (built.sql, args)  # compiled once: only the values change
        results = await built.query.table._meta.db.run_querystring(querystring, in_pool=True)
        rows: list[dict[str, Any]] = await built.query._process_results(results)
        return rows
