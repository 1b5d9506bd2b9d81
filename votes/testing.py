"""Roster rows built directly with the tables, for the votes tests, benchmarks and browser-test set-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from community.bulk_sql import refresh_statistics
from community.db import write_transaction
from community.roster.importer import ROSTER_TABLES
from community.tables import (
    Building,
    Compound,
    Flat,
    Ownership,
    Person,
    Residency,
    StairwellUnit,
    Verification,
)
from votes.bulk import insert_many


@dataclass
class RosterBuilder:
    """Adds compounds, buildings, stairwell units, flats and people to one community's roster."""

    community_id: int
    compound_name: str = "幸福里"
    _compounds: dict[str, int] = field(default_factory=dict)
    _buildings: dict[tuple[str, str], int] = field(default_factory=dict)
    _units: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _people: int = 0

    async def compound(self, name: str | None = None) -> int:
        name = name or self.compound_name
        if name not in self._compounds:
            rows = await Compound.insert(Compound(community=self.community_id, name=name)).returning(Compound.id)
            self._compounds[name] = int(rows[0]["id"])
        return self._compounds[name]

    async def stairwell(self, building: str, unit: str, compound: str | None = None) -> int:
        compound_name = compound or self.compound_name
        compound_id = await self.compound(compound_name)
        if (compound_name, building) not in self._buildings:
            rows = await Building.insert(Building(compound=compound_id, name=building)).returning(Building.id)
            self._buildings[(compound_name, building)] = int(rows[0]["id"])
        key = (compound_name, building, unit)
        if key not in self._units:
            rows = await StairwellUnit.insert(
                StairwellUnit(building=self._buildings[(compound_name, building)], name=unit)
            ).returning(StairwellUnit.id)
            self._units[key] = int(rows[0]["id"])
        return self._units[key]

    async def flat(
        self,
        stairwell_id: int,
        room: str,
        area: int,
        floor: int | None = None,
        developer_unsold: bool = False,
        usage: str = "residential",
    ) -> int:
        """A flat; `area` in hundredths of m²; the floor defaults to the room number's leading digits."""
        rows = await Flat.insert(
            Flat(
                stairwell_unit=stairwell_id,
                room=room,
                floor=floor if floor is not None else max(1, int(room) // 100) if room.isdigit() else 1,
                area=area,
                developer_unsold=developer_unsold,
                usage=usage,
            )
        ).returning(Flat.id)
        return int(rows[0]["id"])

    async def person(self, name: str, account: int | None = None, phone: str | None = None) -> int:
        self._people += 1
        rows = await Person.insert(
            Person(
                community=self.community_id,
                name=name,
                phone=phone,
                identity_key=f"{name}|test-{self._people}",
                account=account,
            )
        ).returning(Person.id)
        return int(rows[0]["id"])

    async def own(self, flat_id: int, person_id: int, verified: bool = True) -> None:
        await Ownership.insert(Ownership(flat=flat_id, person=person_id))
        if verified:
            await self.verify(flat_id, person_id)

    async def rent(self, flat_id: int, person_id: int, relation: str = "tenant", verified: bool = True) -> None:
        await Residency.insert(Residency(flat=flat_id, person=person_id, relation=relation))
        if verified:
            await self.verify(flat_id, person_id)

    async def verify(self, flat_id: int, person_id: int) -> None:
        await Verification.insert(Verification(flat=flat_id, person=person_id, method="register"))

    async def designate(self, flat_id: int, person_id: int) -> None:
        await Flat.update({Flat.designated_voter: person_id}).where(Flat.id == flat_id)


async def bulk_electorate(community_id: int, flats: int, per_stairwell: int = 60) -> None:
    """A large roster quickly (for benchmarks): `flats` flats, each owned by its own verified owner,
    with every 25th owner also owning the next flat, and every 40th flat unsold developer stock."""
    builder = RosterBuilder(community_id)
    compound_id = await builder.compound()
    buildings = (flats + per_stairwell * 4 - 1) // (per_stairwell * 4)
    async with write_transaction():
        await insert_many(Building, ("compound", "name"), [(compound_id, str(b + 1)) for b in range(buildings)])
        building_ids = [r["id"] for r in await Building.select(Building.id).where(Building.compound == compound_id).order_by(Building.id)]
        await insert_many(StairwellUnit, ("building", "name"), [(b, str(u + 1)) for b in building_ids for u in range(4)])
        stairwell_ids = [
            r["id"]
            for r in await StairwellUnit.select(StairwellUnit.id).where(StairwellUnit.building.compound == compound_id).order_by(
                StairwellUnit.id
            )
        ]
        rows = []
        for index in range(flats):
            floor, door = divmod(index % per_stairwell, 2)
            rows.append(
                (stairwell_ids[index // per_stairwell], f"{floor + 1}{door + 1:02d}", floor + 1, 7000 + (index * 37) % 6000,
                 "registered", "residential", index % 40 == 39, True)
            )
        await insert_many(Flat, ("stairwell_unit", "room", "floor", "area", "area_source", "usage", "developer_unsold", "active"), rows)
        flat_ids = [
            r["id"]
            for r in await Flat.select(Flat.id).where(Flat.stairwell_unit.building.compound == compound_id).order_by(Flat.id)
        ]
        await insert_many(
            Person, ("community", "name", "identity_key", "is_developer"),
            [(community_id, f"业主{i}", f"bulk-{i}", False) for i in range(flats)],
        )
        person_ids = [
            r["id"]
            for r in await Person.select(Person.id).where(
                (Person.community == community_id) & Person.identity_key.like("bulk-%")
            ).order_by(Person.id)
        ]
        owned = [
            (flat_id, person_ids[index - 1] if index % 25 == 1 else person_ids[index])
            for index, flat_id in enumerate(flat_ids)
            if index % 40 != 39
        ]
        await insert_many(Ownership, ("flat", "person"), owned)
        await insert_many(Verification, ("flat", "person", "method", "note", "revoke_reason"), [(f, p, "register", "", "") for f, p in owned])
    await refresh_statistics(*ROSTER_TABLES)  # as an import of the register does


async def let_voting_period_run(vote_id: int) -> None:
    """Date the vote's opening back past any minimum voting period (votes.periods), so a test may close it now."""
    from datetime import UTC, datetime, timedelta

    from votes.tables import Vote

    await Vote.update({Vote.opened_at: datetime.now(UTC) - timedelta(days=91)}).where(Vote.id == vote_id)


async def scope_staff(account_id: int, community_id: int, role: str, buildings: tuple[int, ...] | None = None) -> None:
    """Give a grid worker's or building lead's membership its scope: these buildings, or (None) the whole
    community. Without one they see no building at all (community.permissions.scoped_buildings)."""
    from community.tables import Membership, StaffScope

    membership = await Membership.select(Membership.id).where(
        (Membership.account == account_id) & (Membership.community == community_id) & (Membership.role == role)
    ).first()
    assert membership is not None, "grant the role first"
    await Membership.update({Membership.scope_kind: "community" if buildings is None else "building"}).where(
        Membership.id == membership["id"]
    )
    await StaffScope.delete().where(StaffScope.membership == membership["id"])
    for building in buildings or ():
        await StaffScope.insert(StaffScope(membership=membership["id"], building=building))


def before_the_query_window() -> Any:
    """Freeze the clock further back than any query window (votes.queries, at most 30 days): a vote closed inside
    this block has its window behind it when the block ends, so `publish_final` can publish its final result now."""
    from datetime import UTC, datetime, timedelta

    from community.clock import frozen_at
    from votes.queries import MAX_WINDOW_DAYS

    return frozen_at(datetime.now(UTC) - timedelta(days=MAX_WINDOW_DAYS + 2))


async def publish_final(vote_id: int) -> None:
    """What the vote clock does once a vote's query window has ended with every query answered."""
    from votes.result_final import finalise_due
    from votes.tables import VoteStage

    await finalise_due()
    row = await VoteStage.select(VoteStage.stage).where(VoteStage.vote == vote_id).first()
    assert row is not None and row["stage"] == "final", "the query window has not ended, or a query is unanswered"
