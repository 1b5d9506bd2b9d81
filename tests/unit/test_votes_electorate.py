"""The electorate snapshot: unit labels, voting entities, opaque owners, households, parking and the hash."""

from __future__ import annotations

import pytest

from votes.electorate import (
    RosterFlat,
    SnapshotProblem,
    build_snapshot,
    electorate_hash,
    owners_key,
    rules_flats,
)
from votes.rules import DEVELOPER


def opaque(person: int) -> str:
    return f"p{person}"


def flat(flat_id: int, room: str, area: int = 10000, owners: tuple[int, ...] = (), **extra: object) -> RosterFlat:
    values: dict[str, object] = {
        "flat_id": flat_id, "stairwell_unit_id": 1, "compound": "幸福里", "building": "3", "stairwell": "2",
        "room": room, "floor": int(room) // 100 if room.isdigit() else 1, "area": area, "owner_persons": owners,
    }
    values.update(extra)
    return RosterFlat(**values)  # type: ignore[arg-type]


def test_entities_follow_art_278_and_the_spc_interpretation() -> None:
    snapshot = build_snapshot(
        "owners",
        [
            flat(1, "101", 7000, (1,)),
            flat(2, "102", 8000, (2, 3), designated_person=3),  # co-owners: one head
            flat(3, "201", 9000, (1,)),  # the same owner's second flat: same head, areas added
            flat(4, "202", 9000, (), developer_unsold=True),
            flat(5, "301", 9500, (), developer_unsold=True),  # all unsold flats: one developer head
            flat(6, "302", 6000, (1, 4)),  # owner 1 with someone else: another head
        ],
        opaque,
    )
    entities = {e.key: (e.units, e.area) for e in snapshot.entities}
    assert entities == {
        owners_key(["p1"]): (("3-2-101", "3-2-201"), 16000),
        owners_key(["p2", "p3"]): (("3-2-102",), 8000),
        DEVELOPER: (("3-2-202", "3-2-301"), 18500),
        owners_key(["p1", "p4"]): (("3-2-302",), 6000),
    }
    assert [e.number for e in snapshot.entities] == [1, 2, 3, 4]
    assert snapshot.total_area == 48500
    co_owned = snapshot.flats[1]
    assert co_owned.designated_voter == "p3" and co_owned.designated_person == 3
    developer = snapshot.flats[3]
    assert developer.owners == () and developer.entity_key == DEVELOPER


def test_labels_carry_the_compound_when_the_scope_spans_several() -> None:
    one = build_snapshot("owners", [flat(1, "101", owners=(1,))], opaque)
    assert one.flats[0].unit == "3-2-101" and one.flats[0].stairwell == "3-2"
    two = build_snapshot("owners", [flat(1, "101", owners=(1,)), flat(2, "101", owners=(2,), compound="和平")], opaque)
    assert [f.unit for f in two.flats] == ["幸福里 3-2-101", "和平 3-2-101"]


def test_ownerless_flats_stop_the_opening_and_are_named() -> None:
    with pytest.raises(SnapshotProblem) as raised:
        build_snapshot("owners", [flat(1, "101", owners=(1,)), flat(2, "102")], opaque)
    assert raised.value.units == ("3-2-102",)
    with pytest.raises(SnapshotProblem):
        build_snapshot("owners", [], opaque)


def test_parking_spaces_follow_the_setting() -> None:
    flats = [flat(1, "101", owners=(1,)), flat(2, "B01", 1200, (2,), usage="parking", floor=-1)]
    assert len(build_snapshot("owners", flats, opaque).flats) == 1
    assert len(build_snapshot("owners", flats, opaque, include_parking=True).flats) == 2


def test_residents_meeting_counts_households_with_tenants() -> None:
    snapshot = build_snapshot(
        "residents",
        [flat(1, "101", owners=(1,)), flat(2, "102", resident_persons=(5,)), flat(3, "201", owners=(1,)),
         flat(4, "202", developer_unsold=True)],
        opaque,
    )
    assert [e.key for e in snapshot.entities] == ["flat:3-2-101", "flat:3-2-102", "flat:3-2-201"]
    assert snapshot.flats[1].resident_persons == (5,)


def test_hash_changes_with_any_area_or_owner_and_not_with_internal_ids() -> None:
    base = build_snapshot("owners", [flat(1, "101", 7000, (1,)), flat(2, "102", 8000, (2,))], opaque)
    same = build_snapshot("owners", [flat(9, "101", 7000, (1,)), flat(8, "102", 8000, (2,))], opaque)
    area = build_snapshot("owners", [flat(1, "101", 7001, (1,)), flat(2, "102", 8000, (2,))], opaque)
    owner = build_snapshot("owners", [flat(1, "101", 7000, (3,)), flat(2, "102", 8000, (2,))], opaque)
    assert base.electorate_hash == same.electorate_hash
    assert len({base.electorate_hash, area.electorate_hash, owner.electorate_hash}) == 3
    assert electorate_hash(rules_flats(base.flats)) == base.electorate_hash


def test_very_large_owner_sets_still_fit_the_key_column() -> None:
    key = owners_key([f"p{i:012d}" for i in range(40)])
    assert len(key) <= 255 and key.startswith("owners#")
