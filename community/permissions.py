"""Authorisation checks made on the server: community roles, building scopes, residents' own flats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.admin.core import APPOINTING_COMMUNITY_ROLES
from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.tables import Building, Community, Membership, StaffScope, StairwellUnit


@dataclass(frozen=True)
class Rule:
    """One thing staff may see or do, and which community roles may: the server's checks read these sets,
    and the "who can do what" page (/c/{slug}/roles) is drawn from the same list."""

    key: str
    label: str
    roles: frozenset[str]
    # True: limited to the parts of the register the role's scope covers (grid workers, building leads).
    scoped: frozenset[str] = frozenset()
    street: bool = False  # street staff may too (for their street's communities)


RULES: tuple[Rule, ...] = (
    Rule("see_staff_pages", lazy("See staff pages: meetings, votes, the notice drafts"),
         frozenset({"facilitator", "recorder", "grid_worker", "building_lead"})),
    Rule("run_meetings_votes", lazy("Create meetings and votes, publish minutes and notices"), frozenset({"facilitator"})),
    Rule("see_roster", lazy("See the register of flats and owners"),
         frozenset({"facilitator", "recorder", "grid_worker", "building_lead"}),
         scoped=frozenset({"grid_worker", "building_lead"})),
    Rule("import_roster", lazy("Import and export the register (every phone number)"), frozenset({"facilitator"})),
    Rule("verify", lazy("Verify residents and print join slips"), frozenset({"facilitator", "grid_worker"}),
         scoped=frozenset({"grid_worker"})),
    Rule("appoint_staff", lazy("Appoint and remove staff, change their scopes, reset passwords in person"),
         APPOINTING_COMMUNITY_ROLES, street=True),
    Rule("see_audit", lazy("Read the audit log"), frozenset({"facilitator", "recorder"}), street=True),
    Rule("post_notices", lazy("Add photos of a paper notice as posted (proof of posting)"),
         frozenset({"facilitator", "recorder", "grid_worker", "building_lead"}),
         scoped=frozenset({"grid_worker", "building_lead"})),
)
RULE = {r.key: r for r in RULES}

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


async def is_staff(user: CurrentUser | None, community_id: int) -> bool:
    if user is None:
        return False
    if user.is_site_admin:
        return True
    return bool((await roles_in(user.id, community_id)) & STAFF_ROLES)


# --- The roster: who sees and changes which buildings. ---

# Whole community: facilitators and recorders (recorders only read); grid workers and building leads:
# the buildings of their RoleScope rows.
BUILDING_ROSTER_ROLES = RULE["see_roster"].scoped
COMMUNITY_ROSTER_ROLES = RULE["see_roster"].roles - BUILDING_ROSTER_ROLES


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


async def roster_access(user: CurrentUser, community_id: int) -> RosterAccess:
    """The user's access to the community's roster; Forbidden if they hold no roster role there."""
    held = frozenset(await roles_in(user.id, community_id))
    if user.is_site_admin or held & RULE["import_roster"].roles:
        return RosterAccess(community_id, held, user.is_site_admin, None, None)
    if not held & RULE["see_roster"].roles:
        raise Forbidden(lazy("You are not allowed to see or do this."))
    grid = await scoped_buildings(user.id, community_id, "grid_worker") if "grid_worker" in held else frozenset()
    lead = (
        await scoped_buildings(user.id, community_id, "building_lead") if "building_lead" in held else frozenset()
    )
    buildings = None if held & COMMUNITY_ROSTER_ROLES else _union(grid, lead)
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
