"""The building diagram of a project's vote (participation flat by flat, as the viewer may see it) and the list of
flats to visit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from community.tables import Ownership
from votes import privacy, turnout
from votes.ballot_store import choice_measures, entity_choices
from votes.disclosure import Viewer
from votes.participation import natural_key
from votes.projects.budget import roster_flats
from votes.projects.diagram import Bar, Diagram, DiagramFlat, build_diagram, choose_mode
from votes.projects.rounds import Overview
from votes.projects.store import ProjectContext
from votes.tables import Ballot, VoteFlat


async def viewer_in(ctx: ProjectContext, info: Overview) -> Viewer:
    """What the user is for the project's current vote (votes.disclosure): staff, an owner in it, the public."""
    if ctx.can.manage:
        return "auditor"
    if ctx.can.staff:
        return "staff"
    vote = info.current.vote if info.current is not None else None
    if vote is None or ctx.user is None:
        return "public"
    return "elector" if await privacy.viewer_of(ctx.user, ctx.community_id, vote.id) == "elector" else "public"


async def diagram_of(project: Mapping[str, Any], info: Overview, with_bars: bool = True, compact: bool = False,
                     viewer: Viewer = "public") -> Diagram:
    """The elevation of the project's flats: per flat, what the vote's disclosure shows this viewer (nothing,
    who has voted, or choices), consents, bars. A projector is "public": the room is.

    Without bars for a meeting's projector, where the vote's own panel shows the same figures just above.
    """
    consents = {int(o["flat"]): str(o["consent"]) for o in info.occupied}
    vote = info.current.vote if info.current is not None else None
    status = info.current.status if info.current is not None else None
    if vote is None or status not in ("open", "closed"):
        flats = [
            DiagramFlat(f.unit, f.unit.rsplit("-", 1)[-1], f.floor, consent=consents.get(f.flat_id))
            for f in await roster_flats(project)
        ]
        return build_diagram(flats, (), "not_open", compact=compact)

    choices_visible = vote.settings.show_live or vote.status == "closed"
    mode = choose_mode(status, vote.settings.disclosure, viewer)
    rows = await VoteFlat.select(VoteFlat.flat_id, VoteFlat.unit, VoteFlat.floor, VoteFlat.entity).where(
        VoteFlat.vote == vote.id
    ).order_by(VoteFlat.position)
    ballots = await entity_choices(vote.id)
    counts_spoiled = vote.settings.spoiled_ballots == "participate"
    flats = []
    for r in rows:
        choice = ballots.get(int(r["entity"]))
        took_part = choice is not None and (choice != "spoiled" or counts_spoiled)
        flats.append(
            DiagramFlat(
                unit=r["unit"],
                room=r["unit"].rsplit("-", 1)[-1],
                floor=int(r["floor"]),
                participated=took_part if mode in ("participation", "choices") else None,
                choice=choice if mode == "choices" else None,
                consent=consents.get(int(r["flat_id"])),
            )
        )
    p = await turnout.participation_of(vote)
    bars = [
        Bar("participation_headcount", p.participating.headcount, p.totals.headcount, _TWO_THIRDS, False, p.missing.headcount),
        Bar("participation_area", p.participating.area, p.totals.area, _TWO_THIRDS, False, p.missing.area),
    ]
    if choices_visible and vote.matter is not None:
        measures = await choice_measures(vote.id)
        agreeing = measures.get("agree")
        supermajority = vote.matter in (6, 7, 8)
        threshold = _THREE_QUARTERS if supermajority else _HALF
        bars += [
            Bar("approval_headcount", agreeing.headcount if agreeing else 0, p.participating.headcount, threshold, not supermajority),
            Bar("approval_area", agreeing.area if agreeing else 0, p.participating.area, threshold, not supermajority),
        ]
    return build_diagram(flats, bars if with_bars else (), mode, compact=compact)


_TWO_THIRDS: Final = Fraction(2, 3)


_THREE_QUARTERS: Final = Fraction(3, 4)


_HALF: Final = Fraction(1, 2)


@dataclass(frozen=True)
class VisitFlat:
    unit: str
    floor: int
    names: str
    not_voted: bool
    consent: str | None


async def visit_list(project: Mapping[str, Any], info: Overview) -> tuple[list[tuple[int, list[VisitFlat]]], bool]:
    """(flats still to visit by floor, top first; whether non-voters can be listed). Staff only: names included.

    Non-voters are listed while the vote is open (staff see who has voted under either disclosure); occupied
    flats still without consent always.
    """

    consents = {int(o["flat"]): str(o["consent"]) for o in info.occupied}
    vote = info.current.vote if info.current is not None else None
    named = vote is not None and info.current is not None and info.current.status == "open"
    voted: set[int] = set()
    if vote is not None and named:
        voted = {int(b["entity"]) for b in await Ballot.select(Ballot.entity).where(Ballot.vote == vote.id)}
    if vote is not None and info.current is not None and info.current.status in ("open", "closed"):
        rows = await VoteFlat.select(
            VoteFlat.flat_id, VoteFlat.unit, VoteFlat.floor, VoteFlat.entity, VoteFlat.owner_persons
        ).where(VoteFlat.vote == vote.id).output(load_json=True)
        flats = [
            (int(r["flat_id"]), r["unit"], int(r["floor"]), named and int(r["entity"]) not in voted,
             [int(p) for p in (r["owner_persons"] or {}).values()])
            for r in rows
        ]  # fmt: skip
    else:
        roster = await roster_flats(project)
        owners: dict[int, list[int]] = {}
        for o in await Ownership.select(Ownership.flat, Ownership.person).where(
            Ownership.flat.is_in([f.flat_id for f in roster] or [-1])
        ):
            owners.setdefault(int(o["flat"]), []).append(int(o["person"]))
        flats = [(f.flat_id, f.unit, f.floor, False, owners.get(f.flat_id, [])) for f in roster]
    wanted = [f for f in flats if f[3] or (f[0] in consents and consents[f[0]] != "given")]
    names = await turnout.person_names({p for f in wanted for p in f[4]})
    by_floor: dict[int, list[VisitFlat]] = {}
    for flat_id, unit, floor, not_voted, people in wanted:
        by_floor.setdefault(floor, []).append(
            VisitFlat(unit, floor, "、".join(sorted({names.get(p, "") for p in people} - {""})), not_voted, consents.get(flat_id))
        )
    ordered = [(floor, sorted(group, key=lambda v: natural_key(v.unit))) for floor, group in sorted(by_floor.items(), reverse=True)]
    return ordered, named
