"""Import planning: people across rows, what a new, the same or a newer register writes, fingerprints."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from community.roster.identity import designated_voter, person_key, tenant_identity, tenant_key
from community.roster.plan import (
    EMPTY_SNAPSHOT,
    Snapshot,
    StoredFlat,
    natural_key,
    normalise_rows,
    plan_import,
    register_fingerprint,
    row_sort_key,
)
from community.roster.template import FlatRow, PersonRef

ZHANG = PersonRef("张伟", "1234", "13800138000")
LI = PersonRef("李娜", "567X", "13900139000")


def flat(room: str, *owners: PersonRef, building: str = "3", unit: str = "2", area: int = 8950, **changes) -> FlatRow:
    row = FlatRow(
        line=2,
        compound="阳光花园",
        building=building,
        unit=unit,
        floor=int(room[:-2]),
        room=room,
        area=area,
        area_source="registered",
        usage="residential",
        owners=owners,
        designated_voter=None,
        developer_unsold=not owners,
        tenants=(),
    )
    return replace(row, **changes)


def snapshot_of(rows: list[FlatRow], inactive: tuple[FlatRow, ...] = ()) -> Snapshot:
    """What the database would hold after importing `rows` (plus `inactive` flats removed earlier)."""
    people: dict[bytes, int] = {}
    phones: dict[int, str | None] = {}
    flats: dict = {}
    places: dict = {}

    def pid(text: str, phone: str | None = None) -> int:
        key = text.encode()
        if key not in people:
            people[key] = len(people) + 1
            phones[people[key]] = phone
        return people[key]

    for index, row in enumerate([*rows, *inactive], start=1):
        owners = tuple(pid(person_key(o.identity_key(row.compound)), o.phone) for o in row.owners)
        tenants = tuple(pid(tenant_key(name, row.key)) for name in row.tenants)
        flats[row.key] = StoredFlat(index, row not in inactive, replace(row, line=0), owners, tenants)
        places[row.compound] = 1
    return Snapshot(
        compounds={name: i for i, name in enumerate(places, start=1)},
        buildings={(r.compound, r.building): 1 for r in [*rows, *inactive]},
        units={(r.compound, r.building, r.unit): 1 for r in [*rows, *inactive]},
        flats=flats,
        people=people,
        person_phones=phones,
    )


def test_person_keys_follow_the_template_identity():
    assert json.loads(person_key(ZHANG.identity_key("阳光花园"))) == ["id", "张伟", "1234"]
    assert json.loads(person_key(PersonRef("张伟", None, "13800138000").identity_key("x"))) == [
        "phone",
        "张伟",
        "13800138000",
    ]
    assert json.loads(person_key(PersonRef("张伟").identity_key("阳光花园"))) == ["name", "张伟", "阳光花园"]
    # A tenant is known by name and flat only: the same name elsewhere is someone else.
    key = ("阳光花园", "3", "2", "301")
    assert tenant_key("王芳", key) != tenant_key("王芳", ("阳光花园", "3", "2", "302"))


def test_first_import_creates_places_people_flats_and_links():
    rows = [
        flat("301", ZHANG, LI, designated_voter="李娜", tenants=("王芳",)),
        flat("302"),
        flat("501", ZHANG, building="5"),  # 张伟 owns a second flat in another building
    ]
    plan = plan_import(EMPTY_SNAPSHOT, rows)
    assert plan.new_compounds == ("阳光花园",)
    assert plan.new_buildings == (("阳光花园", "3"), ("阳光花园", "5"))
    assert plan.new_units == (("阳光花园", "3", "2"), ("阳光花园", "5", "2"))
    assert len(plan.insert_flats) == 3 and not plan.update_flats
    # One person for 张伟 across both rows, plus 李娜 and the tenant.
    assert sorted(p.name for p in plan.new_people) == ["张伟", "李娜", "王芳"]
    assert [(link.person == ZHANG.identity_key("阳光花园"), link.relation) for link in plan.links].count(
        (True, "owner")
    ) == 2
    assert designated_voter(rows[0]) == LI.identity_key("阳光花园")
    assert not plan.is_empty and plan.work == 3 + 3 + 4


def test_the_same_register_again_plans_nothing():
    rows = [flat("301", ZHANG, LI, tenants=("王芳",)), flat("302")]
    plan = plan_import(snapshot_of(rows), rows)
    assert plan.is_empty
    assert plan.work == 0


def test_reordering_rows_and_owners_plans_nothing():
    rows = [flat("301", ZHANG, LI), flat("501", ZHANG, building="5")]
    again = [replace(rows[1], line=2), replace(rows[0], owners=(LI, ZHANG), line=3)]
    assert plan_import(snapshot_of(rows), again).is_empty


def test_a_changed_area_updates_the_flat_without_touching_its_people():
    rows = [flat("301", ZHANG)]
    newer = [replace(rows[0], area=9012)]
    plan = plan_import(snapshot_of(rows), newer)
    assert [(fid, row.area) for fid, row in plan.update_flats] == [(1, 9012)]
    assert plan.diff.changed[0][2] == ["area"]
    assert not plan.relink_owners and not plan.links and not plan.dropped and not plan.new_people


def test_a_new_owner_replaces_the_old_one_whose_link_ends():
    rows = [flat("301", ZHANG, LI)]
    snapshot = snapshot_of(rows)
    wang = PersonRef("王强", "0001")
    plan = plan_import(snapshot, [replace(rows[0], owners=(ZHANG, wang))])
    assert plan.relink_owners == (rows[0].key,)
    assert [p.name for p in plan.new_people] == ["王强"]
    li_id = snapshot.person_id(LI.identity_key("阳光花园"))
    assert plan.dropped == ((1, li_id),)
    assert {link.person for link in plan.links} == {ZHANG.identity_key("阳光花园"), wang.identity_key("阳光花园")}


def test_a_tenant_moving_out_ends_only_the_tenant_link():
    rows = [flat("301", ZHANG, tenants=("王芳",))]
    snapshot = snapshot_of(rows)
    plan = plan_import(snapshot, [replace(rows[0], tenants=())])
    assert plan.relink_tenants == (rows[0].key,) and not plan.relink_owners
    assert plan.dropped == ((1, snapshot.person_id(tenant_identity("王芳", rows[0].key))),)


def test_removed_flats_are_deactivated_and_come_back_as_updates():
    rows = [flat("301", ZHANG), flat("302", LI)]
    snapshot = snapshot_of(rows)
    plan = plan_import(snapshot, rows[:1])
    assert plan.deactivate_flats == (2,)
    assert plan.dropped == ((2, snapshot.person_id(LI.identity_key("阳光花园"))),)
    # Later the flat is back in the register: the same database row is reactivated, not inserted again.
    later = snapshot_of(rows[:1], inactive=(rows[1],))
    plan = plan_import(later, rows)
    assert not plan.insert_flats
    assert [fid for fid, _row in plan.update_flats] == [2]
    assert [row.key for row in plan.diff.added] == [rows[1].key]


def test_a_changed_phone_is_stored_but_reordering_writes_nothing():
    rows = [flat("301", ZHANG)]
    moved = replace(ZHANG, phone="13700000000")
    plan = plan_import(snapshot_of(rows), [replace(rows[0], owners=(moved,))])
    assert plan.phone_updates == ((1, "13700000000"),)
    # The same person listed with two phones: the stored one is still among them, so no update.
    two = [flat("301", ZHANG), flat("501", replace(ZHANG, phone="13700000000"), building="5")]
    assert plan_import(snapshot_of(two), list(reversed(two))).phone_updates == ()


def test_a_tenant_listed_twice_is_one_tenant():
    rows = normalise_rows([flat("301", ZHANG, tenants=("王芳", "王芳", "赵六"))])
    assert rows[0].tenants == ("王芳", "赵六")
    assert plan_import(snapshot_of(rows), [flat("301", ZHANG, tenants=("王芳", "王芳", "赵六"))]).is_empty


def test_fingerprint_ignores_order_and_line_numbers():
    rows = [flat("301", ZHANG, LI), flat("302")]
    assert register_fingerprint(rows) == register_fingerprint(
        [replace(rows[1], line=9), replace(rows[0], owners=(LI, ZHANG), line=1)]
    )
    assert register_fingerprint(rows) != register_fingerprint([replace(rows[0], area=1), rows[1]])
    assert snapshot_of(rows).fingerprint() == register_fingerprint(rows)


def test_natural_order_of_buildings_and_rooms():
    names = ["10号楼", "2号楼", "1号楼", "B", "A"]
    assert sorted(names, key=natural_key) == ["1号楼", "2号楼", "10号楼", "A", "B"]
    rows = [flat("1201", ZHANG), flat("302", LI), flat("301", LI, building="10"), flat("101", LI, building="2")]
    assert [(r.building, r.room) for r in sorted(rows, key=row_sort_key)] == [
        ("2", "101"),
        ("3", "302"),
        ("3", "1201"),
        ("10", "301"),
    ]


rooms = st.lists(st.integers(min_value=101, max_value=999), min_size=1, max_size=15, unique=True)


@settings(max_examples=60, deadline=None)
@given(rooms, rooms, st.integers(min_value=0, max_value=3))
def test_plans_add_change_and_remove_exactly_the_difference(old_rooms, new_rooms, changed):
    old = [flat(str(r), ZHANG) for r in old_rooms]
    new = [flat(str(r), ZHANG, area=8950 + (changed if r % 2 else 0)) for r in new_rooms]
    plan = plan_import(snapshot_of(old), new)
    assert {r.room for r in plan.insert_flats} == {str(r) for r in set(new_rooms) - set(old_rooms)}
    assert len(plan.deactivate_flats) == len(set(old_rooms) - set(new_rooms))
    kept_changed = {str(r) for r in set(old_rooms) & set(new_rooms) if changed and r % 2}
    assert {row.room for _fid, row in plan.update_flats} == kept_changed
    # Applying the plan and planning again would change nothing: the new register is a fixed point.
    assert plan_import(snapshot_of(new), new).is_empty
