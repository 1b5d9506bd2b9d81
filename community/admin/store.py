"""Queries of administration: streets, communities, staff memberships and scopes, one-time codes, audit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community.admin.core import Register as RegisterModel
from community.admin.core import RoleScope, ScopeKind, Standing
from community.tables import (
    Account,
    AccountCode,
    AuditLog,
    Building,
    Community,
    Compound,
    Membership,
    SiteSetting,
    StaffScope,
    StairwellUnit,
    Street,
    StreetMembership,
    UserSession,
)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


# --------------------------------------------------------------------------- site


async def admin_exists() -> bool:
    return bool(await Account.exists().where(Account.is_site_admin.eq(True) & Account.is_active.eq(True)))


async def get_setting(key: str) -> str | None:
    row = await SiteSetting.select(SiteSetting.value).where(SiteSetting.key == key).first()
    return None if row is None else str(row["value"])


async def set_setting(key: str, value: str | None) -> None:
    """Inside a write transaction."""
    await SiteSetting.delete().where(SiteSetting.key == key)
    if value is not None:
        await SiteSetting.insert(SiteSetting(key=key, value=value))


# --------------------------------------------------------------------------- streets and communities


async def streets() -> list[dict[str, Any]]:
    return await Street.select().order_by(Street.name)


async def street(street_id: int) -> dict[str, Any] | None:
    return await Street.select().where(Street.id == street_id).first()


async def communities(street_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    query = Community.select(
        Community.id, Community.slug, Community.name, Community.street, Community.street_ref,
        Community.address, Community.timezone, Community.archived_at,
    ).order_by(Community.name)  # fmt: skip
    if street_ids is not None:
        query = query.where(Community.street_ref.is_in(list(street_ids) or [-1]))
    return await query


async def community(slug: str) -> dict[str, Any] | None:
    return await Community.select().where(Community.slug == slug).first()


async def community_by_id(community_id: int) -> dict[str, Any] | None:
    return await Community.select().where(Community.id == community_id).first()


async def archived(slug: str) -> bool:
    row = await Community.select(Community.archived_at).where(Community.slug == slug).first()
    return row is not None and row["archived_at"] is not None


async def archived_id(community_id: int) -> bool:
    row = await Community.select(Community.archived_at).where(Community.id == community_id).first()
    return row is not None and row["archived_at"] is not None


# --------------------------------------------------------------------------- the register, as scopes see it


async def register(community_id: int) -> RegisterModel:
    buildings = await Building.select(Building.id, Building.compound).where(Building.compound.community == community_id)
    units = await StairwellUnit.select(StairwellUnit.id, StairwellUnit.building).where(
        StairwellUnit.building.compound.community == community_id
    )
    return RegisterModel(
        compound_of_building={int(b["id"]): int(b["compound"]) for b in buildings},
        building_of_unit={int(u["id"]): int(u["building"]) for u in units},
    )


@dataclass(frozen=True)
class Part:
    id: int
    kind: ScopeKind
    label: str
    depth: int
    path: tuple[str, ...] = ()


async def register_parts(community_id: int) -> list[Part]:
    """Compounds, their buildings and units, in register order, for choosing a scope."""
    from community.roster.plan import natural_key

    compounds = await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id)
    buildings = await Building.select(Building.id, Building.name, Building.compound).where(
        Building.compound.community == community_id
    )
    units = await StairwellUnit.select(StairwellUnit.id, StairwellUnit.name, StairwellUnit.building).where(
        StairwellUnit.building.compound.community == community_id
    )
    parts: list[Part] = []
    for c in sorted(compounds, key=lambda r: natural_key(str(r["name"]))):
        parts.append(Part(int(c["id"]), "compound", str(c["name"]), 0, (str(c["name"]),)))
        for b in sorted((b for b in buildings if b["compound"] == c["id"]), key=lambda r: natural_key(str(r["name"]))):
            parts.append(Part(int(b["id"]), "building", f"{c['name']} {b['name']}", 1, (str(c["name"]), str(b["name"]))))
            for u in sorted((u for u in units if u["building"] == b["id"]), key=lambda r: natural_key(str(r["name"]))):
                parts.append(Part(int(u["id"]), "stairwell_unit", f"{c['name']} {b['name']} · {u['name']}", 2,
                                  (str(c["name"]), str(b["name"]), str(u["name"]))))
    return parts


# --------------------------------------------------------------------------- staff


def _scope_of(kind: str, rows: list[dict[str, Any]]) -> RoleScope:
    if kind in ("", "building") and rows:
        return RoleScope("building", frozenset(int(r["building"]) for r in rows if r["building"] is not None))
    if kind == "compound":
        return RoleScope("compound", frozenset(int(r["compound"]) for r in rows if r["compound"] is not None))
    if kind == "stairwell_unit":
        return RoleScope(
            "stairwell_unit", frozenset(int(r["stairwell_unit"]) for r in rows if r["stairwell_unit"] is not None)
        )
    if kind == "" and not rows:
        # Before scopes: grid workers and building leads without buildings covered none.
        return RoleScope("building", frozenset())
    return RoleScope()


async def scopes_of(membership_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await StaffScope.select().where(StaffScope.membership.is_in(membership_ids or [-1]))
    grouped: dict[int, list[dict[str, Any]]] = {m: [] for m in membership_ids}
    for r in rows:
        grouped[int(r["membership"])].append(r)
    return grouped


@dataclass(frozen=True)
class StaffRole:
    membership_id: int
    account_id: int
    display_name: str
    phone: str | None
    username: str | None
    role: str
    scope: RoleScope
    activated: bool


async def staff(community_id: int, membership_id: int | None = None) -> list[StaffRole]:
    query = Membership.select(
        Membership.id, Membership.role, Membership.scope_kind, Membership.account.id,
        Membership.account.display_name, Membership.account.phone, Membership.account.username,
        Membership.account.password_hash,
    ).where(Membership.community == community_id)  # fmt: skip
    if membership_id is not None:
        query = query.where(Membership.id == membership_id)
    rows = await query.order_by(Membership.account.display_name)
    scopes = await scopes_of([int(r["id"]) for r in rows])
    return [
        StaffRole(
            membership_id=int(r["id"]),
            account_id=int(r["account.id"]),
            display_name=str(r["account.display_name"]),
            phone=r["account.phone"],
            username=r["account.username"],
            role=str(r["role"]),
            scope=_scope_of(str(r["scope_kind"] or ""), scopes[int(r["id"])]) if r["role"] not in (
                "facilitator", "recorder") else RoleScope(),  # fmt: skip
            activated=str(r["account.password_hash"]).startswith("$"),
        )
        for r in rows
    ]


async def standing(account_id: int, is_site_admin: bool, community_id: int) -> Standing:
    if is_site_admin:
        return Standing(is_site_admin=True)
    row = await Community.select(Community.street_ref).where(Community.id == community_id).first()
    street_id = row["street_ref"] if row else None
    street_staff = street_id is not None and bool(
        await StreetMembership.exists().where(
            (StreetMembership.account == account_id) & (StreetMembership.street == street_id)
        )
    )
    mine = [s for s in await staff(community_id) if s.account_id == account_id]
    return Standing(street_staff=street_staff, roles={s.role: s.scope for s in mine})


async def street_ids_of(account_id: int) -> list[int]:
    rows = await StreetMembership.select(StreetMembership.street).where(StreetMembership.account == account_id)
    return sorted({int(r["street"]) for r in rows})


async def street_staff(street_id: int) -> list[dict[str, Any]]:
    return await StreetMembership.select(
        StreetMembership.id, StreetMembership.role, StreetMembership.account.id,
        StreetMembership.account.display_name, StreetMembership.account.phone,
    ).where(StreetMembership.street == street_id).order_by(StreetMembership.account.display_name)  # fmt: skip


async def facilitator_count(community_id: int) -> int:
    return int(
        await Membership.count().where((Membership.community == community_id) & (Membership.role == "facilitator"))
    )


def scope_rows(membership_id: int, scope: RoleScope) -> list[StaffScope]:
    if scope.kind == "compound":
        return [StaffScope(membership=membership_id, compound=part) for part in sorted(scope.ids)]
    if scope.kind == "building":
        return [StaffScope(membership=membership_id, building=part) for part in sorted(scope.ids)]
    if scope.kind == "stairwell_unit":
        return [StaffScope(membership=membership_id, stairwell_unit=part) for part in sorted(scope.ids)]
    return []


async def insert_membership(account_id: int, community_id: int, role: str, scope: RoleScope) -> int:
    """Inside a write transaction."""
    rows = await Membership.insert(
        Membership(account=account_id, community=community_id, role=role, scope_kind=scope.kind)
    ).returning(Membership.id)
    membership_id = int(rows[0]["id"])
    scoped = scope_rows(membership_id, scope)
    if scoped:
        await StaffScope.insert(*scoped)
    return membership_id


async def replace_scope(membership_id: int, scope: RoleScope) -> None:
    """Inside a write transaction."""
    await StaffScope.delete().where(StaffScope.membership == membership_id)
    await Membership.update({Membership.scope_kind: scope.kind}).where(Membership.id == membership_id)
    scoped = scope_rows(membership_id, scope)
    if scoped:
        await StaffScope.insert(*scoped)


async def membership(community_id: int, account_id: int, role: str) -> int | None:
    row = await Membership.select(Membership.id).where(
        (Membership.community == community_id) & (Membership.account == account_id) & (Membership.role == role)
    ).first()
    return None if row is None else int(row["id"])


# --------------------------------------------------------------------------- accounts and codes


async def account_by_phone(phone: str) -> dict[str, Any] | None:
    return await Account.select().where(Account.phone == phone).first()


async def account_by_login(login: str) -> dict[str, Any] | None:
    from community.accounts import normalise_phone

    phone = normalise_phone(login)
    if phone:
        return await account_by_phone(phone)
    return await Account.select().where(Account.username == login.strip()).first()


async def code_row(code: str) -> dict[str, Any] | None:
    return await AccountCode.select(
        *AccountCode.all_columns(), AccountCode.account.display_name, AccountCode.account.phone,
        AccountCode.account.username,
    ).where(AccountCode.code_hash == code_hash(code)).first()  # fmt: skip


async def end_sessions(account_id: int, keep_session: int | None = None) -> None:
    """Inside a write transaction."""
    query = UserSession.delete().where(UserSession.account == account_id)
    if keep_session is not None:
        query = query.where(UserSession.id != keep_session)
    await query


async def sessions(account_id: int) -> list[dict[str, Any]]:
    return await UserSession.select(
        UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.user_agent
    ).where(UserSession.account == account_id).order_by(UserSession.last_seen_at, ascending=False)


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class AuditFilter:
    community_ids: tuple[int, ...]
    action: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


async def audit_entries(f: AuditFilter) -> list[dict[str, Any]]:
    query = AuditLog.select(
        AuditLog.id, AuditLog.at, AuditLog.action, AuditLog.object_type, AuditLog.object_id, AuditLog.detail,
        AuditLog.actor.display_name, AuditLog.community.name, AuditLog.community.slug,
    ).where(AuditLog.community.is_in(list(f.community_ids) or [-1]))  # fmt: skip
    if f.action:
        query = query.where(AuditLog.action == f.action)
    if f.actor:
        # LIKE on both engines (names are mostly Chinese: case does not matter); wildcards typed are dropped.
        typed = f.actor.replace("%", "").replace("_", "")
        query = query.where(AuditLog.actor.display_name.like(f"%{typed}%"))
    if f.since is not None:
        query = query.where(AuditLog.at >= f.since)
    if f.until is not None:
        query = query.where(AuditLog.at < f.until)
    return await query.order_by(AuditLog.id, ascending=False).limit(f.limit).output(load_json=True)


async def account_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    rows = await Account.select(Account.id, Account.display_name).where(Account.id.is_in(wanted or [-1]))
    return {int(r["id"]): str(r["display_name"]) for r in rows}


async def audit_actions(community_ids: Iterable[int]) -> list[str]:
    rows = await AuditLog.select(AuditLog.action).where(AuditLog.community.is_in(list(community_ids) or [-1])).distinct()
    return sorted({str(r["action"]) for r in rows})
