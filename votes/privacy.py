"""Who is asking about a vote (votes.disclosure decides what they see), and the staff member's scope over a
vote's flats: every staff list of flats and owners passes through `staff_scope`."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from piccolo.columns.combination import WhereRaw

from community.accounts import CurrentUser, roles_in
from community.config import get_config
from community.errors import Forbidden
from community.i18n import lazy
from community.permissions import STAFF_ROLES, reach, roster_access
from community.roles import RULE
from community.roster.scope import Scope, flats_in_scope, verified_owner_flats
from community.tables import Flat
from votes.bulk import fetch_tuples
from votes.disclosure import Viewer
from votes.tables import VoteFlat

Q = TypeVar("Q", bound=Any)

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


# The roster flats of some buildings (`VoteView.buildings`), for `vote_flat.flat_id IN (…)`: the join
# building_of_flats makes, asked of the database (the index on flat.stairwell_unit reads only those flats).
_FLATS_OF_BUILDINGS = ("SELECT fl.id FROM flat fl JOIN stairwell_unit su ON su.id = fl.stairwell_unit"
                       " WHERE su.building IN ({buildings})")  # fmt: skip
# Ids per IN (…) list: well under SQLite's limit on bound variables.
_BATCH = 500


@dataclass(frozen=True)
class VoteView:
    """What of one vote's electorate a staff member sees: the snapshot's flats whose roster flat is in one of
    `buildings` (None: all of it), the entities with at least one of those flats, and their stairwell units.
    Never read whole: the stores add `flats_sql` & co. to their statements; one object is checked by a query."""

    vote_id: int
    buildings: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.buildings is None

    def _in_scope(self, flat_id: str) -> tuple[str, list[object]]:
        ids: list[object] = [*sorted(self.buildings or ())]
        # Only the code's SQL and "{}" placeholders are formatted in; NULL: no building, no flat.
        return f"{flat_id} IN ({_FLATS_OF_BUILDINGS.format(buildings=', '.join(['{}'] * len(ids)) or 'NULL')})", ids

    def flats_sql(self, flat_id: str = "f.flat_id") -> tuple[str, list[object]]:
        """(" AND <roster flat id column> IN (…)", its arguments) for a statement over this vote's vote_flat;
        ("", []) for everything."""
        if self.buildings is None:
            return "", []
        sql, args = self._in_scope(flat_id)
        return " AND " + sql, args

    def _of_vote(self, column: str, selected: str) -> tuple[str, list[object]]:
        if self.buildings is None:
            return "", []
        sql, args = self._in_scope("v.flat_id")
        return f" AND {column} IN (SELECT v.{selected} FROM vote_flat v WHERE v.vote = {{}} AND {sql})", [self.vote_id, *args]  # noqa: S608

    def vote_flats_sql(self, vote_flat_id: str) -> tuple[str, list[object]]:
        """(" AND <vote_flat id column> IN (…)", arguments) for a statement over another table of this vote."""
        return self._of_vote(vote_flat_id, "id")

    def keep_vote_flats(self, query: Q, vote_flat_id: str) -> Q:
        """A Piccolo query (select or count) over another table of this vote, kept to the flats in view."""
        sql, args = self.vote_flats_sql(vote_flat_id)
        if not sql:
            return query
        kept: Q = query.where(WhereRaw(sql.removeprefix(" AND "), *args))
        return kept

    def entities_sql(self, entity_id: str) -> tuple[str, list[object]]:
        """(" AND <vote_entity id column> IN (…)", arguments): the entities with at least one flat in view."""
        return self._of_vote(entity_id, "entity")

    async def vote_flats_seen(self, vote_flat_ids: Iterable[int]) -> set[int]:
        """Of these vote_flat ids of the vote (a page, or one), the ones in view."""
        return await self._seen("id", vote_flat_ids)

    async def entities_seen(self, entity_ids: Iterable[int]) -> set[int]:
        """Of these vote_entity ids of the vote (a page, or one), the ones with at least one flat in view."""
        return await self._seen("entity", entity_ids)

    async def _seen(self, column: str, ids: Iterable[int]) -> set[int]:
        wanted = sorted({int(i) for i in ids})
        if self.buildings is None or not wanted:
            return set(wanted)
        scope, args = self._in_scope("v.flat_id")
        seen: set[int] = set()
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            sql = (f"SELECT DISTINCT v.{column} FROM vote_flat v WHERE v.vote = {{}} AND v.{column} IN"  # noqa: S608
                   f" ({', '.join(['{}'] * len(batch))}) AND {scope}")  # fmt: skip
            seen |= {int(r[0]) for r in await fetch_tuples(sql, self.vote_id, *batch, *args)}
        return seen

    async def sees_vote_flat(self, vote_flat_id: int | None) -> bool:
        return vote_flat_id is not None and bool(await self.vote_flats_seen([vote_flat_id]))

    async def sees_entity(self, entity_id: int | None) -> bool:
        return entity_id is not None and bool(await self.entities_seen([entity_id]))

    async def stairwells(self) -> frozenset[str] | None:
        """The stairwell unit labels of the flats in view (None: all of them)."""
        if self.buildings is None:
            return None
        scope, args = self._in_scope("v.flat_id")
        sql = f"SELECT DISTINCT v.stairwell FROM vote_flat v WHERE v.vote = {{}} AND {scope}"  # noqa: S608
        return frozenset(str(r[0]) for r in await fetch_tuples(sql, self.vote_id, *args))


EVERYTHING = VoteView(0, None)


def draft_scope(vote: Any) -> Scope | None:
    """The register scope of a vote not yet opened (a VoteInfo); None once its electorate is a snapshot."""
    if vote.status in ("open", "closed"):
        return None
    return Scope(vote.community_id, vote.scope_kind, vote.scope_ids)


async def vote_view(user: CurrentUser, community_id: int, vote_id: int, draft: Scope | None = None,
                    duties: tuple[str, ...] = ()) -> VoteView:
    """The part of a vote a staff member may see, by the buildings of their scope; Forbidden when the vote
    concerns none of them. `draft`: the scope of a vote not yet opened (no snapshot yet: the view then holds no
    flat), whose roster flats are read only for a staff member limited to some buildings. `duties`: rules of community.roles (the paper desk, canvassing) whose roles' scopes
    count instead of the register's (a counter or a volunteer sees no register, only the vote's flats in their
    scope). Two indexed EXISTS, whatever the size of the vote."""
    scope = StaffScope(await reach(user, community_id, *duties)) if duties else await staff_scope(user, community_id)
    if scope.buildings is None:
        return EVERYTHING
    view = VoteView(vote_id, scope.buildings)
    sql, args = view.flats_sql("v.flat_id")
    mine = f"SELECT EXISTS(SELECT 1 FROM vote_flat v WHERE v.vote = {{}}{sql})"  # noqa: S608
    if (await fetch_tuples(mine, vote_id, *args))[0][0]:
        return view
    if (await fetch_tuples("SELECT EXISTS(SELECT 1 FROM vote_flat WHERE vote = {})", vote_id))[0][0]:
        raise Forbidden(OUTSIDE_SCOPE)
    await require_flats_in_scope(scope, await flats_in_scope(draft) if draft is not None else ())
    return view


async def require_paper_in_view(view: VoteView, vote_id: int, paper_id: int) -> None:
    """A paper ballot entry of the vote, confirmed or rejected only by staff whose buildings it concerns
    (an unknown id is left to the paper service, which answers it as before)."""
    from votes.tables import PaperBallot

    row = await PaperBallot.select(PaperBallot.entity).where((PaperBallot.id == paper_id) & (PaperBallot.vote == vote_id)).first()
    if row is not None and not await view.sees_entity(int(row["entity"])):
        raise Forbidden(OUTSIDE_SCOPE)
