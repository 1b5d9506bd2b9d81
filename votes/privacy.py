"""Who is asking about a vote (votes.disclosure decides what they see), and the staff member's scope over a
vote's flats: every staff list of flats and owners passes through `staff_scope`."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from community.accounts import CurrentUser, roles_in
from community.config import get_config
from community.errors import Forbidden
from community.i18n import lazy
from community.permissions import STAFF_ROLES, reach, roster_access
from community.roles import RULE
from community.roster.scope import verified_owner_flats
from community.tables import Flat
from votes.disclosure import Viewer
from votes.tables import VoteFlat

OUTSIDE_SCOPE = lazy("This vote concerns no building in your area of responsibility.")


async def viewer_of(user: CurrentUser | None, community_id: int, vote_id: int) -> Viewer:
    """What this user is for one vote: the staff who run votes (facilitators, site administrators), other
    staff, an owner in the vote's electorate, or the public."""
    if user is None:
        return "public"
    if user.is_site_admin:
        return "auditor"
    held = await roles_in(user.id, community_id)
    if held & RULE["run_votes"].roles:
        return "auditor"
    if held & STAFF_ROLES:
        return "staff"
    owned = sorted({a.flat_id for a in await verified_owner_flats(user.id, community_id)})
    # Raw: a result page asks this on every view, and Piccolo's EXISTS costs more to build than to run.
    placeholders = ", ".join("{}" for _ in owned)
    in_electorate = f"SELECT EXISTS(SELECT 1 FROM vote_flat WHERE vote = {{}} AND flat_id IN ({placeholders})) AS found"  # noqa: S608
    if owned and (await VoteFlat.raw(in_electorate, vote_id, *owned))[0]["found"]:
        return "elector"
    return "public"


def record_salt(vote_id: int) -> str:
    """The key of the public record's pseudonyms: secret (derived from the server key), fixed per vote, so
    the same vote always gives the same public file and nobody can rebuild the order from unit labels."""
    key = get_config().secret_key.encode()
    return hmac.digest(key, f"yishi-public-record:{vote_id}".encode(), "sha256").hex()


@dataclass(frozen=True)
class StaffScope:
    """The buildings a staff member may see in one community (None: all of them)."""

    buildings: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.buildings is None

    def covers(self, building_id: int | None) -> bool:
        return self.buildings is None or (building_id is not None and building_id in self.buildings)


async def staff_scope(user: CurrentUser, community_id: int) -> StaffScope:
    """The user's scope as the register defines it (grid workers and building leads: their buildings;
    facilitators, recorders, site administrators: everything). Forbidden for non-staff."""
    return StaffScope((await roster_access(user, community_id)).buildings)


async def building_of_flats(flat_ids: Iterable[int]) -> dict[int, int]:
    """{roster flat id: building id}."""
    ids = sorted(set(flat_ids))
    if not ids:
        return {}
    rows = await Flat.select(Flat.id, Flat.stairwell_unit.building.as_alias("building")).where(Flat.id.is_in(ids))
    return {int(r["id"]): int(r["building"]) for r in rows}


async def flats_seen(scope: StaffScope, flat_ids: Iterable[int]) -> set[int]:
    """Of these roster flats, the ones the scope covers."""
    ids = set(flat_ids)
    if scope.everything:
        return ids
    buildings = await building_of_flats(ids)
    return {f for f in ids if scope.covers(buildings.get(f))}


async def require_flats_in_scope(scope: StaffScope, flat_ids: Iterable[int]) -> set[int] | None:
    """For a vote still in draft (no snapshot yet), or a project: the roster flats this scope covers
    (None: all); Forbidden if it covers none of them."""
    ids = set(flat_ids)
    if scope.everything:
        return None
    seen = await flats_seen(scope, ids)
    if ids and not seen:
        raise Forbidden(OUTSIDE_SCOPE)
    return seen


@dataclass(frozen=True)
class VoteView:
    """What of one vote's electorate a staff member sees: None everywhere means all of it."""

    vote_flats: frozenset[int] | None  # VoteFlat ids
    entities: frozenset[int] | None  # VoteEntity ids with at least one flat in scope
    stairwells: frozenset[str] | None  # "3-2" labels of the snapshot

    @property
    def everything(self) -> bool:
        return self.vote_flats is None

    def sees_stairwell(self, label: str | None) -> bool:
        return self.stairwells is None or label in self.stairwells

    def sees_entity(self, entity_id: int | None) -> bool:
        return self.entities is None or entity_id in self.entities

    def sees_vote_flat(self, vote_flat_id: int | None) -> bool:
        return self.vote_flats is None or vote_flat_id in self.vote_flats


EVERYTHING = VoteView(None, None, None)


async def vote_view(user: CurrentUser, community_id: int, vote_id: int, scope_flats: Iterable[int] = (),
                    duties: tuple[str, ...] = ()) -> VoteView:
    """The part of a vote a staff member may see, by the buildings of their scope; Forbidden when the vote
    concerns none of them. `scope_flats`: the roster flats of a vote not yet opened (no snapshot yet).
    `duties`: rules of community.roles (the paper desk, canvassing) whose roles' scopes count instead of the
    register's (a counter or a volunteer sees no register, only the vote's flats in their scope)."""
    scope = StaffScope(await reach(user, community_id, *duties)) if duties else await staff_scope(user, community_id)
    if scope.everything:
        return EVERYTHING
    rows = await VoteFlat.select(VoteFlat.id, VoteFlat.flat_id, VoteFlat.entity, VoteFlat.stairwell).where(
        VoteFlat.vote == vote_id
    )
    if not rows:
        await require_flats_in_scope(scope, scope_flats)
        return VoteView(frozenset(), frozenset(), frozenset())
    seen = await flats_seen(scope, [int(r["flat_id"]) for r in rows])
    mine = [r for r in rows if int(r["flat_id"]) in seen]
    if not mine:
        raise Forbidden(OUTSIDE_SCOPE)
    return VoteView(
        frozenset(int(r["id"]) for r in mine),
        frozenset(int(r["entity"]) for r in mine),
        frozenset(str(r["stairwell"]) for r in mine),
    )


async def require_paper_in_view(view: VoteView, vote_id: int, paper_id: int) -> None:
    """A paper ballot entry of the vote, confirmed or rejected only by staff whose buildings it concerns
    (an unknown id is left to the paper service, which answers it as before)."""
    from votes.tables import PaperBallot

    row = await PaperBallot.select(PaperBallot.entity).where((PaperBallot.id == paper_id) & (PaperBallot.vote == vote_id)).first()
    if row is not None and not view.sees_entity(int(row["entity"])):
        raise Forbidden(OUTSIDE_SCOPE)
