"""Who may see and do what with a community's concerns, pure: the service gathers the facts (roles, scopes,
street membership) into a `Standing` and asks it about one concern's `Place`.

- The reporter sees their own concern and its visible log, and rates it.
- Facilitators (and site administrators) see and handle every concern and dispatch them; recorders see every
  concern and record new ones.
- Grid workers and building leads see and handle only the concerns in their scope: their buildings, the
  common areas of the compounds those buildings are in, and concerns dispatched to them.
- Street staff see and handle the escalated concerns of their street's communities, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.roles import RULE

# From community.roles, the one list the roles page shows.
STAFF_ROLES = RULE["record_concerns"].roles
WHOLE_ROLES = RULE["see_all_concerns"].roles
DISPATCH_ROLES = RULE["dispatch_concerns"].roles
SCOPED_ROLES = RULE["handle_concerns"].scoped


@dataclass(frozen=True)
class Place:
    """What deciding about one concern needs: where it is, who raised it, who handles it."""

    community_id: int
    building_id: int | None
    compound_id: int | None
    reporter_id: int | None
    handler_id: int | None
    escalated: bool


@dataclass(frozen=True)
class Standing:
    """One account in one community."""

    community_id: int
    account_id: int
    is_site_admin: bool = False
    roles: frozenset[str] = frozenset()
    # Scoped staff: the buildings they cover (None: the whole community), and those buildings' compounds.
    buildings: frozenset[int] | None = frozenset()
    compounds: frozenset[int] = frozenset()
    street_staff: bool = False  # staff of the street this community belongs to

    @property
    def staff(self) -> bool:
        return self.is_site_admin or bool(self.roles & STAFF_ROLES)

    @property
    def whole(self) -> bool:
        """Sees every concern of the community."""
        return self.is_site_admin or bool(self.roles & WHOLE_ROLES) or (self.staff and self.buildings is None)

    @property
    def dispatcher(self) -> bool:
        return self.is_site_admin or bool(self.roles & DISPATCH_ROLES)

    def covers(self, building_id: int | None, compound_id: int | None) -> bool:
        """A place inside this account's staff scope."""
        if self.whole:
            return True
        if not self.roles & SCOPED_ROLES or self.buildings is None:
            return False
        if building_id is not None:
            return building_id in self.buildings
        return compound_id is not None and compound_id in self.compounds

    def is_reporter(self, place: Place) -> bool:
        return place.reporter_id is not None and place.reporter_id == self.account_id

    def sees_as_staff(self, place: Place) -> bool:
        if place.community_id != self.community_id:
            return False
        if self.whole or self.covers(place.building_id, place.compound_id):
            return True
        if self.staff and place.handler_id == self.account_id:
            return True
        return self.street_staff and place.escalated

    def sees(self, place: Place) -> bool:
        return place.community_id == self.community_id and (self.is_reporter(place) or self.sees_as_staff(place))

    def handles(self, place: Place) -> bool:
        """Logs progress, answers, records a rating heard by phone or on a visit."""
        if place.community_id != self.community_id:
            return False
        if self.dispatcher:
            return True
        if self.roles & SCOPED_ROLES and (self.covers(place.building_id, place.compound_id) or place.handler_id == self.account_id):
            return True
        if self.staff and place.handler_id == self.account_id:
            return True
        return self.street_staff and place.escalated

    def may_record_at(self, building_id: int | None, compound_id: int | None) -> bool:
        """Records a concern received by phone, on a visit, in the box or at a meeting, for this place."""
        return self.staff and self.covers(building_id, compound_id)
