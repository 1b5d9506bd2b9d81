"""Budget and shares of a project: the flats its cost is shared over (the roster, or the vote's frozen snapshot), the
shares, and an owner's own flats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from community.roster.scope import flats_in_scope
from community.tables import Flat
from votes.participation import natural_key
from votes.projects.store import ProjectContext, project_scope
from votes.projects.terms import ShareFlat, ShareTable, Terms, check_terms, share_table, terms_from_json
from votes.tables import VoteFlat


def terms_of(project: Mapping[str, Any]) -> Terms:
    return terms_from_json(
        {
            "total": project["total"],
            "subsidy": project["subsidy"],
            "fund": project["fund"],
            "scheme": project["scheme"],
            "coefficients": project["coefficients"] or {},
            "fixed": project["fixed"] or {},
        }
    )


async def roster_flats(project: Mapping[str, Any]) -> list[ShareFlat]:
    """The project's flats as the roster stands (parking spaces excluded), labelled as votes label units."""
    ids = await flats_in_scope(project_scope(project))
    if not ids:
        return []
    rows = await Flat.select(
        Flat.id, Flat.floor, Flat.room, Flat.area, Flat.usage, Flat.stairwell_unit.name, Flat.stairwell_unit.building.name,
    ).where(Flat.id.is_in(ids))
    rows = [r for r in rows if r["usage"] != "parking"]
    rows.sort(key=lambda r: (natural_key(r["stairwell_unit.name"]), r["floor"], natural_key(r["room"])))
    return [
        ShareFlat(int(r["id"]), f"{r['stairwell_unit.building.name']}-{r['stairwell_unit.name']}-{r['room']}",
                  int(r["floor"]), int(r["area"]))
        for r in rows
    ]  # fmt: skip


async def snapshot_flats(vote_id: int) -> list[ShareFlat]:
    """The flats frozen into a vote's electorate when it opened: its shares never move with the roster."""
    rows = await VoteFlat.select(VoteFlat.flat_id, VoteFlat.unit, VoteFlat.floor, VoteFlat.area).where(
        VoteFlat.vote == vote_id
    ).order_by(VoteFlat.position)
    return [ShareFlat(int(r["flat_id"]), r["unit"], int(r["floor"]), int(r["area"])) for r in rows]


@dataclass(frozen=True)
class Shares:
    """Shares as they stand for a project or one of its votes, or why they cannot be computed."""

    terms: Terms
    flats: tuple[ShareFlat, ...]
    table: ShareTable | None
    problems: dict[str, str]
    frozen: bool  # computed over a vote's electorate snapshot with the terms voted on

    def line_for(self, flat_id: int) -> Any:
        return None if self.table is None else self.table.line_for(flat_id)


def shares_of(terms: Terms, flats: Sequence[ShareFlat], frozen: bool) -> Shares:
    problems = check_terms(terms, flats)
    table = share_table(terms, flats) if not problems and flats else None
    return Shares(terms, tuple(flats), table, problems, frozen)


async def my_flats(ctx: ProjectContext) -> list[dict[str, Any]]:
    """The user's own flats in the project (owned or lived in), labelled."""
    if not ctx.attached:
        return []
    rows = await Flat.select(Flat.id, Flat.room, Flat.floor, Flat.stairwell_unit.name, Flat.stairwell_unit.building.name).where(
        Flat.id.is_in(list(ctx.attached))
    )
    return sorted(
        (
            {"id": int(r["id"]), "floor": r["floor"], "owned": int(r["id"]) in ctx.owned,
             "unit": f"{r['stairwell_unit.building.name']}-{r['stairwell_unit.name']}-{r['room']}"}
            for r in rows
        ),
        key=lambda r: natural_key(str(r["unit"])),
    )  # fmt: skip


async def community_flats(community_id: int, limit: int = 2000) -> list[dict[str, Any]]:
    """Flats of the community for the paper-objection form's optional "from which flat"."""
    rows = await Flat.select(Flat.id, Flat.room, Flat.stairwell_unit.name, Flat.stairwell_unit.building.name).where(
        (Flat.stairwell_unit.building.compound.community == community_id) & Flat.active.eq(True)
    ).limit(limit)
    labelled = [{"id": int(r["id"]), "unit": f"{r['stairwell_unit.building.name']}-{r['stairwell_unit.name']}-{r['room']}"} for r in rows]
    return sorted(labelled, key=lambda r: natural_key(str(r["unit"])))
