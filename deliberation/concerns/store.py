"""Queries and writes of the concerns package: concerns, their log, photos and ratings, the register places they
are about, who may handle them, and the facts the figures and the open data are computed from."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.query.functions.aggregate import Count, Max

from community.accounts import CurrentUser, roles_in
from community.config import get_config
from community.permissions import scoped_buildings
from community.roster.plan import natural_key
from community.roster.scope import attachments
from community.tables import Building, Community, Compound, Flat, Membership, StairwellUnit, StreetMembership
from deliberation.concerns import core, figures, opendata
from deliberation.concerns.standing import STAFF_ROLES, WHOLE_ROLES, Place, Standing
from deliberation.concerns.tables import Concern, ConcernPhoto, ConcernRating, ConcernStep

# --- Communities, settings, standing ---------------------------------------------------------------------------


async def community(slug: str) -> dict[str, Any] | None:
    return await Community.select(
        Community.id, Community.slug, Community.name, Community.street, Community.street_ref,
        Community.street_ref.slug, Community.timezone, Community.settings, Community.archived_at,
    ).where(Community.slug == slug).output(load_json=True).first()  # fmt: skip


async def community_by_id(community_id: int) -> dict[str, Any] | None:
    return await Community.select(
        Community.id, Community.slug, Community.name, Community.street, Community.street_ref,
        Community.street_ref.slug, Community.timezone, Community.settings, Community.archived_at,
    ).where(Community.id == community_id).output(load_json=True).first()  # fmt: skip


def zone(row: dict[str, Any] | None = None) -> ZoneInfo:
    """The community's time zone (its own, else the deployment's)."""
    name = str((row or {}).get("timezone") or "") or get_config().timezone
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(get_config().timezone)


def settings_of(row: dict[str, Any] | None) -> core.Settings:
    stored = (row or {}).get("settings") or {}
    section = stored.get("concerns") if isinstance(stored, dict) else None
    settings, _errors = core.parse_settings(section if isinstance(section, dict) else {})
    return settings


async def save_settings(community_id: int, settings: core.Settings) -> None:
    """Inside a write transaction: the community's other settings stay as they are."""
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = dict((row or {}).get("settings") or {})
    stored["concerns"] = core.settings_to_json(settings)
    await Community.update({Community.settings: stored}).where(Community.id == community_id)


async def standing(user: CurrentUser, community: dict[str, Any]) -> Standing:
    """The account's standing in the community, read from the database on every request."""
    community_id = int(community["id"])
    roles = frozenset(await roles_in(user.id, community_id)) & STAFF_ROLES
    buildings: frozenset[int] | None = frozenset()
    if user.is_site_admin or roles & WHOLE_ROLES:
        buildings = None
    else:
        for role in sorted(roles):
            covered = await scoped_buildings(user.id, community_id, role)
            buildings = None if covered is None or buildings is None else buildings | covered
    compounds: frozenset[int] = frozenset()
    if buildings:
        compounds = frozenset(
            int(r["compound"]) for r in await Building.select(Building.compound).where(Building.id.is_in(sorted(buildings)))
        )
    street_staff = False
    if community.get("street_ref") is not None:
        street_staff = bool(await StreetMembership.exists().where(
            (StreetMembership.account == user.id) & (StreetMembership.street == community["street_ref"])
        ))  # fmt: skip
    return Standing(community_id, user.id, user.is_site_admin, roles, buildings, compounds, street_staff)


# --- Places of the register --------------------------------------------------------------------------------------


async def resident_flats(account_id: int, community_id: int) -> list[dict[str, Any]]:
    """The flats the account owns or lives in here, with their building, unit and compound."""
    flat_ids = sorted({a.flat_id for a in await attachments(account_id, community_id)})
    if not flat_ids:
        return []
    rows = await Flat.select(
        Flat.id, Flat.room, Flat.stairwell_unit.id, Flat.stairwell_unit.name, Flat.stairwell_unit.building.id,
        Flat.stairwell_unit.building.name, Flat.stairwell_unit.building.compound.id,
        Flat.stairwell_unit.building.compound.name,
    ).where(Flat.id.is_in(flat_ids))  # fmt: skip
    return sorted(rows, key=lambda r: (str(r["stairwell_unit.building.compound.name"]),
                                       natural_key(str(r["stairwell_unit.building.name"])), str(r["room"])))  # fmt: skip


async def compounds(community_id: int) -> list[dict[str, Any]]:
    return await Compound.select(Compound.id, Compound.name).where(Compound.community == community_id).order_by(Compound.name)


async def units(community_id: int) -> list[dict[str, Any]]:
    """Every stairwell unit of the community, in register order."""
    rows = await StairwellUnit.select(
        StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.id, StairwellUnit.building.name,
        StairwellUnit.building.compound.id, StairwellUnit.building.compound.name,
    ).where(StairwellUnit.building.compound.community == community_id)  # fmt: skip
    return sorted(rows, key=lambda r: (str(r["building.compound.name"]), natural_key(str(r["building.name"])),
                                       natural_key(str(r["name"]))))  # fmt: skip


async def building_order(community_ids: Sequence[int]) -> list[str]:
    rows = await Building.select(Building.name).where(Building.compound.community.is_in(list(community_ids) or [-1]))
    return sorted({str(r["name"]) for r in rows}, key=natural_key)


async def staff_members(community_id: int) -> list[dict[str, Any]]:
    """Staff of the community a concern may be dispatched to: one row per account, its roles joined."""
    rows = await Membership.select(Membership.account, Membership.account.display_name, Membership.role).where(
        (Membership.community == community_id) & Membership.role.is_in(sorted(STAFF_ROLES))
        & Membership.account.is_active.eq(True)
    ).order_by(Membership.account.display_name)  # fmt: skip
    found: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = found.setdefault(int(r["account"]), {"id": int(r["account"]), "name": r["account.display_name"], "roles": []})
        entry["roles"].append(str(r["role"]))
    return list(found.values())


# --- Concerns ------------------------------------------------------------------------------------------------------

CONCERN_COLUMNS = (
    *Concern.all_columns(), Concern.building.name, Concern.stairwell_unit.name, Concern.compound.name, Concern.flat.room,
    Concern.handler_account.display_name, Concern.reporter.display_name, Concern.recorded_by.display_name,
    Concern.community.slug, Concern.community.name, Concern.agenda_item.title, Concern.agenda_item.meeting,
)  # fmt: skip
LIST_COLUMNS = (
    Concern.id, Concern.community, Concern.kind, Concern.channel, Concern.status, Concern.opened_at, Concern.due_at,
    Concern.first_response_at, Concern.last_progress_at, Concern.answered_at, Concern.escalated_at, Concern.building,
    Concern.compound, Concern.handler_account, Concern.handler_kind, Concern.handler_name, Concern.reporter,
    Concern.text, Concern.place_note, Concern.reopen_count, Concern.rating, Concern.agenda_item,
    Concern.building.name, Concern.stairwell_unit.name, Concern.compound.name, Concern.handler_account.display_name,
)  # fmt: skip


def place_of(row: dict[str, Any]) -> Place:
    return Place(
        community_id=int(row["community"]),
        building_id=row["building"],
        compound_id=row["compound"],
        reporter_id=row["reporter"],
        handler_id=row["handler_account"],
        escalated=row["escalated_at"] is not None,
    )


def timing_of(row: dict[str, Any]) -> core.Timing:
    return core.Timing(row["status"], row["opened_at"], row["first_response_at"], row["last_progress_at"], row["due_at"])


async def concern(concern_id: int) -> dict[str, Any] | None:
    return await Concern.select(*CONCERN_COLUMNS).where(Concern.id == concern_id).first()


async def concern_for_update(concern_id: int, community_id: int) -> dict[str, Any] | None:
    """Inside a write transaction: the concern as it is now, through its community."""
    return await Concern.select().where((Concern.id == concern_id) & (Concern.community == community_id)).first()


async def steps(concern_id: int, visible_only: bool) -> list[dict[str, Any]]:
    query = ConcernStep.select(*ConcernStep.all_columns(), ConcernStep.actor.display_name).where(
        ConcernStep.concern == concern_id
    )
    if visible_only:
        query = query.where(ConcernStep.visible.eq(True))
    return await query.order_by(ConcernStep.at).order_by(ConcernStep.id).output(load_json=True)


async def photos(concern_id: int) -> list[dict[str, Any]]:
    return await ConcernPhoto.select().where(ConcernPhoto.concern == concern_id).order_by(ConcernPhoto.id)


async def photo(concern_id: int, photo_id: int) -> dict[str, Any] | None:
    return await ConcernPhoto.select().where((ConcernPhoto.id == photo_id) & (ConcernPhoto.concern == concern_id)).first()


async def rated_answers(concern_id: int) -> frozenset[int]:
    rows = await ConcernRating.select(ConcernRating.answer).where(ConcernRating.concern == concern_id)
    return frozenset(int(r["answer"]) for r in rows)


async def ratings(concern_id: int) -> list[dict[str, Any]]:
    return await ConcernRating.select().where(ConcernRating.concern == concern_id).order_by(ConcernRating.id)


async def add_step(concern_id: int, at: datetime, actor: int | None, action: str, text: str = "", visible: bool = True,
                   **detail: Any) -> None:  # fmt: skip
    await ConcernStep.insert(
        ConcernStep(concern=concern_id, at=at, actor=actor, action=action, text=text, visible=visible, detail=detail)
    )


async def update(concern_id: int, changes: dict[Any, Any]) -> None:
    """Inside a write transaction: change a concern, and when it last changed (cached figures read that)."""
    await Concern.update({**changes, Concern.updated_at: datetime.now(UTC)}).where(Concern.id == concern_id)


async def listed(community_id: int, *, reporter: int | None = None, status: str = "", kind: str = "",
                 item: int | None = None, escalated: bool = False, limit: int = 500) -> list[dict[str, Any]]:  # fmt: skip
    """Concerns of a community, newest first, filtered; who may see each is decided by the caller."""
    query = Concern.select(*LIST_COLUMNS).where(Concern.community == community_id)
    if reporter is not None:
        query = query.where(Concern.reporter == reporter)
    if status == "open":
        query = query.where(Concern.status.is_in(sorted(core.OPEN_STATUSES)))
    elif status in core.STATUSES:
        query = query.where(Concern.status == status)
    if kind in core.KINDS:
        query = query.where(Concern.kind == kind)
    if item is not None:
        query = query.where(Concern.agenda_item == item)
    if escalated:
        query = query.where(Concern.escalated_at.is_not_null())
    return await query.order_by(Concern.opened_at, ascending=False).order_by(Concern.id, ascending=False).limit(limit)


async def escalated_in(community_ids: Sequence[int]) -> list[dict[str, Any]]:
    return await Concern.select(*LIST_COLUMNS, Concern.community.slug, Concern.community.name).where(
        Concern.community.is_in(list(community_ids) or [-1]) & Concern.escalated_at.is_not_null()
        & (Concern.status != "closed")
    ).order_by(Concern.escalated_at, ascending=False)  # fmt: skip


async def answered_before(at: datetime) -> list[dict[str, Any]]:
    """Answered concerns whose latest answer is older than `at` (the clock then applies each community's days)."""
    return await Concern.select(Concern.id, Concern.community, Concern.answered_at, Concern.status).where(
        (Concern.status == "answered") & (Concern.answered_at <= at)
    )


# --- Facts for the figures and the open data ---------------------------------------------------------------------

FACT_COLUMNS = (
    Concern.id, Concern.community, Concern.kind, Concern.channel, Concern.status, Concern.opened_at,
    Concern.first_response_at, Concern.first_answer_at, Concern.answered_at, Concern.due_at, Concern.closed_at,
    Concern.reopen_count, Concern.rating, Concern.escalated_at, Concern.building.name,
)  # fmt: skip


class Cache:
    """A few results per process, each kept with the version of the concerns it was computed from: the number of
    concerns and when the last one changed, read from the database on every use (one aggregate query), so a
    change made by any process is seen at once. What is read most — a month's figures, open-data files — is
    computed once per change instead of once per request."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.entries: OrderedDict[Any, tuple[tuple[int, str], Any]] = OrderedDict()

    def get(self, key: Any, version: tuple[int, str]) -> Any:
        found = self.entries.get(key)
        if found is None or found[0] != version:
            return None
        self.entries.move_to_end(key)
        return found[1]

    def put(self, key: Any, version: tuple[int, str], value: Any) -> Any:
        self.entries[key] = (version, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


FACTS = Cache()
FILES = Cache(16)


def _scope(community_ids: Iterable[int], since: datetime | None, until: datetime | None) -> Any:
    where: Any = Concern.community.is_in(sorted(community_ids) or [-1])
    if since is not None:
        where = where & (Concern.opened_at >= since)
    if until is not None:
        where = where & (Concern.opened_at < until)
    return where


async def version(community_ids: Iterable[int], since: datetime | None = None,
                  until: datetime | None = None) -> tuple[int, str]:  # fmt: skip
    """(how many concerns, when the last of them changed) in this scope."""
    row = await Concern.select(Count(Concern.id, alias="n"), Max(Concern.updated_at, alias="last")).where(
        _scope(community_ids, since, until)).first()  # fmt: skip
    return (int(row["n"]), str(row["last"])) if row else (0, "")


async def facts(community_ids: Iterable[int], since: datetime | None = None,
                until: datetime | None = None) -> dict[int, list[figures.Facts]]:  # fmt: skip
    """Facts of the concerns opened in [since, until), per community (cached while nothing changes)."""
    return (await versioned_facts(community_ids, since, until))[1]


async def versioned_facts(community_ids: Iterable[int], since: datetime | None = None,
                          until: datetime | None = None) -> tuple[tuple[int, str], dict[int, list[figures.Facts]]]:  # fmt: skip
    """The facts and the version they were read at (callers may keep what they compute from them by it)."""
    ids = tuple(sorted(community_ids))
    current = await version(ids, since, until)
    key = (ids, since, until)
    cached = FACTS.get(key, current)
    if cached is not None:
        return current, cached
    found: dict[int, list[figures.Facts]] = {}
    for r in await Concern.select(*FACT_COLUMNS).where(_scope(ids, since, until)):
        found.setdefault(int(r["community"]), []).append(
            figures.Facts(
                id=int(r["id"]), kind=str(r["kind"]), channel=str(r["channel"]), building=str(r["building.name"] or ""),
                status=str(r["status"]), opened_at=r["opened_at"], first_response_at=r["first_response_at"],
                first_answer_at=r["first_answer_at"], answered_at=r["answered_at"], due_at=r["due_at"],
                closed_at=r["closed_at"], reopen_count=int(r["reopen_count"]), rating=str(r["rating"] or ""),
                escalated=r["escalated_at"] is not None,
            )  # fmt: skip
        )
    return current, FACTS.put(key, current, found)


OPEN_COLUMNS = (
    Concern.id, Concern.community, Concern.status, Concern.opened_at, Concern.first_response_at,
    Concern.last_progress_at, Concern.due_at, Concern.escalated_at,
)  # fmt: skip


async def listed_open(community_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Concerns not yet answered or closed, per community, for flags and counts (cached while nothing changes)."""
    ids = tuple(sorted(community_ids))
    current = await version(ids)
    cached = FACTS.get(("open", ids), current)
    if cached is None:
        found: dict[int, list[dict[str, Any]]] = {}
        for r in await Concern.select(*OPEN_COLUMNS).where(
            Concern.community.is_in(list(ids) or [-1]) & Concern.status.is_in(sorted(core.OPEN_STATUSES))
        ):
            found.setdefault(int(r["community"]), []).append(r)
        cached = FACTS.put(("open", ids), current, found)
    return cached  # type: ignore[no-any-return]


async def open_data(communities: dict[int, str], zone: ZoneInfo, with_community: bool) -> bytes:
    """The open-data file of these communities (id → slug), written once per change."""
    current = await version(communities)
    key = (tuple(sorted(communities.items())), str(zone), with_community)
    cached = FILES.get(key, current)
    if cached is None:
        cached = FILES.put(key, current, opendata.write(await csv_rows(communities), zone, with_community))
    return cached  # type: ignore[no-any-return]


async def csv_rows(communities: dict[int, str]) -> list[opendata.Row]:
    """Every concern of these communities (id → slug) as an open-data row."""
    rows = await Concern.select(
        Concern.id, Concern.community, Concern.opened_at, Concern.kind, Concern.building.name,
        Concern.stairwell_unit.name, Concern.channel, Concern.status, Concern.handler_kind, Concern.first_response_at,
        Concern.closed_at, Concern.reopen_count, Concern.rating,
    ).where(Concern.community.is_in(sorted(communities) or [-1]))  # fmt: skip
    return [
        opendata.Row(
            id=int(r["id"]), community=communities[int(r["community"])], opened_at=r["opened_at"], kind=str(r["kind"]),
            building=str(r["building.name"] or ""), unit=str(r["stairwell_unit.name"] or ""), channel=str(r["channel"]),
            status=str(r["status"]), handler_kind=str(r["handler_kind"] or ""), first_response_at=r["first_response_at"],
            closed_at=r["closed_at"], reopen_count=int(r["reopen_count"]), rating=str(r["rating"] or ""),
        )  # fmt: skip
        for r in rows
    ]
