"""Authorisation checks made on the server: community roles, building scopes, residents' own flats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.roles import RULE as RULE  # re-exported for the callers that read it here
from community.tables import Building, Community, Membership, StaffScope, StairwellUnit

STAFF_ROLES = RULE["see_staff_pages"].roles


async def community_by_slug(slug: str) -> dict[str, Any]:
    """The community's row, with its street's slug as `street_slug` (every community page links to /s/{slug})."""
    row = await Community.select(*Community.all_columns(), Community.street_ref.slug.as_alias("street_slug")).where(
        Community.slug == slug
    ).first()
    if row is None:
        raise NotFound(lazy("This community does not exist."))
    return row


async def require_role(user: CurrentUser, community_id: int, *roles: str) -> set[str]:
    """The user's roles in the community; Forbidden unless one of `roles` (site admins pass)."""
    held = await roles_in(user.id, community_id)
    if user.is_site_admin:
        return held | set(roles)
    if not held.intersection(roles):
        raise Forbidden(lazy("You are not allowed to see or do this."))
    return held


async def require_rule(user: CurrentUser, community_id: int, key: str) -> set[str]:
    """The user's roles in the community; Forbidden unless one of them grants the rule (community.roles)."""
    return await require_role(user, community_id, *sorted(RULE[key].roles))


async def is_staff(user: CurrentUser | None, community_id: int) -> bool:
    if user is None:
        return False
    if user.is_site_admin:
        return True
    return bool((await roles_in(user.id, community_id)) & STAFF_ROLES)


# --- The roster: who sees and changes which buildings. ---

# Whole community: facilitators and recorders (recorders only read); grid workers and building leads:
# the buildings of their scope (community.roles, rule see_roster).


@dataclass(frozen=True)
class RosterAccess:
    """What one account may do with one community's roster."""

    community_id: int
    roles: frozenset[str]
    is_site_admin: bool
    # None: every building of the community; otherwise only these.
    buildings: frozenset[int] | None
    # Buildings where the account may verify people and print join slips (grid workers: their own).
    verify_buildings: frozenset[int] | None

    @property
    def can_manage(self) -> bool:
        """Import and export the register (it holds every phone number and ID suffix)."""
        return self.is_site_admin or bool(RULE["import_roster"].roles & self.roles)

    @property
    def can_verify_somewhere(self) -> bool:
        return self.verify_buildings is None or bool(self.verify_buildings)

    def sees(self, building_id: int) -> bool:
        return self.buildings is None or building_id in self.buildings

    def may_verify(self, building_id: int) -> bool:
        return self.verify_buildings is None or building_id in self.verify_buildings


async def scoped_buildings(account_id: int, community_id: int, role: str) -> frozenset[int] | None:
    """The buildings a staff membership covers in this community, read from the database on every request
    (None: the whole community). A compound covers its buildings as the register has them now; a stairwell
    unit makes its building's page visible."""
    return (await _scoped_buildings_of(account_id, community_id, [role]))[role]


async def _scoped_buildings_of(account_id: int, community_id: int, roles: list[str]) -> dict[str, frozenset[int] | None]:
    """scoped_buildings for several roles of one account at once (at most four statements, however many)."""
    memberships = await Membership.select(Membership.id, Membership.role, Membership.scope_kind).where(
        (Membership.account == account_id) & (Membership.community == community_id) & Membership.role.is_in(roles)
    )
    found: dict[str, frozenset[int] | None] = {role: frozenset() for role in roles}
    scoped = {}
    for m in memberships:
        if m["scope_kind"] == "community":
            found[m["role"]] = None
        else:
            scoped[int(m["id"])] = m["role"]
    if not scoped:
        return found
    rows = await StaffScope.select(StaffScope.membership, StaffScope.compound, StaffScope.building, StaffScope.stairwell_unit).where(
        StaffScope.membership.is_in(list(scoped))
    )
    compounds = {int(r["compound"]) for r in rows if r["compound"] is not None}
    units = {int(r["stairwell_unit"]) for r in rows if r["stairwell_unit"] is not None}
    of_compound: dict[int, set[int]] = {}
    if compounds:
        for b in await Building.select(Building.id, Building.compound).where(Building.compound.is_in(sorted(compounds))):
            of_compound.setdefault(int(b["compound"]), set()).add(int(b["id"]))
    of_unit: dict[int, int] = {}
    if units:
        for u in await StairwellUnit.select(StairwellUnit.id, StairwellUnit.building).where(StairwellUnit.id.is_in(sorted(units))):
            of_unit[int(u["id"])] = int(u["building"])
    covered: dict[str, set[int]] = {role: set() for role in scoped.values()}
    for r in rows:
        into = covered[scoped[int(r["membership"])]]
        if r["building"] is not None:
            into.add(int(r["building"]))
        if r["compound"] is not None:
            into |= of_compound.get(int(r["compound"]), set())
        if r["stairwell_unit"] is not None and int(r["stairwell_unit"]) in of_unit:
            into.add(of_unit[int(r["stairwell_unit"])])
    for role, buildings in covered.items():
        found[role] = frozenset(buildings)
    return found


def _union(a: frozenset[int] | None, b: frozenset[int] | None) -> frozenset[int] | None:
    return None if a is None or b is None else a | b


async def _reach(account_id: int, community_id: int, held: frozenset[str], *keys: str) -> frozenset[int] | None:
    """The buildings in which roles `held` may do what the rules `keys` allow (None: all of them; empty: none).
    A role the rule does not scope covers the whole community; a scoped one, the buildings of its scope."""
    granting: set[str] = set()
    for key in keys:
        rule = RULE[key]
        if (held & rule.roles) - rule.scoped:
            return None
        granting |= held & rule.roles
    reach: frozenset[int] | None = frozenset()
    if granting:
        for buildings in (await _scoped_buildings_of(account_id, community_id, sorted(granting))).values():
            reach = _union(reach, buildings)
    return reach


async def reach(user: CurrentUser, community_id: int, *keys: str) -> frozenset[int] | None:
    """The buildings in which the user may act under one of the rules `keys` (None: the whole community);
    Forbidden if no role of theirs grants any of them. Read on every request, like the roles themselves."""
    if user.is_site_admin:
        return None
    held = frozenset(await roles_in(user.id, community_id))
    if not any(held & RULE[key].roles for key in keys):
        raise Forbidden(lazy("You are not allowed to see or do this."))
    return await _reach(user.id, community_id, held, *keys)


async def roster_access(user: CurrentUser, community_id: int) -> RosterAccess:
    """The user's access to the community's roster; Forbidden if they hold no roster role there."""
    held = frozenset(await roles_in(user.id, community_id))
    if user.is_site_admin or held & RULE["import_roster"].roles:
        return RosterAccess(community_id, held, user.is_site_admin, None, None)
    if not held & RULE["see_roster"].roles:
        raise Forbidden(lazy("You are not allowed to see or do this."))
    buildings = await _reach(user.id, community_id, held, "see_roster")
    return RosterAccess(community_id, held, False, buildings, await _reach(user.id, community_id, held, "verify"))


def require_manage(access: RosterAccess) -> None:
    if not access.can_manage:
        raise Forbidden(lazy("You are not allowed to see or do this."))


def require_sees(access: RosterAccess, building_id: int) -> None:
    if not access.sees(building_id):
        raise Forbidden(lazy("You are not allowed to see or do this."))


def require_verify(access: RosterAccess, building_id: int) -> None:
    if not access.may_verify(building_id):
        raise Forbidden(lazy("Only the facilitator or the grid worker of this building may do this."))
