"""Roster pages over a large register (issue 15): the not-yet-joined list stops reading once it has the people it
shows, with the same people, places and total as reading everything; the overview a page of buildings at a time."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from app.demo import DEMO_PASSWORD
from community.permissions import RosterAccess
from community.roster import controllers, search
from community.roster import snapshot as snapshot_module
from community.roster.snapshot import load_snapshot
from community.roster_demo import load_roster_demo_community as load_demo
from community.tables import Community


async def _demo() -> tuple[int, dict[tuple[str, str], int]]:
    await load_demo()
    demo = await Community.select(Community.id).where(Community.slug == "demo").first()
    snapshot = await load_snapshot(int(demo["id"]))
    return int(demo["id"]), dict(snapshot.buildings)


def _access(community_id: int, buildings: frozenset[int] | None = None) -> RosterAccess:
    return RosterAccess(community_id, frozenset({"facilitator"}), False, buildings, buildings)


@pytest.mark.parametrize("limit", [1, 7, 60, 200, 1000])
async def test_a_limited_list_is_the_start_of_the_whole_list(limit):
    community_id, buildings = await _demo()
    one = buildings[("阳光花园", "1")]
    for access, building in [
        (_access(community_id), None),
        (_access(community_id), one),
        (_access(community_id, frozenset({one, buildings[("和平新村", "1")]})), None),
    ]:
        everyone, total = await search.not_joined(access, building)
        shown, counted = await search.not_joined(access, building, limit=limit)
        assert counted == total == len(everyone)
        assert shown == everyone[:limit]


async def test_the_overview_shows_a_page_of_buildings(client, monkeypatch):
    await _demo()
    monkeypatch.setattr(controllers, "BUILDINGS_PER_PAGE", 2)
    await client.signin("13800000001", DEMO_PASSWORD)
    cards = lambda html: re.findall(r'href="/c/demo/roster/buildings/(\d+)"', html)  # noqa: E731
    first = (await client.get("/c/demo/roster")).text
    second = (await client.get("/c/demo/roster?page=2")).text
    assert len(cards(first)) == 2 and len(cards(second)) == 2 and not set(cards(first)) & set(cards(second))
    assert 'href="?page=2"' in first and "<dd>168</dd>" in second  # the totals stay those of the whole register


async def test_the_overview_counts_are_those_of_the_flats_one_by_one():
    from community.roster import service
    from community.tables import Flat, Ownership, Person, Residency, Verification

    community_id, _buildings = await _demo()
    owners = {(r["flat"], r["person"]) for r in await Ownership.select(Ownership.flat, Ownership.person)}
    verified = {r["flat"] for r in await Verification.select(Verification.flat, Verification.person).where(
        Verification.revoked_at.is_null()) if (r["flat"], r["person"]) in owners}  # fmt: skip
    with_account = {r["id"] for r in await Person.select(Person.id).where(Person.account.is_not_null())}
    joined = {r["flat"] for r in await Ownership.select(Ownership.flat, Ownership.person) if r["person"] in with_account}
    joined |= {r["flat"] for r in await Residency.select(Residency.flat, Residency.person) if r["person"] in with_account}
    expected: dict[int, tuple[int, int, int, int]] = {}
    for r in await Flat.select(Flat.id, Flat.stairwell_unit, Flat.developer_unsold).where(Flat.active.eq(True)):
        f, v, j, u = expected.get(r["stairwell_unit"], (0, 0, 0, 0))
        expected[r["stairwell_unit"]] = (f + 1, v + (r["id"] in verified), j + (r["id"] in joined),
                                         u + bool(r["developer_unsold"]))  # fmt: skip
    compounds, total = await service.overview(_access(community_id))
    counted = {u.id: (u.counts.flats, u.counts.verified, u.counts.joined, u.counts.unsold)
               for c in compounds for b in c.buildings for u in b.units}  # fmt: skip
    assert counted == expected
    assert total.verified > 0 and total.joined > 0 and total.unsold > 0


@pytest.mark.parametrize("size", [1, 7, 40])
async def test_the_register_read_a_slice_at_a_time_is_the_register_read_at_once(monkeypatch, size):
    community_id, _ = await _demo()
    whole = await load_snapshot(community_id)
    monkeypatch.setattr(snapshot_module, "SLICE", size)
    monkeypatch.setattr(snapshot_module, "CHUNK", 3)
    sliced = await load_snapshot(community_id)
    assert list(sliced.flats) == list(whole.flats)  # the same order: the preview lists removed flats in it
    assert sliced == whole


async def test_a_flat_the_file_repeats_is_held_as_the_files_row():
    community_id, _ = await _demo()
    whole = await load_snapshot(community_id)
    rows = [replace(flat.row, line=n + 2) for n, flat in enumerate(whole.flats.values()) if flat.active]
    rows[0] = replace(rows[0], area=rows[0].area + 1)
    held = await load_snapshot(community_id, rows)
    assert held.flats[rows[0].key].row == whole.flats[rows[0].key].row  # what the database says, not the file
    assert all(held.flats[row.key].row is row for row in rows[1:])
    assert held.fingerprint() == whole.fingerprint()
    assert held.person_phones == whole.person_phones
    # Every flat lists the file's owners already: nobody is looked up by identity (nor held by it).
    assert held.people == whole.people == {}


async def test_people_a_stored_flat_already_lists_are_found_through_it():
    """The snapshot looks up by identity only the people of flats that do not list them yet; the others are the
    flats' own owners. An import must still reuse every stored person, keep designated voters, and relink a flat
    that comes back to the same people."""
    from community.roster import importer
    from community.tables import Flat, Ownership, Person, Residency

    community_id, _ = await _demo()
    stored = await load_snapshot(community_id)
    rows = [flat.row for flat in stored.flats.values() if flat.active]
    co_owned = next(row for row in rows if row.designated_voter and len(row.owners) > 1)
    rented = next(row for row in rows if row.tenants and row.owners and row is not co_owned)
    other = next(row for row in rows if row.owners and row not in (co_owned, rented))
    people = await Person.count().where(Person.community == community_id)

    async def links(key):
        flat_id = (await load_snapshot(community_id)).flats[key].id
        owners = sorted(r["person"] for r in await Ownership.select(Ownership.person).where(Ownership.flat == flat_id))
        tenants = sorted(r["person"] for r in await Residency.select(Residency.person).where(Residency.flat == flat_id))
        voter = (await Flat.select(Flat.designated_voter).where(Flat.id == flat_id).first())["designated_voter"]
        return owners, tenants, voter

    before = {row.key: await links(row.key) for row in (co_owned, rented, other)}
    # A new flat owned by `other`'s owner (same identity), an area change on the co-owned flat, `rented` removed.
    extra = replace(other, room=other.room + "A", line=0)
    newer = [replace(row, area=row.area + 1) if row is co_owned else row for row in rows if row is not rented]
    assert (await importer.import_rows(community_id, [*newer, extra])).written
    assert await links(co_owned.key) == before[co_owned.key]  # the same owners and designated voter
    assert (await links(extra.key))[0] == before[other.key][0]  # the same person, not a second one
    assert await Person.count().where(Person.community == community_id) == people
    # `rented` comes back exactly as it was: the very same owners and tenants again.
    assert (await importer.import_rows(community_id, [*newer, extra, rented])).written
    assert await links(rented.key) == before[rented.key]
    assert await Person.count().where(Person.community == community_id) == people


async def test_a_large_import_refreshes_the_planners_statistics(monkeypatch):
    """PostgreSQL plans joins over the register from its statistics: after an import of many flats they are taken at
    once, not when autovacuum comes by (a 100,000-flat "not yet joined" count ran nested loops over every row)."""
    from community.bulk_sql import fetch_tuples
    from community.db import is_postgres
    from community.roster import importer

    community_id, _ = await _demo()
    rows = [flat.row for flat in (await load_snapshot(community_id)).flats.values() if flat.active]
    rows = [replace(row, area=row.area + 1) for row in rows]  # every flat changed
    monkeypatch.setattr(importer, "STATISTICS_AFTER", len(rows))
    analyses = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'flat'"
    before = (await fetch_tuples(analyses))[0][0] if is_postgres() else 0
    result = await importer.import_rows(community_id, rows)
    assert result.written and result.changed == len(rows)
    if is_postgres():
        assert (await fetch_tuples(analyses))[0][0] == before + 1


async def test_an_import_is_reported_done_when_refreshing_statistics_fails(monkeypatch, caplog):
    """The statistics are advice to the planner: the import has committed, and says so."""
    from community import bulk_sql
    from community.db import is_postgres
    from community.roster import importer

    community_id, _ = await _demo()
    rows = [replace(flat.row, area=flat.row.area + 1) for flat in (await load_snapshot(community_id)).flats.values()
            if flat.active]  # fmt: skip
    monkeypatch.setattr(importer, "STATISTICS_AFTER", 1)

    async def failing(sql: str, *args: object) -> list[object]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bulk_sql, "fetch_tuples", failing)
    result = await importer.import_rows(community_id, rows)
    assert result.written and result.changed == len(rows)
    monkeypatch.undo()
    assert {flat.row.area for flat in (await load_snapshot(community_id)).flats.values() if flat.active} == {
        row.area for row in rows}  # fmt: skip
    if is_postgres():
        assert "ANALYZE" in caplog.text
