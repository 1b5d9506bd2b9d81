"""Who may vote: the reads eligibility needs (the account's links, its proxies, the snapshot flats that concern it),
one statement in all, and the pure rule (votes.eligibility) applied to them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.accounts import CurrentUser
from community.roster.importer import REASON_REGISTER
from community.sqljson import timestamptz
from community.tables import Person
from votes.eligibility import AccountLinks, ElectorFlat, Eligibility, ProxyGrant, eligibility
from votes.services import VoteInfo, opaque_id
from votes.settings import residents_answer
from votes.tables import VoteFlat

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


async def _links_and_voter_flats(
    account_id: int, community_id: int, snapshot_at: datetime | None, vote_id: int = -1
) -> tuple[AccountLinks, list[int]]:
    """The account's people and verified links, and the snapshot flats of `vote_id` they are voters of. The
    electorate snapshot decides who may vote: a link the register dropped after `snapshot_at` (the flat was
    sold during the vote) still counts for this vote."""
    mine = [account_id, community_id]
    rows = await Person.raw(_LINKS_SQL, *mine, REASON_REGISTER, *mine, *mine, *mine, *mine, vote_id)
    return _links_of(rows, snapshot_at)


def _links_of(rows: list[dict[str, Any]], snapshot_at: datetime | None) -> tuple[AccountLinks, list[int]]:
    """The links and the snapshot flats the account is a voter of, from rows of _LINKS_SQL or _ELIGIBILITY_SQL."""
    people = frozenset(int(r["person"]) for r in rows if r["kind"] == "person")
    if not people:
        return AccountLinks(frozenset(), frozenset()), []

    def standing(r: dict[str, Any]) -> bool:
        revoked = timestamptz(r["revoked_at"])  # SQLite hands a column of a UNION back as text
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


# Eligibility in one statement: the account's links (as _LINKS_SQL), its proxies in this vote, and the snapshot flats
# that concern it (those it is a voter of, those of the entities it holds a proxy for, and its roster flats, to tell
# "not in this vote" apart), told apart by `kind`. The first branch casts its NULLs: PostgreSQL types a UNION's
# columns branch by branch.
_ELIGIBILITY_SQL = """
SELECT 'verified' AS kind, v.flat AS flat, v.person AS person, v.revoked_at AS revoked_at, CAST(NULL AS INTEGER) AS id,
  CAST(NULL AS TEXT) AS unit, CAST(NULL AS INTEGER) AS flat_id, CAST(NULL AS INTEGER) AS entity,
  CAST(NULL AS TEXT) AS entity_key, CAST(NULL AS INTEGER) AS entity_number, CAST(NULL AS JSON) AS owner_persons,
  CAST(NULL AS INTEGER) AS designated_person, CAST(NULL AS BOOLEAN) AS developer_unsold,
  CAST(NULL AS JSON) AS resident_persons, CAST(NULL AS TEXT) AS owner_voter, CAST(NULL AS INTEGER) AS position
  FROM verification v JOIN person p ON p.id = v.person
  WHERE p.account = {a} AND p.community = {c} AND (v.revoked_at IS NULL OR v.revoke_reason = {reason})
UNION ALL SELECT 'person', NULL, p.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM person p WHERE p.account = {a} AND p.community = {c}
UNION ALL SELECT 'owned', o.flat, o.person, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM ownership o JOIN person p ON p.id = o.person WHERE p.account = {a} AND p.community = {c}
UNION ALL SELECT 'lived', r.flat, r.person, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM residency r JOIN person p ON p.id = r.person WHERE p.account = {a} AND p.community = {c}
UNION ALL SELECT 'voter', w.flat, w.person, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM vote_voter w JOIN person p ON p.id = w.person WHERE p.account = {a} AND p.community = {c} AND w.vote = {v}
UNION ALL SELECT 'proxy', NULL, x.owner_person, NULL, x.id, NULL, NULL, x.entity, e.key, NULL, NULL, NULL, NULL, NULL,
  x.owner_voter, NULL
  FROM vote_proxy x JOIN vote_entity e ON e.id = x.entity
  WHERE x.vote = {v} AND x.proxy_account = {a} AND x.revoked_at IS NULL
UNION ALL SELECT 'flat', NULL, NULL, NULL, f.id, f.unit, f.flat_id, f.entity, e.key, e.number, f.owner_persons,
  f.designated_person, f.developer_unsold, f.resident_persons, NULL, f.position
  FROM vote_flat f JOIN vote_entity e ON e.id = f.entity
  WHERE f.vote = {v} AND (
    f.id IN (SELECT w.flat FROM vote_voter w JOIN person p ON p.id = w.person
             WHERE p.account = {a} AND p.community = {c} AND w.vote = {v})
    OR f.entity IN (SELECT x.entity FROM vote_proxy x WHERE x.vote = {v} AND x.proxy_account = {a} AND x.revoked_at IS NULL)
    OR f.flat_id IN (SELECT o.flat FROM ownership o JOIN person p ON p.id = o.person WHERE p.account = {a} AND p.community = {c})
    OR f.flat_id IN (SELECT r.flat FROM residency r JOIN person p ON p.id = r.person WHERE p.account = {a} AND p.community = {c}))
ORDER BY position
"""


def _numbered(sql: str, **values: Any) -> tuple[str, list[Any]]:
    """Piccolo's raw() takes positional `{}`: name them in the SQL for the reader, number them here."""
    args: list[Any] = []

    def mark(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "{}"

    return re.sub(r"\{(\w+)\}", mark, sql), args


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def known_eligibility(user: CurrentUser, vote: VoteInfo) -> Known:
    """One statement (_ELIGIBILITY_SQL): the account's links, its proxies, and the snapshot flats that concern it."""
    sql, args = _numbered(_ELIGIBILITY_SQL, a=user.id, c=vote.community_id, v=vote.id, reason=REASON_REGISTER)
    found = await VoteFlat.raw(sql, *args)
    links, flat_ids = _links_of(found, vote.opened_at)
    proxies = [r for r in found if r["kind"] == "proxy"]
    snapshot = [r for r in found if r["kind"] == "flat"]
    mine, entities = set(flat_ids), {int(p["entity"]) for p in proxies}
    rows = [
        {**r, "entity.key": r["entity_key"], "owner_persons": _json(r["owner_persons"]),
         "resident_persons": _json(r["resident_persons"]), "developer_unsold": bool(r["developer_unsold"])}
        for r in snapshot
        if int(r["id"]) in mine or int(r["entity"]) in entities
    ]  # fmt: skip
    roster = links.owned_flats | links.lived_flats
    in_electorate = frozenset(int(r["flat_id"]) for r in snapshot if int(r["flat_id"]) in roster)
    grants = [ProxyGrant(p["id"], p["entity_key"], p["owner_voter"], p["person"]) for p in proxies]
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
