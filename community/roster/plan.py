"""Plan a register import from what the database holds: what to create, update, deactivate and relink."""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from json.encoder import encode_basestring as _encode_string
from operator import attrgetter
from typing import Final, Literal

from community.roster.template import FlatKey, FlatRow, IdentityKey, PersonRef, RegisterDiff, diff_register

Relation = Literal["owner", "tenant"]
UnitKey = tuple[str, str, str]
BuildingKey = tuple[str, str]

_OWNER_FIELDS: Final = frozenset({"owners"})
_TENANT_FIELDS: Final = frozenset({"tenants"})


def _json_list(items: Iterable[str]) -> str:
    # Exactly json.dumps(list(items), ensure_ascii=False, separators=(",", ":")), which encodes each string with
    # this very function; five times faster, and a 100,000-flat import makes hundreds of thousands of keys.
    return "[" + ",".join(map(_encode_string, items)) + "]"


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


def person_key(identity: IdentityKey) -> str:
    """The text stored in Person.identity_key for an owner (unique per community).

    Interned: a 100,000-flat import makes one per owner on every row, and the snapshot's, the plan's and the
    links' keys of one person are then one string, not three."""
    return sys.intern(_json_list(identity))


def tenant_key(name: str, flat: FlatKey) -> str:
    """A tenant is known only by name, so the same name in another flat is another person (interned too)."""
    return sys.intern(_json_list(("tenant", name, *flat)))


def owner_keys(row: FlatRow) -> list[str]:
    return [person_key(owner.identity_key(row.compound)) for owner in row.owners]


def designated_voter_key(row: FlatRow) -> str | None:
    """The person the register names as voter: the first co-owner with that name."""
    if row.designated_voter is None:
        return None
    for owner in row.owners:
        if owner.name == row.designated_voter:
            return person_key(owner.identity_key(row.compound))
    return None


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
    people: Mapping[str, int]
    person_phones: Mapping[int, str | None]

    def active_rows(self) -> list[FlatRow]:
        return [flat.row for flat in self.flats.values() if flat.active]

    def fingerprint(self) -> str:
        return register_fingerprint(self.active_rows())


EMPTY_SNAPSHOT: Final = Snapshot({}, {}, {}, {}, {}, {})


@dataclass(frozen=True, slots=True)
class NewPerson:
    key: str
    name: str
    id_suffix: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Link:
    """A person attached to a flat by the register; `phone` is the owner's phone as written on the row."""

    flat: FlatKey
    person: str
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
    links: tuple[Link, ...]  # the new owners/tenants of the relinked flats
    dropped: tuple[tuple[int, int], ...]  # (flat id, person id) links that end

    @property
    def is_empty(self) -> bool:
        return self.diff.is_empty and not self.phone_updates

    @property
    def work(self) -> int:
        """Rows to write, for a progress bar."""
        return (
            len(self.new_people)
            + len(self.insert_flats)
            + len(self.update_flats)
            + len(self.deactivate_flats)
            + len(self.links)
        )


def _links_of(row: FlatRow, owners: bool, tenants: bool) -> list[Link]:
    links: list[Link] = []
    if owners:
        links += [
            Link(row.key, person_key(owner.identity_key(row.compound)), "owner", owner.phone)
            for owner in row.owners
        ]
    if tenants:
        links += [Link(row.key, tenant_key(name, row.key), "tenant") for name in row.tenants]
    return links


def _owners(rows: Iterable[FlatRow]) -> tuple[dict[str, PersonRef], dict[str, str | tuple[str, ...]]]:
    """Each owner of the register by person key, in the order the rows first name them: as first written, and
    the phones the rows give them, in order (one phone is the string itself, not a tuple: a register names
    some 180,000 people, and their records once cost ~100 MiB)."""
    first: dict[str, PersonRef] = {}
    phones: dict[str, str | tuple[str, ...]] = {}
    for row in rows:
        for owner in row.owners:
            key = person_key(owner.identity_key(row.compound))
            first.setdefault(key, owner)
            phone = owner.phone
            if phone:
                known = phones.get(key)
                if known is None:
                    phones[key] = phone
                elif isinstance(known, str):
                    if known != phone:
                        phones[key] = (known, phone)
                elif phone not in known:
                    phones[key] = (*known, phone)
    return first, phones


def plan_import(snapshot: Snapshot, new_rows: Sequence[FlatRow], remove: bool = True) -> ImportPlan:
    """What importing `new_rows` (validated) into the community of `snapshot` must write.

    `remove=False` adds and updates only: flats of the register that the file does not list stay as they are
    (a partial file, e.g. only new rows, never removes anything unless removal is asked for)."""
    with paused_gc():
        return _plan_import(snapshot, new_rows, remove)


def _plan_import(snapshot: Snapshot, new_rows: Sequence[FlatRow], remove: bool) -> ImportPlan:
    rows = normalise_rows(new_rows)
    diff = diff_register(snapshot.active_rows(), rows)
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
    links: list[Link] = []
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
        links += _links_of(row, owners=True, tenants=True)
    for old, new, fields in diff.changed:
        stored = snapshot.flats[old.key]
        update_flats.append((stored.id, new))
        owners_changed = bool(_OWNER_FIELDS.intersection(fields))
        tenants_changed = bool(_TENANT_FIELDS.intersection(fields))
        if owners_changed:
            relink_owners.append(new.key)
            keep = set(owner_keys(new))
            old_keys = owner_keys(old)
            dropped += [
                (stored.id, pid) for pid, key in zip(stored.owner_ids, old_keys, strict=True) if key not in keep
            ]
        if tenants_changed:
            relink_tenants.append(new.key)
            keep = {tenant_key(name, new.key) for name in new.tenants}
            dropped += [
                (stored.id, pid)
                for pid, name in zip(stored.tenant_ids, old.tenants, strict=True)
                if tenant_key(name, old.key) not in keep
            ]
        links += _links_of(new, owners=owners_changed, tenants=tenants_changed)
    deactivate = [snapshot.flats[row.key].id for row in diff.removed]
    for row in diff.removed:
        stored = snapshot.flats[row.key]
        dropped += [(stored.id, pid) for pid in (*stored.owner_ids, *stored.tenant_ids)]

    new_people: dict[str, NewPerson] = {}
    phone_updates: list[tuple[int, str | None]] = []
    first, phones = _owners(rows)
    for key, owner in first.items():
        given = phones.get(key, ())
        given = (given,) if isinstance(given, str) else given
        first_phone = given[0] if given else None
        existing = snapshot.people.get(key)
        if existing is None:
            new_people[key] = NewPerson(key, owner.name, owner.id_suffix, first_phone)
        elif first_phone is not None and snapshot.person_phones.get(existing) not in given:
            # Only when the stored phone is no longer one the register gives: reordering rows writes nothing.
            phone_updates.append((existing, first_phone))
    del first, phones
    for link in links:
        if link.relation == "tenant" and link.person not in snapshot.people and link.person not in new_people:
            name = json.loads(link.person)[1]
            new_people[link.person] = NewPerson(link.person, name, None, None)

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
        links=tuple(links),
        dropped=tuple(dict.fromkeys(dropped)),
    )
