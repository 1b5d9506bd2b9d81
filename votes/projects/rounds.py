"""The project's votes (rounds) and where the project stands (`overview`): the public notice that starts when a vote
passes (a link of the community's publication chain), and the occupied flats and objections it weighs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community import publications
from community.canonical import iso
from community.clock import now
from community.db import write_transaction
from community.tables import Community
from votes import result_stage
from votes import services as vote_services
from votes.participation import natural_key
from votes.projects import kinds, lifecycle
from votes.projects.budget import Shares, roster_flats, shares_of, snapshot_flats, terms_of
from votes.projects.store import community_settings, tz
from votes.projects.tables import Objection, ObjectionStep, OccupiedFlat, ProjectVote
from votes.projects.terms import terms_from_json, terms_to_json


@dataclass(frozen=True)
class Round:
    """One vote on the project, with the vote as the votes package reports it."""

    row: dict[str, Any]
    vote: Any  # votes.services.VoteInfo
    final_at: datetime | None = None  # when the vote's final result was published (votes.result_stage)

    @property
    def vote_id(self) -> int:
        return int(self.row["vote"])

    @property
    def status(self) -> str:
        return effective_status(self.vote)

    @property
    def outcome(self) -> str | None:
        return vote_outcome(self.vote)

    @property
    def final(self) -> bool:
        return self.final_at is not None


def effective_status(vote: Any) -> str:
    """draft / scheduled / open / closed, counting a scheduled vote whose opening time has come as open."""
    if vote.status == "scheduled" and vote.opens_at is not None and vote.opens_at <= now():
        return "open"
    return str(vote.status)


def vote_outcome(vote: Any) -> str | None:
    """The outcome of a closed owners' vote; with the silent-majority setting, the adjusted (labelled) one."""
    if vote.status != "closed" or not vote.result:
        return None
    return outcome_of(vote.result)


def outcome_of(result: Any) -> str | None:
    """`vote_outcome` of a closed vote's stored result."""
    adjusted = result.get("adjusted") if isinstance(result, Mapping) else None
    if isinstance(adjusted, Mapping) and adjusted.get("outcome"):
        return str(adjusted["outcome"])
    outcome = result.get("outcome") if isinstance(result, Mapping) else None
    return str(outcome) if outcome else None


async def project_rounds(project_id: int) -> list[dict[str, Any]]:
    return await ProjectVote.select().where(ProjectVote.project == project_id).order_by(ProjectVote.round).output(
        load_json=True
    )


async def has_vote(project_id: int) -> bool:
    return bool(await ProjectVote.exists().where(ProjectVote.project == project_id))


async def rounds_of(project_id: int) -> list[Round]:
    """Every vote on the project, oldest first, each brought up to date (a due opening or close is made)."""
    return (await _rounds_of_many([project_id]))[project_id]


async def _rounds_of_many(project_ids: Sequence[int]) -> dict[int, list[Round]]:
    """rounds_of for many projects: three statements however many projects and rounds."""
    rows = await ProjectVote.select().where(ProjectVote.project.is_in(list(project_ids) or [-1])).order_by(
        ProjectVote.round
    ).output(load_json=True)
    votes = await vote_services.get_votes([int(r["vote"]) for r in rows])
    finals = await result_stage.finals_at({v.id: v.closed_at for v in votes.values() if v.status == "closed"})
    result: dict[int, list[Round]] = {p: [] for p in project_ids}
    for row in rows:
        vote = votes[int(row["vote"])]
        result[int(row["project"])].append(Round(row, vote, finals.get(vote.id)))
    return result


def current_round(rounds: Sequence[Round]) -> Round | None:
    live = [r for r in rounds if r.row["superseded_at"] is None]
    return live[-1] if live else None


async def sync_notice(project: Mapping[str, Any], current: Round | None) -> Round | None:
    """Once the current vote has passed and its result is final (after the query window), start its public notice
    (length from the community settings, then frozen); idempotent, so any page may call it."""
    if current is None or current.outcome != "passed" or not current.final or current.row["notice_starts_at"] is not None:
        return current
    settings = await community_settings(int(project["community"]))
    starts = current.final_at or now()
    ends = lifecycle.notice_end(starts, settings.notice_days, tz())
    content = await notice_content(project, current, settings.notice_days, starts, ends)
    async with write_transaction():
        started = await ProjectVote.update(
            {ProjectVote.notice_days: settings.notice_days, ProjectVote.notice_starts_at: starts, ProjectVote.notice_ends_at: ends}
        ).where((ProjectVote.id == current.row["id"]) & ProjectVote.notice_starts_at.is_null()).returning(ProjectVote.id)
        if started:
            # The notice is published on the community's board, so it is the next link of its chain.
            _seq, digest = await publications.append(
                int(project["community"]),
                "project_notice",
                content,
                published_at=now(),
                published_by=None,
                title=str(content["title"]),
                summary=str(project["title"]),
                buildings=[str(project["building_name"])] if project.get("building_name") else [],
                search_text=str(project["title"]),
                ends_at=ends,
            )
            await ProjectVote.update({ProjectVote.notice_sha256: digest}).where(ProjectVote.id == current.row["id"])
    row = await ProjectVote.select().where(ProjectVote.id == current.row["id"]).output(load_json=True).first()
    assert row is not None
    return Round(row, current.vote, current.final_at)


async def notice_content(
    project: Mapping[str, Any], current: Round, days: int, starts: datetime, ends: datetime
) -> dict[str, object]:
    """What the project's public notice publishes in the chain: the decision, the budget and the scheme voted
    on (the shares follow from them and the vote's frozen electorate), and the notice period. No names."""
    community = await Community.select(Community.slug, Community.name, Community.street).where(
        Community.id == int(project["community"])
    ).first()
    assert community is not None
    vote = current.vote
    terms = current.row["terms"]
    if isinstance(terms, str):
        terms = json.loads(terms)
    return {
        "schema": "yishi.project-notice/1",
        "kind": "project_notice",
        "project_id": int(project["id"]),
        "title": str(project["title"]),
        "community": {"slug": str(community["slug"]), "name": str(community["name"]), "street": str(community["street"] or "")},
        "project_kind": str(project["kind"]),
        "vote": {
            "id": int(vote.id),
            "title": str(vote.title),
            "matter": int(current.row["matter"]),
            "outcome": str(current.outcome or ""),
            "closed_at": iso(vote.closed_at) if vote.closed_at else None,
        },
        "terms": terms_to_json(terms_from_json(terms if isinstance(terms, dict) else {})),
        "notice": {"days": days, "starts_at": iso(starts), "ends_at": iso(ends)},
    }


@dataclass(frozen=True)
class Overview:
    """Everything the project page shows about where the project stands."""

    rounds: tuple[Round, ...]
    current: Round | None
    state: lifecycle.ProjectState
    occupied: tuple[dict[str, Any], ...]
    objections: tuple[dict[str, Any], ...]
    locked: bool
    matter: kinds.MatterChoice


async def overview(project: Mapping[str, Any]) -> Overview:
    return (await overviews([project]))[int(project["id"])]


async def overviews(projects: Sequence[Mapping[str, Any]]) -> dict[int, Overview]:
    """{project id: where it stands} for projects of one community, in a fixed number of statements (a list of
    projects must not cost a round of reads per project)."""
    if not projects:
        return {}
    ids = [int(p["id"]) for p in projects]
    rounds_by_project = await _rounds_of_many(ids)
    occupied_by_project = await _occupied_many(ids)
    objections_by_project = await _objections_many(ids)
    settings = {c: await community_settings(c) for c in {int(p["community"]) for p in projects}}
    found = {}
    for project in projects:
        project_id = int(project["id"])
        rounds = rounds_by_project[project_id]
        current = await sync_notice(project, current_round(rounds))
        if current is not None:
            rounds = [current if r.row["id"] == current.row["id"] else r for r in rounds]
        occupied = occupied_by_project.get(project_id, [])
        # Objections belong to the notice of one vote; an earlier vote's stay in its own minutes.
        objections = [
            o for o in objections_by_project.get(project_id, [])
            if current is not None and o["project_vote"] == current.row["id"]
        ]  # fmt: skip
        facts = None
        if current is not None:
            facts = lifecycle.RoundFacts(current.status, current.outcome, current.row["notice_ends_at"], current.final)
        state = lifecycle.project_state(
            facts,
            [lifecycle.ObjectionFact(int(o["number"]), str(o["status"])) for o in objections],
            [lifecycle.ConsentFact(str(o["unit"]), str(o["consent"])) for o in occupied],
            now(),
        )
        matter = kinds.matter_choice(str(project["kind"]), settings[int(project["community"])], project["matter"])
        if current is not None and current.vote.matter is not None:
            # The vote's own form may set another item; the count follows the vote.
            matter = kinds.MatterChoice(int(current.vote.matter), matter.default, matter.reason, matter.fixed)
        locked = lifecycle.terms_locked([current.status] if current is not None else [])
        found[project_id] = Overview(tuple(rounds), current, state, tuple(occupied), tuple(objections), locked, matter)
    return found


async def current_shares(project: Mapping[str, Any], info: Overview) -> Shares:
    """The project's shares: over the electorate snapshot once its current vote has opened, else the roster."""
    if info.current is not None and info.current.status in ("open", "closed"):
        flats = await snapshot_flats(info.current.vote_id)
        if flats:
            return shares_of(terms_from_json(info.current.row["terms"] or {}), flats, frozen=True)
    return shares_of(terms_of(project), await roster_flats(project), frozen=False)


async def round_for_vote(vote_id: int) -> dict[str, Any] | None:
    return await ProjectVote.select().where(ProjectVote.vote == vote_id).output(load_json=True).first()


async def occupied_flats(project_id: int) -> list[dict[str, Any]]:
    return (await _occupied_many([project_id])).get(project_id, [])


async def _occupied_many(project_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await OccupiedFlat.select(
        *OccupiedFlat.all_columns(),
        OccupiedFlat.flat.room.as_alias("room"),
        OccupiedFlat.flat.floor.as_alias("floor"),
        OccupiedFlat.flat.stairwell_unit.name.as_alias("unit_name"),
        OccupiedFlat.flat.stairwell_unit.building.name.as_alias("building_name"),
    ).where(OccupiedFlat.project.is_in(list(project_ids) or [-1]))
    found: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        r["unit"] = f"{r['building_name']}-{r['unit_name']}-{r['room']}"
        found.setdefault(int(r["project"]), []).append(r)
    for of_project in found.values():
        of_project.sort(key=lambda r: natural_key(r["unit"]))
    return found


async def objections_of(project_id: int) -> list[dict[str, Any]]:
    return (await _objections_many([project_id])).get(project_id, [])


async def _objections_many(project_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await Objection.select(
        *Objection.all_columns(),
        Objection.flat.room.as_alias("room"),
        Objection.flat.stairwell_unit.name.as_alias("unit_name"),
        Objection.flat.stairwell_unit.building.name.as_alias("building_name"),
    ).where(Objection.project.is_in(list(project_ids) or [-1])).order_by(Objection.number).output(load_json=True)
    steps = await ObjectionStep.select(
        *ObjectionStep.all_columns(), ObjectionStep.by.display_name.as_alias("by_name")
    ).where(ObjectionStep.objection.is_in([r["id"] for r in rows] or [-1])).order_by(ObjectionStep.at).order_by(ObjectionStep.id)
    steps_of: dict[int, list[dict[str, Any]]] = {}
    for step in steps:
        steps_of.setdefault(int(step["objection"]), []).append(step)
    found: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        r["unit"] = f"{r['building_name']}-{r['unit_name']}-{r['room']}" if r["room"] else ""
        r["steps"] = steps_of.get(int(r["id"]), [])
        r["blocks"] = lifecycle.blocks_approval(str(r["status"]))
        found.setdefault(int(r["project"]), []).append(r)
    return found
