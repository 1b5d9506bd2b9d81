"""Plan a register import from what the database holds: what to create, update, deactivate and relink."""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Final, Literal, TypeVar

from community.roster.identity import Identity, owner_identities, person_key, tenant_identity
from community.roster.template import FlatKey, FlatRow, PersonRef, RegisterDiff, diff_register

Relation = Literal["owner", "tenant"]
UnitKey = tuple[str, str, str]
BuildingKey = tuple[str, str]
_P = TypeVar("_P")

_OWNER_FIELDS: Final = frozenset({"owners"})
_TENANT_FIELDS: Final = frozenset({"tenants"})


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cycle collector off while a register's hundreds of thousands of objects are made: its passes over a
    growing heap cost more than the work itself (none of these objects form cycles; it runs again after)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_DIGITS: Final = re.compile(r"(\d+)")


# Remembered: names and room numbers repeat across a register, and sorting 100,000 rows made a key of new
# tuples for each (~60 MiB at once, printing a large import).
@functools.lru_cache(maxsize=1 << 16)
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort "2号楼" before "10号楼" and room "302" before "1201"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


def row_sort_key(row: FlatRow) -> tuple[object, ...]:
    return (
        natural_key(row.compound),
        natural_key(row.building),
        natural_key(row.unit),
        row.floor,
        natural_key(row.room),
    )


def normalise_rows(rows: Iterable[FlatRow]) -> list[FlatRow]:
    """Rows as the database can hold them: a tenant listed twice on one flat is one tenant."""
    result: list[FlatRow] = []
    for row in rows:
        tenants = tuple(dict.fromkeys(row.tenants))
        result.append(row if tenants == row.tenants else replace(row, tenants=tenants))
    return result


def _canonical(row: FlatRow) -> tuple[object, ...]:
    return (
        row.key,
        row.floor,
        row.area,
        row.area_source,
        row.usage,
        tuple(sorted((o.name, o.id_suffix or "", o.phone or "") for o in row.owners)),
        row.designated_voter or "",
        row.developer_unsold,
        tuple(sorted(row.tenants)),
    )


def register_fingerprint(rows: Iterable[FlatRow]) -> str:
    """A hash of a register's content (not its order or line numbers): "apply" checks that the register it
    changes is still the one the preview was computed against.

    The SHA-256 of json.dumps(sorted canonical rows), fed a row at a time: the whole text of a 100,000-flat
    register at once cost ~100 MiB. A register has each flat (its key, the first item) once, so sorting by the
    key is sorting by the canonical row."""
    digest = hashlib.sha256(b"[")
    separator = b""
    with paused_gc():
        for row in sorted(rows, key=_key):
            digest.update(separator)
            digest.update(json.dumps(_canonical(row), ensure_ascii=False).encode())
            separator = b", "
    digest.update(b"]")
    return digest.hexdigest()


_key: Final = attrgetter("key")


@dataclass(frozen=True, slots=True)
class StoredFlat:
    """A flat as the database holds it, written back as a register row."""

    id: int
    active: bool
    row: FlatRow
    owner_ids: tuple[int, ...]
    tenant_ids: tuple[int, ...]


@dataclass(frozen=True)
class Snapshot:
    """One community's register in the database: places by name, flats by key, people by identity."""

    compounds: Mapping[str, int]
    buildings: Mapping[BuildingKey, int]
    units: Mapping[UnitKey, int]
    flats: Mapping[FlatKey, StoredFlat]
    # By Person.identity_key in UTF-8 (bytes take half the memory of the Chinese text). Only the people a plan must
    # find by identity (load_snapshot): the owners of a flat that lists them already are its owner_ids.
    people: Mapping[bytes, int]
    person_phones: Mapping[int, str | None]  # of the owners of stored flats and of the people in `people`
    last_person_id: int = 0  # the highest Person.id of the community

    def person_id(self, identity: Identity) -> int | None:
        return self.people.get(person_key(identity).encode()) if self.people else None

    def active_rows(self) -> list[FlatRow]:
        return [flat.row for flat in self.flats.values() if flat.active]

    def fingerprint(self) -> str:
        return register_fingerprint(self.active_rows())


EMPTY_SNAPSHOT: Final = Snapshot({}, {}, {}, {}, {}, {})


@dataclass(frozen=True, slots=True)
class NewPerson:
    identity: Identity
    name: str
    id_suffix: str | None
    phone: str | None

    @property
    def key(self) -> str:
        return person_key(self.identity)


@dataclass(frozen=True, slots=True)
class Link:
    """A person attached to a flat by the register; `phone` is the owner's phone as written on the row."""

    flat: FlatKey
    person: Identity
    relation: Relation
    phone: str | None = None


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import writes; empty when the register already says the same."""

    diff: RegisterDiff
    new_compounds: tuple[str, ...]
    new_buildings: tuple[BuildingKey, ...]
    new_units: tuple[UnitKey, ...]
    new_people: tuple[NewPerson, ...]
    phone_updates: tuple[tuple[int, str | None], ...]
    insert_flats: tuple[FlatRow, ...]
    update_flats: tuple[tuple[int, FlatRow], ...]  # changed, or removed earlier and back now
    deactivate_flats: tuple[int, ...]
    relink_owners: tuple[FlatKey, ...]
    relink_tenants: tuple[FlatKey, ...]
    link_count: int  # how many links `links` gives
    dropped: tuple[tuple[int, int], ...]  # (flat id, person id) links that end

    @property
    def is_empty(self) -> bool:
        return self.diff.is_empty and not self.phone_updates

    def iter_links(self, relation: Relation | None = None) -> Iterator[Link]:
        """The new owners/tenants of the relinked flats, made as they are written: held all at once, the links of a
        first import of 100,000 flats cost ~10 MiB."""
        return _iter_links(self.diff, relation)

    @property
    def links(self) -> tuple[Link, ...]:
        return tuple(self.iter_links())

    @property
    def work(self) -> int:
        """Rows to write, for a progress bar."""
        return (
            len(self.new_people)
            + len(self.insert_flats)
            + len(self.update_flats)
            + len(self.deactivate_flats)
            + self.link_count
        )


class _ActiveRows(Mapping[FlatKey, FlatRow]):
    """The active flats' rows of a snapshot by key, read through its own mapping."""

    def __init__(self, flats: Mapping[FlatKey, StoredFlat]) -> None:
        self._flats = flats

    def __getitem__(self, key: FlatKey) -> FlatRow:
        flat = self._flats[key]
        if not flat.active:
            raise KeyError(key)
        return flat.row

    def __iter__(self) -> Iterator[FlatKey]:
        return (key for key, flat in self._flats.items() if flat.active)

    def __len__(self) -> int:
        return sum(1 for flat in self._flats.values() if flat.active)


def _relinked(diff: RegisterDiff) -> Iterator[tuple[FlatRow, bool, bool]]:
    """Each flat whose people are written again: (row, its owners?, its tenants?), in the order they are linked."""
    for row in diff.added:
        yield row, True, True
    for _old, new, fields in diff.changed:
        owners, tenants = bool(_OWNER_FIELDS.intersection(fields)), bool(_TENANT_FIELDS.intersection(fields))
        if owners or tenants:
            yield new, owners, tenants


def _iter_links(diff: RegisterDiff, relation: Relation | None) -> Iterator[Link]:
    for row, owners, tenants in _relinked(diff):
        if owners and relation != "tenant":
            for owner in row.owners:
                yield Link(row.key, owner.identity_key(row.compound), "owner", owner.phone)
        if tenants and relation != "owner":
            for name in row.tenants:
                yield Link(row.key, tenant_identity(name, row.key), "tenant")


def stored_owner_ids(stored: StoredFlat | None, row: FlatRow) -> tuple[int, ...] | None:
    """The people of `row`'s owners, in order, when its flat is stored listing the very same owners."""
    if stored is None or not stored.active or stored.row.owners != row.owners:
        return None
    return stored.owner_ids


def looked_up(stored: StoredFlat | None, row: FlatRow) -> tuple[bool, bool]:
    """Whether a plan for `row` finds its owners, and its tenants, by identity in Snapshot.people: owners unless
    stored_owner_ids knows them; tenants when they are linked again (a new or returning flat, other tenants)."""
    tenants = stored is None or not stored.active or stored.row.tenants != row.tenants
    return stored_owner_ids(stored, row) is None, tenants


def _add_phone(phones: dict[_P, str | tuple[str, ...]], person: _P, phone: str | None) -> None:
    """The phones the rows give a person, in order: one phone is the string itself, not a tuple (a register names
    some 180,000 people, and their records once cost ~100 MiB)."""
    if not phone:
        return
    known = phones.get(person)
    if known is None:
        phones[person] = phone
    elif isinstance(known, str):
        if known != phone:
            phones[person] = (known, phone)
    elif phone not in known:
        phones[person] = (*known, phone)


def _people(
    snapshot: Snapshot, rows: Iterable[FlatRow]
) -> tuple[dict[Identity, PersonRef], dict[Identity, str | tuple[str, ...]], dict[int, str | tuple[str, ...]]]:
    """The register's owners in the order the rows first name them: those the snapshot lacks by identity (as first
    written, and their phones), and the phones of those it has, by person id. People already stored are held by
    their ids, which the snapshot holds anyway: a register imported again makes no record per person."""
    new: dict[Identity, PersonRef] = {}
    new_phones: dict[Identity, str | tuple[str, ...]] = {}
    stored_phones: dict[int, str | tuple[str, ...]] = {}
    for row in rows:
        known = stored_owner_ids(snapshot.flats.get(row.key), row)
        for position, owner in enumerate(row.owners):
            identity = owner.identity_key(row.compound)
            existing = known[position] if known is not None else snapshot.person_id(identity)
            if existing is None:
                new.setdefault(identity, owner)
                _add_phone(new_phones, identity, owner.phone)
            else:
                _add_phone(stored_phones, existing, owner.phone)
    return new, new_phones, stored_phones


def _first(phones: str | tuple[str, ...] | None) -> str | None:
    return phones if phones is None or isinstance(phones, str) else phones[0]


def plan_import(snapshot: Snapshot, new_rows: Sequence[FlatRow], remove: bool = True) -> ImportPlan:
    """What importing `new_rows` (validated) into the community of `snapshot` must write.

    `remove=False` adds and updates only: flats of the register that the file does not list stay as they are
    (a partial file, e.g. only new rows, never removes anything unless removal is asked for)."""
    with paused_gc():
        return _plan_import(snapshot, new_rows, remove)


def _plan_import(snapshot: Snapshot, new_rows: Sequence[FlatRow], remove: bool) -> ImportPlan:
    rows = normalise_rows(new_rows)
    diff = diff_register(_ActiveRows(snapshot.flats), rows)
    if not remove:
        diff = replace(diff, removed=[])

    compounds: dict[str, None] = {}
    buildings: dict[BuildingKey, None] = {}
    units: dict[UnitKey, None] = {}
    for row in rows:
        if row.compound not in snapshot.compounds:
            compounds[row.compound] = None
        if (row.compound, row.building) not in snapshot.buildings:
            buildings[(row.compound, row.building)] = None
        if (row.compound, row.building, row.unit) not in snapshot.units:
            units[(row.compound, row.building, row.unit)] = None

    insert_flats: list[FlatRow] = []
    update_flats: list[tuple[int, FlatRow]] = []
    relink_owners: list[FlatKey] = []
    relink_tenants: list[FlatKey] = []
    dropped: list[tuple[int, int]] = []
    for row in diff.added:
        stored = snapshot.flats.get(row.key)
        if stored is None:
            insert_flats.append(row)
        else:
            update_flats.append((stored.id, row))
            dropped += [(stored.id, pid) for pid in (*stored.owner_ids, *stored.tenant_ids)]
        relink_owners.append(row.key)
        relink_tenants.append(row.key)
    for old, new, fields in diff.changed:
        stored = snapshot.flats[old.key]
        update_flats.append((stored.id, new))
        if _OWNER_FIELDS.intersection(fields):
            relink_owners.append(new.key)
            keep = set(owner_identities(new))
            dropped += [
                (stored.id, pid)
                for pid, identity in zip(stored.owner_ids, owner_identities(old), strict=True)
                if identity not in keep
            ]
        if _TENANT_FIELDS.intersection(fields):
            relink_tenants.append(new.key)
            keep = {tenant_identity(name, new.key) for name in new.tenants}
            dropped += [
                (stored.id, pid)
                for pid, name in zip(stored.tenant_ids, old.tenants, strict=True)
                if tenant_identity(name, old.key) not in keep
            ]
    deactivate = [snapshot.flats[row.key].id for row in diff.removed]
    for row in diff.removed:
        stored = snapshot.flats[row.key]
        dropped += [(stored.id, pid) for pid in (*stored.owner_ids, *stored.tenant_ids)]

    new_people: dict[Identity, NewPerson] = {}
    phone_updates: list[tuple[int, str | None]] = []
    unknown, new_phones, stored_phones = _people(snapshot, rows)
    for identity, owner in unknown.items():
        new_people[identity] = NewPerson(identity, owner.name, owner.id_suffix, _first(new_phones.get(identity)))
    for existing, given in stored_phones.items():
        # Only when the stored phone is no longer one the register gives: reordering rows writes nothing.
        if snapshot.person_phones.get(existing) not in ((given,) if isinstance(given, str) else given):
            phone_updates.append((existing, _first(given)))
    del unknown, new_phones, stored_phones
    link_count = 0
    for link in _iter_links(diff, None):
        link_count += 1
        if link.relation == "tenant" and link.person not in new_people and snapshot.person_id(link.person) is None:
            new_people[link.person] = NewPerson(link.person, link.person[1], None, None)

    return ImportPlan(
        diff=diff,
        new_compounds=tuple(compounds),
        new_buildings=tuple(buildings),
        new_units=tuple(units),
        new_people=tuple(new_people.values()),
        phone_updates=tuple(phone_updates),
        insert_flats=tuple(insert_flats),
        update_flats=tuple(update_flats),
        deactivate_flats=tuple(deactivate),
        relink_owners=tuple(relink_owners),
        relink_tenants=tuple(relink_tenants),
        link_count=link_count,
        dropped=tuple(dict.fromkeys(dropped)),
    )
