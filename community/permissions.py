"""Authorisation checks made on the server: community roles, building scopes, residents' own flats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.tables import Community, RoleScope

STAFF_ROLES = frozenset({"facilitator", "recorder", "grid_worker", "building_lead"})


async def community_by_slug(slug: str) -> dict[str, Any]:
    row = await Community.select().where(Community.slug == slug).first()
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


async def is_staff(user: CurrentUser | None, community_id: int) -> bool:
    if user is None:
        return False
    if user.is_site_admin:
        return True
    return bool((await roles_in(user.id, community_id)) & STAFF_ROLES)


# --- The roster: who sees and changes which buildings. ---

# Whole community: facilitators and recorders (recorders only read); grid workers and building leads:
# the buildings of their RoleScope rows.
COMMUNITY_ROSTER_ROLES = frozenset({"facilitator", "recorder"})
BUILDING_ROSTER_ROLES = frozenset({"grid_worker", "building_lead"})


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
        return self.is_site_admin or "facilitator" in self.roles

    @property
    def can_verify_somewhere(self) -> bool:
        return self.verify_buildings is None or bool(self.verify_buildings)

    def sees(self, building_id: int) -> bool:
        return self.buildings is None or building_id in self.buildings

    def may_verify(self, building_id: int) -> bool:
        return self.verify_buildings is None or building_id in self.verify_buildings


async def scoped_buildings(account_id: int, community_id: int, role: str) -> frozenset[int]:
    """The buildings a grid worker's or building lead's membership covers in this community."""
    rows = await RoleScope.select(RoleScope.building).where(
        (RoleScope.membership.account == account_id)
        & (RoleScope.membership.community == community_id)
        & (RoleScope.membership.role == role)
    )
    return frozenset(int(r["building"]) for r in rows)


async def roster_access(user: CurrentUser, community_id: int) -> RosterAccess:
    """The user's access to the community's roster; Forbidden if they hold no roster role there."""
    held = frozenset(await roles_in(user.id, community_id))
    if user.is_site_admin or "facilitator" in held:
        return RosterAccess(community_id, held, user.is_site_admin, None, None)
    if not held & (COMMUNITY_ROSTER_ROLES | BUILDING_ROSTER_ROLES):
        raise Forbidden(lazy("You are not allowed to see or do this."))
    grid = await scoped_buildings(user.id, community_id, "grid_worker") if "grid_worker" in held else frozenset()
    lead = (
        await scoped_buildings(user.id, community_id, "building_lead") if "building_lead" in held else frozenset()
    )
    buildings = None if "recorder" in held else grid | lead
    return RosterAccess(community_id, held, False, buildings, grid)


def require_manage(access: RosterAccess) -> None:
    if not access.can_manage:
        raise Forbidden(lazy("You are not allowed to see or do this."))


def require_sees(access: RosterAccess, building_id: int) -> None:
    if not access.sees(building_id):
        raise Forbidden(lazy("You are not allowed to see or do this."))


def require_verify(access: RosterAccess, building_id: int) -> None:
    if not access.may_verify(building_id):
        raise Forbidden(lazy("Only the facilitator or the grid worker of this building may do this."))
