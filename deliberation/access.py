"""Who may see and do what with a meeting, checked on the server for every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.tables import Flat, Ownership, Residency, Verification
from deliberation.rules import Access, AccessFacts, FlatPlace, access, in_scope
from deliberation.tables import AgendaItem, Meeting

NO_ACCESS = Access(
    view=False, control=False, record=False, comment=False, check_in=False, raise_hand=False, staff=False
)
NOT_FOUND = lazy("This meeting does not exist, or it is not open to you.")
NOT_ALLOWED = lazy("You are not allowed to see or do this.")


@dataclass(frozen=True)
class MeetingContext:
    """A meeting row (dict) with what the current user may do with it."""

    meeting: dict[str, Any]
    can: Access
    user: CurrentUser | None
    # The user's verified flats in the meeting's scope, as found when access was decided (None: not looked up);
    # the check-in box reuses them instead of reading the register a second time in the same request.
    verified_flats: tuple[int, ...] | None = None

    @property
    def id(self) -> int:
        return int(self.meeting["id"])

    @property
    def community_id(self) -> int:
        return int(self.meeting["community"])


async def get_meeting(meeting_id: int) -> dict[str, Any]:
    """The meeting's row, with the names pages show beside it (venue, facilitator, recorder, community)."""
    row = await Meeting.select(
        *Meeting.all_columns(),
        Meeting.venue.name,
        Meeting.venue.address,
        Meeting.facilitator.display_name,
        Meeting.recorder.display_name,
        Meeting.community.slug,
        Meeting.community.name,
    ).where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def scope_ids(meeting: dict[str, Any]) -> tuple[int, ...]:
    raw = meeting.get("scope_ids") or "[]"
    if isinstance(raw, str):
        import json

        raw = json.loads(raw)
    return tuple(int(i) for i in raw)


async def place_of_flats(flat_ids: list[int]) -> list[FlatPlace]:
    if not flat_ids:
        return []
    rows = await Flat.select(
        Flat.id,
        Flat.area,
        Flat.stairwell_unit.id,
        Flat.stairwell_unit.building.id,
        Flat.stairwell_unit.building.compound.id,
    ).where(Flat.id.is_in(flat_ids) & Flat.active.eq(True))
    return [
        FlatPlace(
            flat_id=int(r["id"]),
            unit_id=int(r["stairwell_unit.id"]),
            building_id=int(r["stairwell_unit.building.id"]),
            compound_id=int(r["stairwell_unit.building.compound.id"]),
            area=int(r["area"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Links:
    """The flats an account is attached to in one community, and which of those links are verified."""

    places: tuple[FlatPlace, ...]
    verified: frozenset[int]

    def in_meeting(self, meeting: dict[str, Any]) -> tuple[list[int], list[int]]:
        """(flats of the meeting's scope the account is attached to, the verified ones among them)."""
        kind, ids = str(meeting["scope_kind"]), scope_ids(meeting)
        attached = sorted(p.flat_id for p in self.places if in_scope(p, kind, ids))
        return attached, [f for f in attached if f in self.verified]


def _place_columns(table: Any) -> tuple[Any, ...]:
    unit = table.flat.stairwell_unit
    return (table.flat, table.person, table.flat.area, unit.id, unit.building.id, unit.building.compound.id)


async def links_of(account_id: int, community_id: int) -> Links:
    """The account's flats in the community with where they are, in three queries (owned, lived in, verified):
    the register is read on every meeting page, so the joins are done by the database."""
    linked: dict[int, FlatPlace] = {}
    pairs: set[tuple[int, int]] = set()
    for table in (Ownership, Residency):
        for r in await table.select(*_place_columns(table)).where(
            (table.person.account == account_id) & (table.person.community == community_id) & table.flat.active.eq(True)
        ):
            flat_id = int(r["flat"])
            pairs.add((flat_id, int(r["person"])))
            linked[flat_id] = FlatPlace(
                flat_id=flat_id,
                unit_id=int(r["flat.stairwell_unit.id"]),
                building_id=int(r["flat.stairwell_unit.building.id"]),
                compound_id=int(r["flat.stairwell_unit.building.compound.id"]),
                area=int(r["flat.area"]),
            )
    if not linked:
        return Links((), frozenset())
    verified = {
        int(r["flat"])
        for r in await Verification.select(Verification.flat, Verification.person).where(
            (Verification.person.account == account_id) & (Verification.person.community == community_id)
            & Verification.revoked_at.is_null()
        )
        if (int(r["flat"]), int(r["person"])) in pairs
    }
    return Links(tuple(linked[f] for f in sorted(linked)), frozenset(verified))


async def attached_flats(account_id: int, meeting: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(flats in the meeting's scope the account is attached to, the verified ones among them)."""
    return (await links_of(account_id, int(meeting["community"]))).in_meeting(meeting)


async def access_for(user: CurrentUser | None, meeting: dict[str, Any]) -> Access:
    return (await _access_and_flats(user, meeting))[0]


async def _access_and_flats(user: CurrentUser | None, meeting: dict[str, Any]) -> tuple[Access, tuple[int, ...]]:
    """What the user may do, and their verified flats in the meeting's scope (one read of the register)."""
    if user is None:
        return NO_ACCESS, ()
    attached, verified = await attached_flats(user.id, meeting)
    facts = AccessFacts(
        account_id=user.id,
        is_site_admin=user.is_site_admin,
        roles=frozenset(await roles_in(user.id, int(meeting["community"]))),
        status=str(meeting["status"]),
        facilitator_id=meeting["facilitator"],
        recorder_id=meeting["recorder"],
        attached=bool(attached),
        verified=bool(verified),
    )
    return access(facts), tuple(verified)


async def meeting_for(user: CurrentUser | None, meeting_id: int, need: str = "view") -> MeetingContext:
    """The meeting if the user may `need` ("view", "control", "record", "comment", …).

    Someone who may not even see it gets 404 (its existence is not revealed); someone who sees it but may
    not do this gets 403.
    """
    meeting = await get_meeting(meeting_id)
    can, verified = await _access_and_flats(user, meeting)
    if not can.view:
        raise NotFound(NOT_FOUND)
    if not getattr(can, need):
        raise Forbidden(NOT_ALLOWED)
    return MeetingContext(meeting, can, user, verified)


async def item_of(ctx: MeetingContext, item_id: int) -> dict[str, Any]:
    row = await AgendaItem.select().where((AgendaItem.id == item_id) & (AgendaItem.meeting == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This agenda item does not exist."))
    return row
