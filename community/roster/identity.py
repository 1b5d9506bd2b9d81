"""Who a register's row names: a person's identity (owner or tenant) and the key stored for it in Person.identity_key."""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import encode_basestring as _encode_string

from community.roster.template import FlatKey, FlatRow

Identity = tuple[str, ...]
"""A person as the import knows them: an owner's IdentityKey, or ("tenant", name, *flat key) for a tenant. Held as
a tuple of the row's own strings; the text stored in Person.identity_key (`person_key`) is made only to write a
person or to find one in the snapshot: a 100,000-flat register's 180,000 texts, interned, once cost ~35 MiB."""


def _json_list(items: Iterable[str]) -> str:
    # Exactly json.dumps(list(items), ensure_ascii=False, separators=(",", ":")), which encodes each string with
    # this very function; five times faster, and a 100,000-flat import makes hundreds of thousands of keys.
    return "[" + ",".join(map(_encode_string, items)) + "]"


def person_key(identity: Identity) -> str:
    """The text stored in Person.identity_key for a person (unique per community): the JSON list of the identity."""
    return _json_list(identity)


def identity_of_key(text: str) -> Identity | None:
    """The identity a Person.identity_key stands for; None for a key this module did not write."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return tuple(value) if isinstance(value, list) and all(isinstance(part, str) for part in value) else None


def tenant_identity(name: str, flat: FlatKey) -> Identity:
    """A tenant is known only by name, so the same name in another flat is another person."""
    return ("tenant", name, *flat)


def tenant_key(name: str, flat: FlatKey) -> str:
    return person_key(tenant_identity(name, flat))


def owner_identities(row: FlatRow) -> list[Identity]:
    return [owner.identity_key(row.compound) for owner in row.owners]


def designated_voter(row: FlatRow) -> Identity | None:
    """The person the register names as voter: the first co-owner with that name."""
    if row.designated_voter is None:
        return None
    for owner in row.owners:
        if owner.name == row.designated_voter:
            return owner.identity_key(row.compound)
    return None
