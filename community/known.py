"""What a request already knows of its signed-in account: its roles in every community and its links to flats,
read with the session in one statement (community.accounts.load_session), so no page reads them again.

The knowledge lives in a context variable for one request only (`request_scope`, an ASGI middleware, ends it)
and is forgotten by any write (community.db.write_transaction calls `forget`): a request that grants a role or
verifies a link reads the register again afterwards, as it always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from community.sqljson import aggregate, loads


@dataclass(frozen=True)
class Link:
    """One link of the account's people to an active flat, with where the flat is."""

    kind: str  # "owner" (ownership), "tenant" or "family" (residency), "verified" (an unrevoked verification)
    flat: int
    person: int
    community: int
    area: int
    unit: int
    building: int
    compound: int


@dataclass(frozen=True)
class Known:
    account_id: int
    roles: Mapping[int, frozenset[str]]  # community id -> the account's roles there
    links: tuple[Link, ...]

    def links_in(self, community_id: int | None) -> list[Link]:
        return [link for link in self.links if community_id is None or link.community == community_id]


_known: ContextVar[Known | None] = ContextVar("yishi_known", default=None)


def remember(known: Known | None) -> None:
    _known.set(known)


def forget() -> None:
    """Something was written: what was read with the session may no longer hold."""
    if _known.get() is not None:
        _known.set(None)


def roles_in(account_id: int, community_id: int) -> set[str] | None:
    """The account's roles in the community as read with the session, or None if this request does not know."""
    known = _known.get()
    if known is None or known.account_id != account_id:
        return None
    return set(known.roles.get(community_id, ()))


def links_of(account_id: int, community_id: int | None) -> list[Link] | None:
    """The account's links (in one community, or all of them) as read with the session, or None if unknown."""
    known = _known.get()
    if known is None or known.account_id != account_id:
        return None
    return known.links_in(community_id)


def request_scope(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: whatever a request learnt of its account ends with it (an in-process client runs
    requests in the caller's own context, so nothing may be left behind for the next one or for a test)."""

    async def scoped(scope: Scope, receive: Receive, send: Send) -> None:
        token = _known.set(None)
        try:
            await app(scope, receive, send)
        finally:
            _known.reset(token)

    return scoped


# The account's links, from the three tables the register keeps them in (inactive flats left out).
_LINKS = " UNION ALL ".join(
    f"SELECT {kind} AS kind, l.flat AS flat, l.person AS person, p.community AS community, f.area AS area, "  # noqa: S608
    "u.id AS unit, b.id AS building, b.compound AS compound "
    f"FROM {table} l JOIN person p ON p.id = l.person JOIN flat f ON f.id = l.flat "
    "JOIN stairwell_unit u ON u.id = f.stairwell_unit JOIN building b ON b.id = u.building "
    f"WHERE p.account = a.id AND f.active{extra}"  # literals only
    for kind, table, extra in (
        ("'owner'", "ownership", ""), ("l.relation", "residency", ""),
        ("'verified'", "verification", " AND l.revoked_at IS NULL"),
    )
)


def session_sql(postgres: bool) -> str:
    """The session with its account, the account's roles in every community and its links: one statement
    (an account has a handful of each). One parameter: the session token's hash."""
    roles = aggregate(postgres, ("m.community", "m.role"), "FROM membership m WHERE m.account = a.id")
    links = aggregate(postgres, [f"x.{c}" for c in ("kind", "flat", "person", "community", "area", "unit", "building",
                                                    "compound")], f"FROM ({_LINKS}) x")  # fmt: skip
    return (
        "SELECT s.id AS id, s.expires_at AS expires_at, s.last_seen_at AS last_seen_at, a.id AS account_id, "  # noqa: S608
        "a.display_name AS display_name, a.username AS username, a.phone AS phone, "
        "a.is_site_admin AS is_site_admin, a.is_active AS is_active, a.large_text AS large_text, "
        f"{roles} AS roles, {links} AS links "
        "FROM user_session s JOIN account a ON a.id = s.account WHERE s.token_hash = {}"
    )


def from_row(row: Mapping[str, Any]) -> Known:
    roles: dict[int, set[str]] = {}
    for community, role in loads(row["roles"]):
        roles.setdefault(int(community), set()).add(str(role))
    links = tuple(
        Link(str(kind), int(flat), int(person), int(community), int(area), int(unit), int(building), int(compound))
        for kind, flat, person, community, area, unit, building, compound in loads(row["links"])
    )
    return Known(int(row["account_id"]), {c: frozenset(r) for c, r in roles.items()}, links)
