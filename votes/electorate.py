"""The electorate snapshot taken when a vote opens: unit labels, opaque owners, voting entities and the hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from votes.record import VoteRecord, record_to_json
from votes.rules import DEVELOPER, Flat, Settings, voting_entities
from votes.settings import VoteKind

# Entity keys longer than this are hashed, so they always fit the column (255) whatever the owner count.
_KEY_LIMIT: Final = 200


class RosterFlat(NamedTuple):
    """One flat of the roster as the snapshot needs it (internal ids included, names excluded).

    Named tuples, not dataclasses, for the two per-flat records: a community has 100,000 flats, and a
    frozen dataclass costs several times as much to create.
    """

    flat_id: int
    stairwell_unit_id: int
    compound: str
    building: str
    stairwell: str
    room: str
    floor: int
    area: int  # hundredths of m²
    usage: str = "residential"
    developer_unsold: bool = False
    owner_persons: tuple[int, ...] = ()
    designated_person: int | None = None
    resident_persons: tuple[int, ...] = ()


class SnapshotFlat(NamedTuple):
    """One flat as frozen into the vote: what the record publishes, plus internal person ids."""

    position: int
    unit: str
    stairwell: str
    floor: int
    area: int
    developer_unsold: bool
    owners: tuple[str, ...]  # opaque ids, sorted
    owner_persons: tuple[tuple[str, int], ...]  # (opaque id, person id)
    designated_voter: str | None
    designated_person: int | None
    resident_persons: tuple[int, ...]
    flat_id: int
    entity_key: str


@dataclass(frozen=True, slots=True)
class SnapshotEntity:
    """A voting entity: its key, its number (1…N, the paper ballot's serial), its units and area."""

    key: str
    number: int
    units: tuple[str, ...]
    area: int
    developer: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    flats: tuple[SnapshotFlat, ...]
    entities: tuple[SnapshotEntity, ...]
    electorate_hash: str

    @property
    def total_area(self) -> int:
        return sum(entity.area for entity in self.entities)


class SnapshotProblem(ValueError):
    """The roster cannot give a countable electorate (e.g. flats without a registered owner)."""

    def __init__(self, message: str, units: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.units = tuple(units)


def unit_labels(flats: Sequence[RosterFlat]) -> list[str]:
    """ "3-2-601" (building-stairwell unit-room); prefixed with the compound when the scope spans several."""
    several_compounds = len({flat.compound for flat in flats}) > 1
    labels = []
    for flat in flats:
        label = f"{flat.building}-{flat.stairwell}-{flat.room}"
        labels.append(f"{flat.compound} {label}" if several_compounds else label)
    return labels


def stairwell_label(flat: RosterFlat, several_compounds: bool) -> str:
    label = f"{flat.building}-{flat.stairwell}"
    return f"{flat.compound} {label}" if several_compounds else label


def owners_key(owners: Sequence[str]) -> str:
    key = "owners:" + ",".join(sorted(owners))
    if len(key) <= _KEY_LIMIT:
        return key
    return "owners#" + hashlib.sha256(key.encode()).hexdigest()


def rules_flats(flats: Sequence[SnapshotFlat]) -> list[Flat]:
    """The snapshot as the pure counting rules take it."""
    return [
        Flat(
            unit=flat.unit,
            area=flat.area,
            owners=frozenset(flat.owners),
            designated_voter=flat.designated_voter,
            developer_unsold=flat.developer_unsold,
        )
        for flat in flats
    ]


def electorate_hash(flats: Sequence[Flat]) -> str:
    """SHA-256 of the record's "electorate" array as canonical JSON (sorted keys, no spaces, UTF-8).

    Anyone holding the published record can recompute it and compare it with the hash shown when the
    vote opened.
    """
    record = VoteRecord(matter=1, settings=Settings(), flats=tuple(flats), ballots=())
    electorate = record_to_json(record)["electorate"]
    canonical = json.dumps(electorate, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_snapshot(
    kind: VoteKind,
    roster: Sequence[RosterFlat],
    opaque: Callable[[int], str],
    include_parking: bool = False,
) -> Snapshot:
    """Freeze the roster flats of a vote's scope into its electorate.

    Owners' votes and polls: voting entities per Art. 278 (one owner of several flats = one; all unsold
    developer flats = one; co-owners = one). Residents' meetings: one household per flat that has anyone
    attached. `opaque(person_id)` gives the id the published record shows instead of a name.
    Raises SnapshotProblem when the scope has no flats or a flat has no registered owner.
    """
    chosen = [flat for flat in roster if include_parking or flat.usage != "parking"]
    if kind == "residents":
        # A household is a flat someone is registered in; unsold developer stock has nobody to represent it.
        chosen = [flat for flat in chosen if flat.owner_persons or flat.resident_persons]
    if not chosen:
        raise SnapshotProblem("The scope of this vote contains no flats. Check the scope and the roster.")
    labels = unit_labels(chosen)
    several = len({flat.compound for flat in chosen}) > 1
    if kind != "residents":
        ownerless = [label for flat, label in zip(chosen, labels, strict=True) if not flat.owner_persons and not flat.developer_unsold]
        if ownerless:
            raise SnapshotProblem("Some flats in the scope have no registered owner. Complete the roster first.", ownerless)
    flats: list[SnapshotFlat] = []
    counted: list[Flat] = []  # the same flats as the counting rules take them
    for position, (flat, label) in enumerate(zip(chosen, labels, strict=True)):
        pairs = tuple(sorted((opaque(person), person) for person in set(flat.owner_persons)))
        owners = tuple(opaque_id for opaque_id, _person in pairs)
        designated = None
        if flat.designated_person is not None and flat.designated_person in flat.owner_persons:
            designated = opaque(flat.designated_person)
        if kind == "residents":
            key = "flat:" + label
        elif flat.developer_unsold:
            key = DEVELOPER
        else:
            key = owners_key(owners)
        flats.append(
            SnapshotFlat(
                position=position,
                unit=label,
                stairwell=stairwell_label(flat, several),
                floor=flat.floor,
                area=flat.area,
                developer_unsold=flat.developer_unsold,
                # The record lists a developer unit with no owners: the developer entity votes as "developer".
                owners=() if flat.developer_unsold else owners,
                owner_persons=pairs,
                designated_voter=None if flat.developer_unsold else designated,
                designated_person=None if flat.developer_unsold else (flat.designated_person if designated else None),
                resident_persons=tuple(sorted(set(flat.resident_persons))),
                flat_id=flat.flat_id,
                entity_key=key,
            )
        )
        if kind != "residents":
            counted.append(
                Flat(label, flat.area, frozenset(() if flat.developer_unsold else owners),
                     None if flat.developer_unsold else designated, flat.developer_unsold)
            )
    if kind == "residents":
        entities = tuple(
            SnapshotEntity(flat.entity_key, number, (flat.unit,), flat.area, False)
            for number, flat in enumerate(flats, start=1)
        )
        # Households are not Art. 278 entities; the hash still covers every unit and area.
        hashed = [Flat(flat.unit, flat.area, frozenset({flat.entity_key})) for flat in flats]
    else:
        hashed = counted
        # An entity's key is the one its first flat already has (the same owners, or the developer).
        key_of_unit = {flat.unit: flat.entity_key for flat in flats}
        entities = tuple(
            SnapshotEntity(
                key=key_of_unit[entity.units[0]],
                number=number,
                units=entity.units,
                area=entity.area,
                developer=entity.is_developer,
            )
            for number, entity in enumerate(voting_entities(hashed), start=1)
        )
    return Snapshot(flats=tuple(flats), entities=entities, electorate_hash=electorate_hash(hashed))
