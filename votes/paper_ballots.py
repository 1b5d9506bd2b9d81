"""Paper ballots as the desk shows them and the printer prints them: each voting entity with its serial, its units,
the owners' names and who may sign (an owner, the developer, or their proxy)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from community.errors import FormErrors, NotFound
from community.i18n import lazy
from votes import privacy
from votes.bulk import fetch_tuples
from votes.codes import paper_serial, parse_serial
from votes.rules import DEVELOPER
from votes.services import VoteInfo, opaque_id
from votes.settings import residents_answer
from votes.tables import Ballot, PaperBallot, Proxy, VoteEntity, VoteFlat
from votes.turnout import BATCH, person_names

PRINT_LIMIT: Final = 400  # ballots on one printable page; larger electorates print per stairwell unit


@dataclass(frozen=True)
class Signer:
    """Someone whose signature makes a paper ballot valid: an owner (or the developer), or their proxy."""

    value: str  # the owner's opaque id, "developer", or "proxy:<id>"
    name: str
    voter: str
    unit: str
    proxy_id: int | None = None
    designated: bool = False


@dataclass(frozen=True)
class PaperEntity:
    """A voting entity as the paper desk and the printed ballot show it."""

    entity_id: int
    number: int
    serial: str
    units: tuple[str, ...]
    area: int
    names: str
    signers: tuple[Signer, ...]
    ballot: dict[str, Any] | None  # the entity's earliest stored ballot, if any
    entry: dict[str, Any] | None
    voters: frozenset[str] = frozenset()  # who has a stored ballot for the entity (opaque ids)


def serial_of(vote_id: int, number: int) -> str:
    return paper_serial(vote_id, number)


async def entity_by_serial(vote: VoteInfo, text: str) -> int:
    """The entity number a typed or scanned serial names; FormErrors if it is not one of this vote's."""
    parsed = parse_serial(text)
    if parsed is None:
        raise FormErrors({"serial": lazy("This is not a ballot serial number. Check it: it looks like 12-000345.")}, {"serial": text})
    vote_id, number = parsed
    if vote_id != vote.id or not 1 <= number <= vote.entities:
        raise FormErrors({"serial": lazy("This serial number belongs to another vote.")}, {"serial": text})
    return number


async def paper_entity(vote: VoteInfo, number: int) -> PaperEntity:
    entity = await VoteEntity.select(VoteEntity.id, VoteEntity.area).where(
        (VoteEntity.vote == vote.id) & (VoteEntity.number == number)
    ).first()
    if entity is None:
        raise NotFound(lazy("This vote does not exist."))
    return (await _paper_entities(vote, [entity["id"]]))[0]


async def _paper_entities(vote: VoteInfo, entity_ids: list[int]) -> list[PaperEntity]:
    entities = {
        e["id"]: e
        for e in await VoteEntity.select(VoteEntity.id, VoteEntity.number, VoteEntity.area).where(
            VoteEntity.id.is_in(entity_ids or [-1])
        )
    }
    flats = await VoteFlat.select(
        VoteFlat.entity, VoteFlat.unit, VoteFlat.owner_persons, VoteFlat.designated_person, VoteFlat.developer_unsold,
        VoteFlat.resident_persons,
    ).where(VoteFlat.entity.is_in(entity_ids or [-1])).order_by(VoteFlat.position).output(load_json=True)
    people = {int(p) for f in flats for p in (f["owner_persons"] or {}).values()}
    if residents_answer(vote.kind, vote.settings):
        people |= {int(p) for f in flats for p in f["resident_persons"] or []}
    names = await person_names(people)
    proxies = await Proxy.select(Proxy.id, Proxy.entity, Proxy.proxy_name, Proxy.owner_voter, Proxy.owner_person).where(
        Proxy.entity.is_in(entity_ids or [-1]) & Proxy.revoked_at.is_null()
    )
    ballots: dict[int, dict[str, Any]] = {}
    voters: dict[int, set[str]] = {}
    for b in await Ballot.select(Ballot.entity, Ballot.voter, Ballot.choice, Ballot.channel, Ballot.cast_at).where(
        Ballot.entity.is_in(entity_ids or [-1])
    ).order_by(Ballot.id):
        ballots.setdefault(b["entity"], b)
        voters.setdefault(b["entity"], set()).add(b["voter"])
    entries = {
        p["entity"]: p
        for p in await PaperBallot.select(
            PaperBallot.id, PaperBallot.entity, PaperBallot.status, PaperBallot.choice, PaperBallot.entered_at,
            PaperBallot.entered_by.display_name,
        ).where(PaperBallot.entity.is_in(entity_ids or [-1]) & PaperBallot.status.is_in(["entered", "confirmed"]))
    }
    by_entity: dict[int, list[dict[str, Any]]] = {}
    for f in flats:
        by_entity.setdefault(f["entity"], []).append(f)
    result = []
    for entity_id in entity_ids:
        entity = entities[entity_id]
        rows = by_entity.get(entity_id, [])
        signers: dict[str, Signer] = {}
        for f in rows:
            owner_persons = f["owner_persons"] or {}
            if residents_answer(vote.kind, vote.settings):
                inverse = owner_persons_inverse(owner_persons)
                for person in [*owner_persons.values(), *(f["resident_persons"] or [])]:
                    voter = inverse.get(int(person)) or opaque_id("r", vote.id, int(person))
                    signers.setdefault(voter, Signer(voter, names.get(int(person), ""), voter, f["unit"]))
                continue
            if f["developer_unsold"]:
                signers.setdefault(DEVELOPER, Signer(DEVELOPER, lazy("The developer"), DEVELOPER, f["unit"]))
                continue
            for opaque, person in sorted(owner_persons.items(), key=lambda item: names.get(int(item[1]), "")):
                allowed = f["designated_person"] is None or int(f["designated_person"]) == int(person)
                if allowed and opaque not in signers:
                    signers[opaque] = Signer(
                        opaque, names.get(int(person), ""), opaque, f["unit"], designated=f["designated_person"] is not None
                    )
        for p in proxies:
            if p["entity"] == entity_id and p["owner_voter"] in signers:
                owner = signers[p["owner_voter"]]
                value = f"proxy:{p['id']}"
                signers[value] = Signer(value, p["proxy_name"], owner.voter, owner.unit, proxy_id=p["id"])
        owner_names = sorted({names.get(int(p), "") for f in rows for p in (f["owner_persons"] or {}).values()} - {""})
        result.append(
            PaperEntity(
                entity_id=entity_id,
                number=entity["number"],
                serial=serial_of(vote.id, entity["number"]),
                units=tuple(f["unit"] for f in rows),
                area=entity["area"],
                names="、".join(owner_names),
                signers=tuple(signers.values()),
                ballot=ballots.get(entity_id),
                entry=entries.get(entity_id),
                voters=frozenset(voters.get(entity_id, ())),
            )
        )
    return result


def owner_persons_inverse(owner_persons: Mapping[str, Any]) -> dict[int, str]:
    return {int(person): opaque for opaque, person in owner_persons.items()}


async def printable(vote: VoteInfo, stairwell: str | None, view: privacy.VoteView = privacy.EVERYTHING) -> list[PaperEntity]:
    """The pre-filled ballots of one stairwell unit (or all, for a small electorate; only the staff member's
    buildings), in electorate order."""
    sql, args = "SELECT f.entity FROM vote_flat f WHERE f.vote = {}", [cast(object, vote.id)]
    if stairwell:
        sql, args = sql + " AND f.stairwell = {}", [*args, stairwell]
    scope, scope_args = view.entities_sql("f.entity")  # the entities with a flat in the staff member's buildings
    ordered: list[int] = []
    seen: set[int] = set()
    for (entity,) in await fetch_tuples(sql + scope + " ORDER BY f.position", *args, *scope_args):
        if int(entity) not in seen:
            seen.add(int(entity))
            ordered.append(int(entity))
    ordered = ordered[:PRINT_LIMIT]
    entities: list[PaperEntity] = []
    for start in range(0, len(ordered), BATCH):
        entities += await _paper_entities(vote, ordered[start : start + BATCH])
    return entities

