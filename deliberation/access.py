"""Who may see and do what with a meeting, checked on the server for every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community import known
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
    """The account's flats in the community with where they are, and which of its links are verified (as read
    with the request's session when it is this account's: community.known)."""
    found = known.links_of(account_id, community_id)
    if found is not None:
        return _links([(("verified" if link.kind == "verified" else "linked"), link.flat, link.person, link.area,
                         link.unit, link.building, link.compound) for link in found])  # fmt: skip
    rows = await Flat.raw(_LINKS_SQL, *([account_id, community_id, True] * 3))
    return _links([(r["kind"], r["flat"], r["person"], r["area"], r["unit"], r["building"], r["compound"]) for r in rows])


def _links(rows: list[tuple[str, int, int, int, int, int, int]]) -> Links:
    """Links from (kind, flat, person, area, unit, building, compound) rows, kind "linked" or "verified"."""
    pairs = {(int(r[1]), int(r[2])) for r in rows if r[0] == "linked"}
    if not pairs:
        return Links((), frozenset())
    places = {
        int(flat): FlatPlace(flat_id=int(flat), unit_id=int(unit), building_id=int(building),
                             compound_id=int(compound), area=int(area))
        for kind, flat, _person, area, unit, building, compound in rows
        if kind == "linked"
    }  # fmt: skip
    verified = {int(r[1]) for r in rows if r[0] == "verified" and (int(r[1]), int(r[2])) in pairs}
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


async def meeting_for(
    user: CurrentUser | None, meeting_id: int, need: str = "view", meeting: dict[str, Any] | None = None
) -> MeetingContext:
    """The meeting if the user may `need` ("view", "control", "record", "comment", …); `meeting`: its row as
    get_meeting gives it, if the page already read it (deliberation.phone_reads).

    Someone who may not even see it gets 404 (its existence is not revealed); someone who sees it but may
    not do this gets 403.
    """
    meeting = meeting if meeting is not None else await get_meeting(meeting_id)
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
