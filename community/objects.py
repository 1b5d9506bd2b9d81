"""Which community an object at a community address (/v/12, /m/3, …) belongs to, kept per process.

An object never moves to another community, so the answer can be kept. An id can only come back after a delete
on SQLite (rowids of the last row are reused; PostgreSQL's serials never are), and SQLite serves one process: the
few places that delete such objects call `forget`, which makes the cache exact on both engines."""

from __future__ import annotations

from collections import OrderedDict

from piccolo.table import Table

MAX_KEPT = 20_000  # a few hundred KB at most; the least recently used go first
_kept: OrderedDict[tuple[str, int], int | None] = OrderedDict()


async def community_of(prefix: str, table: type[Table], object_id: int) -> int | None:
    """The object's community, or None when there is no such object (never kept: it may be created)."""
    key = (prefix, object_id)
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key]
    row = await table.select(table._meta.get_column_by_name("community")).where(table._meta.primary_key == object_id).first()
    if row is None:
        return None
    _kept[key] = int(row["community"])
    if len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)
    return int(row["community"])


def forget(prefix: str, object_id: int) -> None:
    """Call when deleting the object at /prefix/object_id."""
    _kept.pop((prefix, object_id), None)


def forget_all() -> None:
    """After the tables were emptied (tests) or restored: ids start again."""
    _kept.clear()
