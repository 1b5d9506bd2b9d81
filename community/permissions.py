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
    membership = await Membership.select(Membership.id, Membership.scope_kind).where(
        (Membership.account == account_id) & (Membership.community == community_id) & (Membership.role == role)
    ).first()
    if membership is None:
        return frozenset()
    if membership["scope_kind"] == "community":
        return None
    rows = await StaffScope.select(StaffScope.compound, StaffScope.building, StaffScope.stairwell_unit).where(
        StaffScope.membership == membership["id"]
    )
    buildings = {int(r["building"]) for r in rows if r["building"] is not None}
    compounds = [int(r["compound"]) for r in rows if r["compound"] is not None]
    units = [int(r["stairwell_unit"]) for r in rows if r["stairwell_unit"] is not None]
    if compounds:
        buildings |= {int(r["id"]) for r in await Building.select(Building.id).where(Building.compound.is_in(compounds))}
    if units:
        buildings |= {
            int(r["building"])
            for r in await StairwellUnit.select(StairwellUnit.building).where(StairwellUnit.id.is_in(units))
        }
    return frozenset(buildings)


def _union(a: frozenset[int] | None, b: frozenset[int] | None) -> frozenset[int] | None:
    return None if a is None or b is None else a | b


async def _reach(account_id: int, community_id: int, held: frozenset[str], *keys: str) -> frozenset[int] | None:
    """The buildings in which roles `held` may do what the rules `keys` allow (None: all of them; empty: none).
    A role the rule does not scope covers the whole community; a scoped one, the buildings of its scope."""
    reach: frozenset[int] | None = frozenset()
    for key in keys:
        rule = RULE[key]
        granting = held & rule.roles
        if granting - rule.scoped:
            return None
        for role in sorted(granting):
            reach = _union(reach, await scoped_buildings(account_id, community_id, role))
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
