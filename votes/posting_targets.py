"""Which notices of votes and projects carry proof of posting (community.posting_store): a vote's notice (its
board, printed and posted while the vote runs), its preliminary and final results (the result page, printed and
posted at each stage) and a passed project's public notice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from community.posting_store import Target
from community.tables import Building, Flat, StairwellUnit
from votes.projects import rounds, store
from votes.tables import Vote, VoteStage


async def _buildings(kind: str, ids: list[int]) -> tuple[frozenset[int] | None, tuple[str, ...]]:
    """The buildings a vote's scope covers (None: the whole community), and their names."""
    if kind == "community" or not ids:
        return None, ()
    query: Any
    if kind == "compound":
        query = Building.select(Building.id, Building.name).where(Building.compound.is_in(ids))
    elif kind == "building":
        query = Building.select(Building.id, Building.name).where(Building.id.is_in(ids))
    elif kind == "stairwell_unit":
        query = StairwellUnit.select(StairwellUnit.building.id.as_alias("id"), StairwellUnit.building.name.as_alias("name")).where(
            StairwellUnit.id.is_in(ids)
        )
    else:  # flats
        query = Flat.select(Flat.stairwell_unit.building.id.as_alias("id"), Flat.stairwell_unit.building.name.as_alias("name")).where(
            Flat.id.is_in(ids)
        )
    rows = await query
    return frozenset(int(r["id"]) for r in rows), tuple(sorted({str(r["name"]) for r in rows}))


async def vote_notice(vote_id: int) -> Target | None:
    """A published vote: its board (/v/{id}/board) is the notice printed for the stairwell."""
    row = await Vote.select(
        Vote.community, Vote.title, Vote.status, Vote.scope_kind, Vote.scope_ids, Vote.published_at, Vote.opened_at
    ).where(Vote.id == vote_id).output(load_json=True).first()
    if row is None or row["status"] == "draft":
        return None
    ids = [int(i) for i in row["scope_ids"] or [] if isinstance(i, int) or str(i).isdigit()]
    building_ids, names = await _buildings(str(row["scope_kind"]), ids)
    return Target(int(row["community"]), str(row["title"]), f"/v/{vote_id}/board",
                  row["published_at"] or row["opened_at"], building_ids, names)  # fmt: skip


async def result_preliminary(vote_id: int) -> Target | None:
    """A closed vote's preliminary result (初步统计结果公示), while and after its query window."""
    return await _result(vote_id, "preliminary")


async def result_final(vote_id: int) -> Target | None:
    """A closed vote's final result (最终结果公示)."""
    return await _result(vote_id, "final")


async def _result(vote_id: int, stage: str) -> Target | None:
    row = await Vote.select(
        Vote.community, Vote.title, Vote.status, Vote.scope_kind, Vote.scope_ids, Vote.closed_at
    ).where(Vote.id == vote_id).output(load_json=True).first()
    if row is None or row["status"] != "closed":
        return None
    stages = await VoteStage.select(VoteStage.stage, VoteStage.preliminary_at, VoteStage.final_at).where(
        VoteStage.vote == vote_id
    ).first()
    if stages is None:  # closed before query windows existed: its result was final at the close
        at = row["closed_at"] if stage == "final" else None
    elif stage == "preliminary":
        at = stages["preliminary_at"]
    else:
        at = stages["final_at"] if stages["stage"] == "final" else None
    if at is None:
        return None
    ids = [int(i) for i in row["scope_ids"] or [] if isinstance(i, int) or str(i).isdigit()]
    building_ids, names = await _buildings(str(row["scope_kind"]), ids)
    return Target(int(row["community"]), str(row["title"]), f"/v/{vote_id}/result", at, building_ids, names)


async def project_notice(project_id: int) -> Target | None:
    """A project whose owners passed it: its public notice (/p/{id}/notice)."""
    from community.errors import NotFound

    try:
        project = await store.get_project(project_id)
    except NotFound:
        return None
    return project_notice_of(project, await rounds.overview(project))


def project_notice_of(project: Mapping[str, Any], info: rounds.Overview) -> Target | None:
    """`project_notice` for a project and overview already read (the notice page has both)."""
    if not info.state.passed or info.current is None:
        return None
    return Target(int(project["community"]), str(project["title"]), f"/p/{project['id']}/notice",
                  info.current.row["notice_starts_at"], frozenset({int(project["building"])}),
                  (str(project["building_name"]),))  # fmt: skip
