"""Who may vote: the reads eligibility needs (the account's links, its proxies, the snapshot flats that concern it),
three statements in all, and the pure rule (votes.eligibility) applied to them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.accounts import CurrentUser
from community.roster.importer import REASON_REGISTER
from community.tables import Person
from votes.eligibility import AccountLinks, ElectorFlat, Eligibility, ProxyGrant, eligibility
from votes.services import VoteInfo, opaque_id
from votes.settings import residents_answer
from votes.tables import Proxy, VoteFlat

_LINKS_SQL = """
SELECT 'verified' AS kind, v.flat AS flat, v.person AS person, v.revoked_at AS revoked_at FROM verification v
  JOIN person p ON p.id = v.person
  WHERE p.account = {} AND p.community = {} AND (v.revoked_at IS NULL OR v.revoke_reason = {})
UNION ALL SELECT 'person', NULL, p.id, NULL FROM person p WHERE p.account = {} AND p.community = {}
UNION ALL SELECT 'owned', o.flat, o.person, NULL FROM ownership o JOIN person p ON p.id = o.person
  WHERE p.account = {} AND p.community = {}
UNION ALL SELECT 'lived', r.flat, r.person, NULL FROM residency r JOIN person p ON p.id = r.person
  WHERE p.account = {} AND p.community = {}
UNION ALL SELECT 'voter', w.flat, w.person, NULL FROM vote_voter w JOIN person p ON p.id = w.person
  WHERE p.account = {} AND p.community = {} AND w.vote = {}
"""


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite hands a column of a UNION back as text
        value = datetime.fromisoformat(value)
    return value  # type: ignore[no-any-return]


async def _links_and_voter_flats(
    account_id: int, community_id: int, snapshot_at: datetime | None, vote_id: int = -1
) -> tuple[AccountLinks, list[int]]:
    """The account's people and verified links, and the snapshot flats of `vote_id` they are voters of. The
    electorate snapshot decides who may vote: a link the register dropped after `snapshot_at` (the flat was
    sold during the vote) still counts for this vote."""
    mine = [account_id, community_id]
    rows = await Person.raw(_LINKS_SQL, *mine, REASON_REGISTER, *mine, *mine, *mine, *mine, vote_id)
    people = frozenset(int(r["person"]) for r in rows if r["kind"] == "person")
    if not people:
        return AccountLinks(frozenset(), frozenset()), []

    def standing(r: dict[str, Any]) -> bool:
        revoked = _moment(r["revoked_at"])
        return revoked is None or (snapshot_at is not None and revoked > snapshot_at)

    verified = frozenset((int(r["flat"]), int(r["person"])) for r in rows if r["kind"] == "verified" and standing(r))
    owned = frozenset(int(r["flat"]) for r in rows if r["kind"] == "owned")
    lived = frozenset(int(r["flat"]) for r in rows if r["kind"] == "lived")
    voter_flats = sorted({int(r["flat"]) for r in rows if r["kind"] == "voter"})
    return AccountLinks(people, verified, owned, lived), voter_flats


async def account_links(account_id: int, community_id: int, snapshot_at: datetime | None = None) -> AccountLinks:
    """The account's people and verified links (see _links_and_voter_flats)."""
    return (await _links_and_voter_flats(account_id, community_id, snapshot_at))[0]


def _elector(row: dict[str, Any]) -> ElectorFlat:
    return ElectorFlat(
        unit=row["unit"],
        flat_id=row["flat_id"],
        entity_key=row["entity.key"],
        owner_persons={int(person): opaque for opaque, person in (row["owner_persons"] or {}).items()},
        designated_person=row["designated_person"],
        developer_unsold=row["developer_unsold"],
        resident_persons=frozenset(int(p) for p in row["resident_persons"] or []),
    )


@dataclass(frozen=True)
class Known:
    """What known_eligibility found: the account's rights, {entity key: entity id}, {entity id: its number}."""

    eligibility: Eligibility
    entity_ids: dict[str, int]
    numbers: dict[int, int]


async def eligibility_of(user: CurrentUser, vote: VoteInfo) -> tuple[Eligibility, dict[str, int]]:
    """What the account may vote for in this vote (from the snapshot and today's verifications), and
    {entity key: entity id}."""
    known = await known_eligibility(user, vote)
    return known.eligibility, known.entity_ids


_PROXIES_SQL = """SELECT p.id AS id, p.entity AS entity, e.key AS entity_key, p.owner_voter AS owner_voter,
p.owner_person AS owner_person FROM vote_proxy p JOIN vote_entity e ON e.id = p.entity
WHERE p.vote = {} AND p.proxy_account = {} AND p.revoked_at IS NULL"""
_SNAPSHOT_SQL = """SELECT f.id AS id, f.unit AS unit, f.flat_id AS flat_id, f.entity AS entity, e.key AS entity_key,
e.number AS entity_number, f.owner_persons AS owner_persons, f.designated_person AS designated_person,
f.developer_unsold AS developer_unsold, f.resident_persons AS resident_persons
FROM vote_flat f JOIN vote_entity e ON e.id = f.entity
WHERE f.vote = {} AND (f.id IN (%s) OR f.entity IN (%s) OR f.flat_id IN (%s)) ORDER BY f.position"""


def _placeholders(values: list[int]) -> tuple[str, list[int]]:
    values = values or [-1]
    return ", ".join(["{}"] * len(values)), values


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def known_eligibility(user: CurrentUser, vote: VoteInfo) -> Known:
    """Three statements: the account's links (casting._LINKS_SQL), its proxies, and the snapshot flats that
    concern it (its own, those it holds a proxy for, and its roster flats, to tell "not in this vote" apart)."""
    links, flat_ids = await _links_and_voter_flats(user.id, vote.community_id, vote.opened_at, vote.id)
    proxies = await Proxy.raw(_PROXIES_SQL, vote.id, user.id)
    proxy_entities = sorted({int(p["entity"]) for p in proxies})
    linked = sorted(links.owned_flats | links.lived_flats)
    marks, args = zip(*(_placeholders(v) for v in (flat_ids, proxy_entities, linked)), strict=True)
    found = await VoteFlat.raw(_SNAPSHOT_SQL % marks, vote.id, *(a for values in args for a in values))
    mine, entities = set(flat_ids), set(proxy_entities)
    rows = [
        {**r, "entity.key": r["entity_key"], "owner_persons": _json(r["owner_persons"]),
         "resident_persons": _json(r["resident_persons"]), "developer_unsold": bool(r["developer_unsold"])}
        for r in found
        if int(r["id"]) in mine or int(r["entity"]) in entities
    ]  # fmt: skip
    in_electorate = frozenset(int(r["flat_id"]) for r in found if int(r["flat_id"]) in links.owned_flats | links.lived_flats)
    grants = [ProxyGrant(p["id"], p["entity_key"], p["owner_voter"], p["owner_person"]) for p in proxies]
    result = eligibility(
        vote.kind,
        [_elector(r) for r in rows],
        links,
        grants,
        online="online" in vote.channels,
        opaque=lambda person: opaque_id("r", vote.id, person),
        electorate_flat_ids=in_electorate,
        residents=residents_answer(vote.kind, vote.settings),
    )
    entity_ids = {r["entity.key"]: r["entity"] for r in rows}
    return Known(result, entity_ids, {r["entity"]: r["entity_number"] for r in rows})
