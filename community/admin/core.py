"""Pure rules of administration: roles and their rank, who may appoint whom in which scope, the last
facilitator, slugs and names. No I/O: services gather the facts and ask these functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from community.i18n import lazy

ScopeKind = Literal["community", "compound", "building", "stairwell_unit"]
SCOPE_KINDS: Final[tuple[ScopeKind, ...]] = ("community", "compound", "building", "stairwell_unit")

# Community roles, most senior first.
COMMUNITY_ROLES: Final = (
    "facilitator",
    "recorder",
    "grid_worker",
    "building_lead",
    "counter",
    "scrutineer",
    "volunteer",
)
STREET_ROLES: Final = ("street_staff",)
SITE_ADMIN: Final = "site_admin"

# A role may be granted only by someone whose own rank is at least as high.
RANK: Final[Mapping[str, int]] = {
    SITE_ADMIN: 100,
    "street_staff": 80,
    "facilitator": 60,
    "recorder": 40,
    "grid_worker": 30,
    "building_lead": 30,
    "counter": 30,
    "scrutineer": 30,
    "volunteer": 10,
}
# Roles that cover the whole community, always; the others may be limited to parts of the register.
WHOLE_COMMUNITY_ROLES: Final = frozenset({"facilitator", "recorder"})
# Who appoints and removes community staff: the community's facilitator, its street's staff, the site admin.
APPOINTING_COMMUNITY_ROLES: Final = frozenset({"facilitator"})

ROLE_LABELS: Final[Mapping[str, str]] = {
    SITE_ADMIN: lazy("Site administrator"),
    "street_staff": lazy("Street staff"),
    "facilitator": lazy("Facilitator"),
    "recorder": lazy("Recorder"),
    "grid_worker": lazy("Grid worker"),
    "building_lead": lazy("Building lead"),
    "counter": lazy("Counter"),
    "scrutineer": lazy("Scrutineer"),
    "volunteer": lazy("Volunteer"),
    "resident": lazy("Resident"),
}
SCOPE_LABELS: Final[Mapping[str, str]] = {
    "community": lazy("Whole community"),
    "compound": lazy("Compounds"),
    "building": lazy("Buildings"),
    "stairwell_unit": lazy("Stairwell units"),
}

# What the audit page calls the actions this package writes (others show their code only).
ACTION_LABELS: Final[Mapping[str, str]] = {
    "site_set_up": lazy("First-run set-up"),
    "street_created": lazy("Street created"),
    "street_renamed": lazy("Street renamed"),
    "community_created": lazy("Community created"),
    "community_changed": lazy("Community changed"),
    "community_moved": lazy("Community moved to another street"),
    "community_archived": lazy("Community archived"),
    "community_unarchived": lazy("Community brought back from the archive"),
    "role_granted": lazy("Role granted"),
    "role_removed": lazy("Role removed"),
    "scope_changed": lazy("Scope changed"),
    "street_role_granted": lazy("Street role granted"),
    "street_role_removed": lazy("Street role removed"),
    "password_reset": lazy("Password reset in person"),
    "password_reset_used": lazy("Reset code used"),
    "account_activated": lazy("Account activated"),
    "phone_changed": lazy("Phone number changed"),
    "proxy_invited": lazy("Proxy holder invited"),
    "proxy_account_expired": lazy("Proxy holder's account ended"),
}

NOT_ALLOWED: Final = lazy("You are not allowed to see or do this.")
ABOVE_OWN: Final = lazy("You cannot grant a role above your own.")
OUTSIDE_SCOPE: Final = lazy("You cannot grant a role outside your own scope.")
NOT_APPOINTER: Final = lazy("Only the community's facilitator, its street's staff or the site administrator may appoint or remove staff.")
LAST_FACILITATOR: Final = lazy("This is the community's last facilitator. Appoint another facilitator first.")
WHOLE_ONLY: Final = lazy("This role always covers the whole community.")
PICK_PARTS: Final = lazy("Choose at least one part of the register for this scope.")
UNKNOWN_ROLE: Final = lazy("Choose a role from the list.")


@dataclass(frozen=True)
class RoleScope:
    """A role's reach inside one community: the whole of it, or some compounds, buildings or units."""

    kind: ScopeKind = "community"
    ids: frozenset[int] = frozenset()

    @property
    def whole(self) -> bool:
        return self.kind == "community"


@dataclass(frozen=True)
class Register:
    """The community's register as far as scopes need it: which building each unit is in, and so on."""

    compound_of_building: Mapping[int, int] = field(default_factory=dict)
    building_of_unit: Mapping[int, int] = field(default_factory=dict)

    def buildings(self, scope: RoleScope) -> frozenset[int] | None:
        """The buildings a scope reaches (None: all of them)."""
        if scope.whole:
            return None
        if scope.kind == "compound":
            return frozenset(b for b, c in self.compound_of_building.items() if c in scope.ids)
        if scope.kind == "building":
            return frozenset(scope.ids)
        return frozenset(self.building_of_unit[u] for u in scope.ids if u in self.building_of_unit)

    def units(self, scope: RoleScope) -> frozenset[int] | None:
        if scope.whole:
            return None
        if scope.kind == "stairwell_unit":
            return frozenset(scope.ids)
        buildings = self.buildings(scope) or frozenset()
        return frozenset(u for u, b in self.building_of_unit.items() if b in buildings)

    def known(self, scope: RoleScope) -> bool:
        """Every id of the scope is a part of this register."""
        if scope.kind == "compound":
            return scope.ids <= set(self.compound_of_building.values())
        if scope.kind == "building":
            return scope.ids <= set(self.compound_of_building)
        if scope.kind == "stairwell_unit":
            return scope.ids <= set(self.building_of_unit)
        return not scope.ids

    def within(self, inner: RoleScope, outer: RoleScope) -> bool:
        """Every stairwell unit `inner` reaches is reached by `outer` too."""
        if outer.whole:
            return True
        if inner.whole:
            return False
        inner_units, outer_units = self.units(inner), self.units(outer)
        assert inner_units is not None and outer_units is not None
        inner_buildings, outer_buildings = self.buildings(inner) or frozenset(), self.buildings(outer) or frozenset()
        if inner.kind != "stairwell_unit" and not inner_buildings <= outer_buildings:
            return False
        return inner_units <= outer_units


@dataclass(frozen=True)
class Standing:
    """What the acting account is, for one community: site admin, staff of its street, its roles there."""

    is_site_admin: bool = False
    street_staff: bool = False
    # Community role -> its scope there.
    roles: Mapping[str, RoleScope] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        if self.is_site_admin:
            return RANK[SITE_ADMIN]
        if self.street_staff:
            return RANK["street_staff"]
        return max((RANK[r] for r in self.roles if r in RANK), default=0)

    @property
    def appoints(self) -> bool:
        return self.is_site_admin or self.street_staff or bool(APPOINTING_COMMUNITY_ROLES & set(self.roles))

    def reach(self) -> RoleScope:
        """The widest scope among the roles that appoint (facilitators: the whole community)."""
        if self.is_site_admin or self.street_staff:
            return RoleScope()
        for role in APPOINTING_COMMUNITY_ROLES:
            if role in self.roles:
                return self.roles[role]
        return RoleScope("building", frozenset())


def check_scope_shape(role: str, scope: RoleScope) -> str | None:
    """The scope fits the role; else the reason (an English msgid)."""
    if role not in COMMUNITY_ROLES:
        return UNKNOWN_ROLE
    if role in WHOLE_COMMUNITY_ROLES and not scope.whole:
        return WHOLE_ONLY
    if not scope.whole and not scope.ids:
        return PICK_PARTS
    if scope.whole and scope.ids:
        return PICK_PARTS
    return None


def may_grant(actor: Standing, role: str, scope: RoleScope, register: Register) -> str | None:
    """None if `actor` may appoint someone to `role` with `scope` in this community (or change a role's scope
    to it, or remove it: the same rule); else the reason, an English msgid."""
    if role not in RANK or role in STREET_ROLES or role == SITE_ADMIN:
        return UNKNOWN_ROLE
    if not actor.appoints:
        return NOT_APPOINTER
    if RANK[role] > actor.rank:
        return ABOVE_OWN
    shape = check_scope_shape(role, scope)
    if shape is not None:
        return shape
    if not register.known(scope) or not register.within(scope, actor.reach()):
        return OUTSIDE_SCOPE
    return None


def may_remove(
    actor: Standing, role: str, scope: RoleScope, register: Register, facilitators_left: int
) -> str | None:
    """None if `actor` may remove this role; `facilitators_left`: the community's facilitators before removal.
    A community always keeps one facilitator (so the last one cannot remove themselves)."""
    refused = may_grant(actor, role, scope, register)
    if refused is not None:
        return refused
    if role == "facilitator" and facilitators_left <= 1:
        return LAST_FACILITATOR
    return None


def may_grant_street(is_site_admin: bool, own_streets: Iterable[int], street_id: int) -> str | None:
    """Street staff are appointed by the site administrator or by staff of the same street."""
    if is_site_admin or street_id in set(own_streets):
        return None
    return NOT_ALLOWED


# --------------------------------------------------------------------------- names and slugs

_SLUG: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS: Final = frozenset({"admin", "new", "setup", "static"})


def slug_problem(slug: str) -> str | None:
    if not _SLUG.match(slug):
        return lazy("Use 1 to 64 lower-case letters, digits and dashes, e.g. xingfuli.")
    if slug in RESERVED_SLUGS:
        return lazy("This address is reserved. Please choose another.")
    return None


def name_problem(name: str, limit: int = 200) -> str | None:
    if not name.strip():
        return lazy("Please enter a name.")
    if len(name.strip()) > limit:
        return lazy("The name is too long.")
    return None
