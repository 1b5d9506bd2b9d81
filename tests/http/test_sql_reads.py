"""The helpers behind the phone pages' few statements give exactly what Piccolo's own reads give, on both engines:
rows aggregated as JSON (community.sqljson) and queries built once (community.prepared)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_votes_casting import make_world

from community.db import is_postgres
from community.prepared import PLACEHOLDER_IDS, Prepared
from community.sqljson import nested
from community.tables import Flat
from deliberation.tables import Meeting


@pytest.fixture
async def world(make_account):
    return await make_world(make_account)


async def test_rows_read_as_json_are_the_rows_piccolo_reads(world):
    """Timestamps (UTC), booleans, JSON text, integers and nulls come back as Piccolo gives them."""
    rows = await Meeting.insert(
        Meeting(community=world.community_id, kind="owners", title="业主大会 \"引号\" {括号}", scope_kind="flats",
                scope_ids=[world.flats["3-2-101"]], starts_at=datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC),
                speaking_limit=90),
        Meeting(community=world.community_id, kind="bench", title="第二次"),
    ).returning(Meeting.id)  # fmt: skip
    part = nested(is_postgres(), "m", tuple(Meeting._meta.columns), "FROM meeting m WHERE m.community = {}", order="m.id")
    found = await Meeting.raw(f"SELECT {part.sql} AS x", world.community_id)  # noqa: S608 - literals only
    expected = await Meeting.select().where(Meeting.community == world.community_id).order_by(Meeting.id)
    assert part.rows(found[0]["x"]) == expected
    assert [r["id"] for r in expected] == [r["id"] for r in rows]
    empty = await Meeting.raw(f"SELECT {part.sql} AS x", -1)  # noqa: S608 - literals only
    assert part.rows(empty[0]["x"]) == []


async def test_a_prepared_query_reads_what_the_query_built_again_reads(world):
    def build(flat_id: int):  # type: ignore[no-untyped-def]
        return Flat.select(Flat.id, Flat.area, Flat.active, Flat.stairwell_unit.name).where(Flat.id == flat_id)

    prepared = Prepared(build, PLACEHOLDER_IDS[0])
    for flat_id in world.flats.values():
        assert await prepared.run(flat_id) == await build(flat_id)
    assert await prepared.run(-1) == []
    with pytest.raises(ValueError, match="occurs 2 times"):
        await Prepared(lambda i: Flat.select(Flat.id).where((Flat.id == i) | (Flat.floor == i)), PLACEHOLDER_IDS[0]).run(1)
