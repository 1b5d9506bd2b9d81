"""Small bounded lists read inside one statement: a scalar subquery aggregating rows into JSON, in SQLite's or
PostgreSQL's dialect, and the rows turned back into the dicts Piccolo's own select would give (same keys, same
Python types), so a page reads its meeting with the agenda, guests and queue in one trip to the database.

Only for lists a page shows whole and that stay small (an agenda, a queue, guests, links): never for a thread or
a register, which page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from piccolo.columns import JSON, JSONB, Boolean, Column, Date, Numeric, Timestamp, Timestamptz

Convert = Callable[[Any], Any] | None


def timestamptz(value: Any) -> Any:
    """A timestamp as Piccolo gives it (aware, UTC) from what a raw read returned: SQLite's text (a column of a
    UNION, of a JSON aggregate or of a raw SELECT) or PostgreSQL's datetime."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    # SQLite keeps UTC text; PostgreSQL writes the session's offset: both as Piccolo gives them, in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _timestamp(value: Any) -> Any:
    return value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)


def _date(value: Any) -> Any:
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _boolean(value: Any) -> Any:
    return None if value is None else bool(value)


def _numeric(value: Any) -> Any:
    return None if value is None else Decimal(str(value))


def _json_text(value: Any) -> Any:
    # Piccolo gives a JSON column as its text: PostgreSQL nests it as JSON, SQLite as a string.
    return value if value is None or isinstance(value, str) else json.dumps(value)


def converter(column: Column) -> Convert:
    """How a value of this column comes back from a JSON aggregate (None: as it is)."""
    if isinstance(column, Timestamptz):
        return timestamptz
    if isinstance(column, Timestamp):
        return _timestamp
    if isinstance(column, Date):
        return _date
    if isinstance(column, Boolean):
        return _boolean
    if isinstance(column, Numeric):
        return _numeric
    if isinstance(column, JSON | JSONB):
        return _json_text
    return None


@dataclass(frozen=True)
class Nested:
    """A scalar subquery (`sql`) giving rows with these `keys`, and how to turn each value back."""

    sql: str
    keys: tuple[str, ...]
    converts: tuple[Convert, ...]

    def rows(self, value: Any) -> list[dict[str, Any]]:
        out = []
        for values in loads(value):
            row = dict(zip(self.keys, values, strict=True))
            for key, convert in zip(self.keys, self.converts, strict=True):
                if convert is not None:
                    row[key] = convert(row[key])
            out.append(row)
        return out


def loads(value: Any) -> list[Any]:
    """A JSON aggregate as the driver returns it (text on both engines, unless a codec already decoded it)."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else list(value)


def aggregate(postgres: bool, expressions: Sequence[str], rest: str, order: str = "", limit: int | None = None) -> str:
    """A scalar subquery giving the rows of `SELECT expressions rest` as a JSON array of arrays ('[]' if none).
    `order` (an ORDER BY list over `rest`'s tables) fixes the order of the rows on both engines; `limit` keeps
    the first rows in that order."""
    listed = ", ".join(expressions)
    if postgres and limit is None:
        by = f" ORDER BY {order}" if order else ""
        return f"(SELECT COALESCE(json_agg(json_build_array({listed}){by}), '[]'::json) {rest})"
    if not order:
        return f"(SELECT json_group_array(json_array({listed})) {rest})"
    # SQLite (before 3.44) has no ORDER BY in an aggregate: it aggregates rows in the order its FROM gives them.
    # With a limit, both engines take the first rows in a subquery; PostgreSQL then orders by their number.
    inner = ", ".join(f"{e} AS c{i}" for i, e in enumerate(expressions))
    outer = ", ".join(f"c{i}" for i in range(len(expressions)))
    first = "" if limit is None else f" LIMIT {int(limit)}"
    if postgres:
        return (f"(SELECT COALESCE(json_agg(json_build_array({outer}) ORDER BY rn), '[]'::json) FROM "  # noqa: S608
                f"(SELECT {inner}, ROW_NUMBER() OVER (ORDER BY {order}) AS rn {rest} ORDER BY {order}{first}) x)")
    return f"(SELECT json_group_array(json_array({outer})) FROM (SELECT {inner} {rest} ORDER BY {order}{first}))"  # noqa: S608


def nested(
    postgres: bool,
    alias: str,
    columns: Sequence[Column],
    rest: str,
    order: str = "",
    extra: Mapping[str, tuple[str, Convert]] | None = None,
    limit: int | None = None,
) -> Nested:
    """Rows of a table (`alias` in `rest`: "FROM agenda_item i WHERE …") with these columns keyed by name as
    Piccolo gives them, plus `extra` keys computed by SQL expressions (a joined name, say)."""
    keys = [c._meta.name for c in columns]
    expressions = [f"{alias}.{c._meta.db_column_name}" for c in columns]
    converts = [converter(c) for c in columns]
    for key, (expression, convert) in (extra or {}).items():
        keys.append(key)
        expressions.append(expression)
        converts.append(convert)
    return Nested(aggregate(postgres, expressions, rest, order, limit), tuple(keys), tuple(converts))
