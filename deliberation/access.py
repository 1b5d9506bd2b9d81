"""Who may see and do what with a meeting, checked on the server for every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community.accounts import CurrentUser, roles_in
from community.errors import Forbidden, NotFound
from community.i18n import lazy
from community.tables import Flat
from deliberation.attendance_rules import FlatPlace, in_scope
from deliberation.rules import Access, AccessFacts, access
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


# The account's owned and lived-in flats with where they are, and its verified links, in one statement: the
# register is read on every meeting page (and building Piccolo's joins cost more CPU than running them).
_LINKS_SQL = " UNION ALL ".join(
    f"""SELECT '{kind}' AS kind, l.flat AS flat, l.person AS person, f.area AS area, u.id AS unit, b.id AS building,
    b.compound AS compound FROM {table} l JOIN person p ON p.id = l.person JOIN flat f ON f.id = l.flat
    JOIN stairwell_unit u ON u.id = f.stairwell_unit JOIN building b ON b.id = u.building
    WHERE p.account = {{}} AND p.community = {{}} AND f.active = {{}}{extra}"""  # noqa: S608 - literals only
    for kind, table, extra in (
        ("linked", "ownership", ""), ("linked", "residency", ""),
        ("verified", "verification", " AND l.revoked_at IS NULL"),
    )
)


async def links_of(account_id: int, community_id: int) -> Links:
    """The account's flats in the community with where they are, and which of its links are verified."""
    rows = await Flat.raw(_LINKS_SQL, *([account_id, community_id, True] * 3))
    pairs = {(int(r["flat"]), int(r["person"])) for r in rows if r["kind"] == "linked"}
    if not pairs:
        return Links((), frozenset())
    places = {
        int(r["flat"]): FlatPlace(
            flat_id=int(r["flat"]), unit_id=int(r["unit"]), building_id=int(r["building"]),
            compound_id=int(r["compound"]), area=int(r["area"]),
        )
        for r in rows
        if r["kind"] == "linked"
    }
    verified = {int(r["flat"]) for r in rows if r["kind"] == "verified" and (int(r["flat"]), int(r["person"])) in pairs}
    return Links(tuple(places[f] for f in sorted(places)), frozenset(verified))


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
