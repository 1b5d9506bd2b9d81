"""Scopes (community, compound, building, stairwell unit, hand-picked flats) and who is attached to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from community import known
from community.tables import Flat, Person

ScopeKind = Literal["community", "compound", "building", "stairwell_unit", "flats"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("community", "compound", "building", "stairwell_unit", "flats")


@dataclass(frozen=True)
class Scope:
    """Which flats a meeting or vote concerns: `ids` are compound/building/unit/flat ids per `kind`."""

    community_id: int
    kind: ScopeKind
    ids: tuple[int, ...] = ()


async def flats_in_scope(scope: Scope, include_inactive: bool = False) -> list[int]:
    """Ids of the flats a scope covers, in a stable order."""
    query = Flat.select(Flat.id).where(
        Flat.stairwell_unit.building.compound.community == scope.community_id
    )
    if not include_inactive:
        query = query.where(Flat.active.eq(True))
    if scope.kind == "compound":
        query = query.where(Flat.stairwell_unit.building.compound.is_in(list(scope.ids) or [-1]))
    elif scope.kind == "building":
        query = query.where(Flat.stairwell_unit.building.is_in(list(scope.ids) or [-1]))
    elif scope.kind == "stairwell_unit":
        query = query.where(Flat.stairwell_unit.is_in(list(scope.ids) or [-1]))
    elif scope.kind == "flats":
        query = query.where(Flat.id.is_in(list(scope.ids) or [-1]))
    rows = await query.order_by(Flat.id)
    return [int(r["id"]) for r in rows]


@dataclass(frozen=True)
class Attachment:
    """How an account is attached to one flat."""

    flat_id: int
    person_id: int
    relation: Literal["owner", "tenant", "family"]
    verified: bool


def _attachments_sql(in_community: bool) -> str:
    """Owned, lived-in and verified links of an account's people (in one community), as one statement."""
    where = "p.account = {}" + (" AND p.community = {}" if in_community else "")
    return " UNION ALL ".join(
        f"SELECT {kind} AS kind, l.flat AS flat, l.person AS person FROM {table} l JOIN person p ON p.id = l.person "  # noqa: S608 - literals only
        f"JOIN flat f ON f.id = l.flat WHERE {where} AND f.active = {{}}{extra}"
        for kind, table, extra in (
            ("'owner'", "ownership", ""), ("l.relation", "residency", ""),
            ("'verified'", "verification", " AND l.revoked_at IS NULL"),
        )
    )


_ATTACHMENTS_SQL = {True: _attachments_sql(True), False: _attachments_sql(False)}


async def attachments(account_id: int, community_id: int | None = None) -> list[Attachment]:
    """Every flat the account's people own or live in, with whether the link is verified (one statement)."""
    found = known.links_of(account_id, community_id)  # as read with the request's session, if it is theirs
    rows: list[dict[str, Any]]
    if found is not None:
        rows = [{"kind": link.kind, "flat": link.flat, "person": link.person} for link in found]
    else:
        mine = [account_id] if community_id is None else [account_id, community_id]
        rows = await Person.raw(_ATTACHMENTS_SQL[community_id is not None], *([*mine, True] * 3))
    verified = {(int(r["flat"]), int(r["person"])) for r in rows if r["kind"] == "verified"}
    links = [r for r in rows if r["kind"] != "verified"]
    links.sort(key=lambda r: r["kind"] != "owner")  # owned flats first, as before
    return [
        Attachment(
            int(r["flat"]),
            int(r["person"]),
            "owner" if r["kind"] == "owner" else "family" if r["kind"] == "family" else "tenant",
            (int(r["flat"]), int(r["person"])) in verified,
        )
        for r in links
    ]


async def is_attached_to_scope(account_id: int, scope: Scope, verified_only: bool = False) -> bool:
    """True if the account owns or lives in a flat of the scope (tenants included)."""
    links = await attachments(account_id, scope.community_id)
    if verified_only:
        links = [a for a in links if a.verified]
    if not links:
        return False
    in_scope = set(await flats_in_scope(scope))
    return any(a.flat_id in in_scope for a in links)


async def verified_owner_flats(account_id: int, community_id: int) -> list[Attachment]:
    """The flats this account may vote for: verified ownership only (tenants never vote)."""
    return [a for a in await attachments(account_id, community_id) if a.relation == "owner" and a.verified]
