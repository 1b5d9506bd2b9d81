"""Projects service: access, creating and editing projects, shares, the project's votes, consents, objections."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Any, Final
from zoneinfo import ZoneInfo

from community.accounts import CurrentUser, roles_in
from community.audit import audit as audit_log
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.config import get_config
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import STAFF_ROLES, community_by_slug, require_rule
from community.roles import holds
from community.roster.scope import Scope, attachments, flats_in_scope
from community.safetext import form_list
from community.tables import Building, Community, Compound, Flat, Ownership, StairwellUnit
from votes import privacy
from votes.ballot_store import choice_measures, entity_choices
from votes.disclosure import Viewer
from votes.participation import natural_key
from votes.projects import kinds, lifecycle
from votes.projects.diagram import Bar, Diagram, DiagramFlat, build_diagram, choose_mode
from votes.projects.tables import Objection, ObjectionStep, OccupiedFlat, Project, ProjectVote
from votes.projects.terms import (
    ShareFlat,
    ShareTable,
    Terms,
    check_terms,
    share_table,
    terms_from_json,
    terms_to_json,
)
from votes.tables import Ballot, Vote, VoteFlat

NOT_FOUND: Final = lazy("This project does not exist, or it is not open to you.")
NOT_ALLOWED: Final = lazy("You are not allowed to see or do this.")
TERMS_FROZEN: Final = lazy(
    "The owners' vote on this project has opened, so its budget and cost-sharing scheme can no longer change. "
    "To change them, start a new vote once this one has closed."
)
TITLE_MAX: Final = 200
TEXT_MAX: Final = 20000
OCCUPIES_MAX: Final = 300
NOTE_MAX: Final = 300


def tz() -> ZoneInfo:
    return ZoneInfo(get_config().timezone)


async def audit(community_id: int, actor: int | None, action: str, project_id: int, detail: dict[str, object] | None = None) -> None:
    await audit_log(action, actor=actor, community=community_id, object_type="project", object_id=project_id, details=detail or {})  # fmt: skip


# --- Community settings ---------------------------------------------------------------------------------------


async def community_settings(community_id: int) -> kinds.ProjectSettings:
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = (row or {}).get("settings") or {}
    section = stored.get("projects") if isinstance(stored, dict) else None
    settings, _errors = kinds.parse_settings(section if isinstance(section, dict) else {})
    return settings


async def save_community_settings(user: CurrentUser, community_id: int, form: Mapping[str, Any]) -> kinds.ProjectSettings:
    await require_rule(user, community_id, "run_projects")
    values = {name: str(form.get(name, "") or "").strip() for name in ("notice_days", "insulation_matter")}
    settings, errors = kinds.parse_settings(values)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
        stored = dict((row or {}).get("settings") or {})
        stored["projects"] = kinds.settings_to_json(settings)
        await Community.update({Community.settings: stored}).where(Community.id == community_id)
        await audit_log("project_settings_changed", actor=user.id, community=community_id, object_type="community", object_id=community_id, details=kinds.settings_to_json(settings))  # fmt: skip
    return settings


# --- Access ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Can:
    view: bool = False
    staff: bool = False  # every staff role: sees all shares, the diagram, the visit list, objections in full
    manage: bool = False  # facilitators: edit, votes, consents, paper objections, handling


@dataclass(frozen=True)
class ProjectContext:
    """A project row with its place, and what the current user may do with it."""

    project: dict[str, Any]
    can: Can
    user: CurrentUser | None
    owned: tuple[int, ...] = ()  # flats of the project the user's people own
    attached: tuple[int, ...] = ()  # flats of the project the user's people own or live in
    flat_ids: tuple[int, ...] = ()  # every flat of the project's stairwell unit or building

    @property
    def id(self) -> int:
        return int(self.project["id"])

    @property
    def community_id(self) -> int:
        return int(self.project["community"])


PROJECT_COLUMNS = (
    *Project.all_columns(),
    Project.community.slug.as_alias("community_slug"),
    Project.community.name.as_alias("community_name"),
    Project.building.name.as_alias("building_name"),
    Project.stairwell_unit.name.as_alias("unit_name"),
    Project.building.compound.name.as_alias("compound_name"),
)


async def get_project(project_id: int) -> dict[str, Any]:
    row = await Project.select(*PROJECT_COLUMNS).where(Project.id == project_id).output(load_json=True).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    row["scope_label"] = scope_label(row, await several_compounds(int(row["community"])))
    return row


async def several_compounds(community_id: int) -> bool:
    return int(await Compound.count().where(Compound.community == community_id)) > 1


def scope_label(row: Mapping[str, Any], several: bool = False) -> str:
    """ "3-2" for a stairwell unit of building 3, "3" for the whole building: the labels votes use, with the
    compound's name in front when the community has several."""
    label = f"{row['building_name']}-{row['unit_name']}" if row.get("unit_name") else str(row["building_name"])
    return f"{row['compound_name']} {label}" if several else label


def project_scope(project: Mapping[str, Any]) -> Scope:
    if project["stairwell_unit"]:
        return Scope(int(project["community"]), "stairwell_unit", (int(project["stairwell_unit"]),))
    return Scope(int(project["community"]), "building", (int(project["building"]),))


async def published(project_id: int) -> bool:
    """Residents see a project once a vote on it has been published."""
    return bool(
        await ProjectVote.exists().where((ProjectVote.project == project_id) & (ProjectVote.vote.status != "draft"))
    )


async def project_for(user: CurrentUser | None, project_id: int, need: str = "view") -> ProjectContext:
    """The project if the user may `need` it ("view", "staff", "manage").

    Staff of the community see every project; owners and residents of its flats see it once its vote is
    published. Someone who may not see it gets 404 (its existence is not revealed), someone who sees it but
    may not do this gets 403.
    """
    project = await get_project(project_id)
    community_id = int(project["community"])
    roles: set[str] = set()
    if user is not None:
        roles = await roles_in(user.id, community_id)
    admin = user is not None and user.is_site_admin
    staff = admin or bool(roles & STAFF_ROLES)
    manage = admin or holds("run_projects", roles)
    flat_ids = tuple(await flats_in_scope(project_scope(project)))
    owned: tuple[int, ...] = ()
    attached: tuple[int, ...] = ()
    if user is not None:
        links = [a for a in await attachments(user.id, community_id) if a.flat_id in set(flat_ids)]
        owned = tuple(sorted({a.flat_id for a in links if a.relation == "owner"}))
        attached = tuple(sorted({a.flat_id for a in links}))
    if staff and not admin and not manage:
        # A grid worker or building lead is staff only for projects in their buildings (votes.privacy).
        scope = await privacy.staff_scope(user, community_id) if user is not None else privacy.StaffScope(frozenset())
        staff = scope.everything or bool(await privacy.flats_seen(scope, flat_ids))
    view = staff or (bool(attached) and await published(project_id))
    if not view and user is not None and await attachments(user.id, community_id):
        # Once the owners passed it, the notice is public and any resident may object: neighbours next door
        # are often the ones affected (light, noise, access).
        view = (await overview(project)).state.passed
    if not view:
        if user is None:
            from community.errors import NotSignedIn

            raise NotSignedIn("Please sign in first.")
        raise NotFound(NOT_FOUND)
    can = Can(view=True, staff=staff, manage=manage)
    if need == "staff" and not staff or need == "manage" and not manage:
        raise Forbidden(NOT_ALLOWED)
    return ProjectContext(project, can, user, owned, attached, flat_ids)


# --- Lists ----------------------------------------------------------------------------------------------------


async def community_projects(user: CurrentUser, slug: str) -> tuple[dict[str, Any], list[dict[str, Any]], bool, bool]:
    """(community, projects the user may see with their status, may create, is staff)."""
    community = await community_by_slug(slug)
    community_id = int(community["id"])
    roles = await roles_in(user.id, community_id)
    staff = user.is_site_admin or bool(roles & STAFF_ROLES)
    manage = user.is_site_admin or holds("run_projects", roles)
    rows = await Project.select(*PROJECT_COLUMNS).where(Project.community == community_id).order_by(
        Project.id, ascending=False
    ).output(load_json=True)
    if not staff:
        links = await attachments(user.id, community_id)
        if not links:
            return community, [], False, False
        mine = {a.flat_id for a in links}
        visible = []
        for row in rows:
            if mine & set(await flats_in_scope(project_scope(row))) and await published(int(row["id"])):
                visible.append(row)
        rows = visible
    several = await several_compounds(community_id)
    for row in rows:
        row["scope_label"] = scope_label(row, several)
        row["state"] = (await overview(row)).state
    return community, rows, manage, staff


# --- Scope choices and the project form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceChoice:
    value: str  # "stairwell_unit:12" or "building:5"
    label: str
    building_id: int
    unit_id: int | None


async def place_choices(community_id: int) -> list[PlaceChoice]:
    """Stairwell units first (elevators are decided per unit), then whole buildings."""
    units = await StairwellUnit.select(
        StairwellUnit.id, StairwellUnit.name, StairwellUnit.building.id, StairwellUnit.building.name,
        StairwellUnit.building.compound.name,
    ).where(StairwellUnit.building.compound.community == community_id)
    buildings = await Building.select(Building.id, Building.name, Building.compound.name).where(
        Building.compound.community == community_id
    )
    several = len({b["compound.name"] for b in buildings}) > 1
    choices = []
    for u in sorted(units, key=lambda u: (u["building.compound.name"], natural_key(u["building.name"]), natural_key(u["name"]))):
        prefix = f"{u['building.compound.name']} " if several else ""
        choices.append(PlaceChoice(f"stairwell_unit:{u['id']}", f"{prefix}{u['building.name']}-{u['name']}",
                                   int(u["building.id"]), int(u["id"])))  # fmt: skip
    for b in sorted(buildings, key=lambda b: (b["compound.name"], natural_key(b["name"]))):
        prefix = f"{b['compound.name']} " if several else ""
        choices.append(PlaceChoice(f"building:{b['id']}", f"{prefix}{b['name']}", int(b["id"]), None))
    return choices


PROJECT_FIELDS: Final = ("title", "kind", "place", "description", "storeys", "legal_title", "safety_notes", "matter")


async def _parse_project_form(
    community_id: int, form: Mapping[str, Any], new: bool
) -> tuple[dict[Any, Any], dict[str, str], dict[str, str]]:
    """(columns to store, {field: English msgid}, what was typed)."""
    values = {name: str(form.get(name, "") or "").strip() for name in PROJECT_FIELDS}
    errors: dict[str, str] = {}
    columns: dict[Any, Any] = {}
    if not values["title"]:
        errors["title"] = lazy("Please enter a title.")
    elif len(values["title"]) > TITLE_MAX:
        errors["title"] = lazy("The title is too long (at most 200 characters).")
    if values["kind"] not in kinds.PROJECT_KINDS:
        errors["kind"] = lazy("Please choose what kind of works this is.")
    if new:
        chosen = {c.value: c for c in await place_choices(community_id)}.get(values["place"])
        if chosen is None:
            errors["place"] = lazy("Please choose the stairwell unit or building the works concern.")
        else:
            columns[Project.building] = chosen.building_id
            columns[Project.stairwell_unit] = chosen.unit_id
    for name in ("description", "legal_title", "safety_notes"):
        if len(values[name]) > TEXT_MAX:
            errors[name] = lazy("This text is too long (at most 20000 characters).")
    storeys: int | None = None
    if values["storeys"]:
        if values["storeys"].isascii() and values["storeys"].isdigit() and 1 <= int(values["storeys"]) <= 200:
            storeys = int(values["storeys"])
        else:
            errors["storeys"] = lazy("Enter the number of storeys, such as 6.")
    matter: int | None = None
    if values["matter"]:
        if values["matter"].isdigit() and int(values["matter"]) in kinds.PROJECT_MATTERS:
            matter = int(values["matter"])
        else:
            errors["matter"] = lazy("Please choose one of the offered items.")
    columns.update(
        {
            Project.title: values["title"],
            Project.kind: values["kind"],
            Project.description: values["description"],
            Project.storeys: storeys,
            Project.legal_title: values["legal_title"],
            Project.safety_notes: values["safety_notes"],
            Project.matter: None if values["kind"] == "elevator" else matter,
        }
    )
    return columns, errors, values


async def create_project(user: CurrentUser, community_id: int, form: Mapping[str, Any]) -> int:
    """A new project with the legal default scheme (by area) and no budget yet; FormErrors if a field is wrong."""
    await require_rule(user, community_id, "run_projects")
    columns, errors, values = await _parse_project_form(community_id, form, new=True)
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        rows = await Project.insert(
            Project(community=community_id, created_by=user.id, building=columns[Project.building])
        ).returning(Project.id)
        project_id = int(rows[0]["id"])
        await Project.update(columns).where(Project.id == project_id)
        await audit(community_id, user.id, "project_created", project_id)
    return project_id


async def update_project(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """Title, kind, description and feasibility facts; the kind is fixed once a vote exists."""
    assert ctx.user is not None
    columns, errors, values = await _parse_project_form(ctx.community_id, form, new=False)
    rounds = await _rounds(ctx.id)
    if rounds and columns[Project.kind] != ctx.project["kind"]:
        errors["kind"] = lazy("The kind of works cannot change once a vote on the project exists.")
    if rounds:
        columns.pop(Project.matter)  # the vote's own form holds the matter from now on
    if errors:
        raise FormErrors(errors, values)
    async with write_transaction():
        await Project.update({**columns, Project.updated_at: now()}).where(Project.id == ctx.id)
        await audit(ctx.community_id, ctx.user.id, "project_edited", ctx.id)


def project_values(project: Mapping[str, Any]) -> dict[str, str]:
    return {
        "title": project["title"],
        "kind": project["kind"],
        "description": project["description"],
        "storeys": str(project["storeys"] or ""),
        "legal_title": project["legal_title"],
        "safety_notes": project["safety_notes"],
        "matter": str(project["matter"] or ""),
    }


# --- Flats and shares -------------------------------------------------------------------------------------------


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


# --- The project's votes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    """One vote on the project, with the vote as the votes package reports it."""

    row: dict[str, Any]
    vote: Any  # votes.services.VoteInfo

    @property
    def vote_id(self) -> int:
        return int(self.row["vote"])

    @property
    def status(self) -> str:
        return effective_status(self.vote)

    @property
    def outcome(self) -> str | None:
        return vote_outcome(self.vote)


def effective_status(vote: Any) -> str:
    """draft / scheduled / open / closed, counting a scheduled vote whose opening time has come as open."""
    if vote.status == "scheduled" and vote.opens_at is not None and vote.opens_at <= now():
        return "open"
    return str(vote.status)


def vote_outcome(vote: Any) -> str | None:
    """The outcome of a closed owners' vote; with the silent-majority setting, the adjusted (labelled) one."""
    if vote.status != "closed" or not vote.result:
        return None
    result = vote.result
    adjusted = result.get("adjusted") if isinstance(result, Mapping) else None
    if isinstance(adjusted, Mapping) and adjusted.get("outcome"):
        return str(adjusted["outcome"])
    outcome = result.get("outcome") if isinstance(result, Mapping) else None
    return str(outcome) if outcome else None


async def _rounds(project_id: int) -> list[dict[str, Any]]:
    return await ProjectVote.select().where(ProjectVote.project == project_id).order_by(ProjectVote.round).output(
        load_json=True
    )


async def has_vote(project_id: int) -> bool:
    return bool(await ProjectVote.exists().where(ProjectVote.project == project_id))


async def rounds_of(project_id: int) -> list[Round]:
    """Every vote on the project, oldest first, each brought up to date (a due opening or close is made)."""
    from votes import services as vote_services

    result = []
    for row in await _rounds(project_id):
        vote = await vote_services.get_vote(int(row["vote"]))
        result.append(Round(row, vote))
    return result


def current_round(rounds: Sequence[Round]) -> Round | None:
    live = [r for r in rounds if r.row["superseded_at"] is None]
    return live[-1] if live else None


async def sync_notice(project: Mapping[str, Any], current: Round | None) -> Round | None:
    """Once the current vote has passed, start its public notice (length from the community settings, then
    frozen); idempotent, so any page may call it."""
    if current is None or current.outcome != "passed" or current.row["notice_starts_at"] is not None:
        return current
    settings = await community_settings(int(project["community"]))
    starts = current.vote.closed_at or now()
    ends = lifecycle.notice_end(starts, settings.notice_days, tz())
    content = await notice_content(project, current, settings.notice_days, starts, ends)
    async with write_transaction():
        started = await ProjectVote.update(
            {ProjectVote.notice_days: settings.notice_days, ProjectVote.notice_starts_at: starts, ProjectVote.notice_ends_at: ends}
        ).where((ProjectVote.id == current.row["id"]) & ProjectVote.notice_starts_at.is_null()).returning(ProjectVote.id)
        if started:
            # The notice is published on the community's board, so it is the next link of its chain.
            from deliberation.minutes import chain

            _seq, digest = await chain.append(
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
    return Round(row, current.vote)


async def notice_content(
    project: Mapping[str, Any], current: Round, days: int, starts: datetime, ends: datetime
) -> dict[str, object]:
    """What the project's public notice publishes in the chain: the decision, the budget and the scheme voted
    on (the shares follow from them and the vote's frozen electorate), and the notice period. No names."""
    from deliberation.minutes.canonical import iso
    from deliberation.minutes.community import community_facts

    community = await community_facts(int(project["community"]))
    vote = current.vote
    terms = current.row["terms"]
    if isinstance(terms, str):
        terms = json.loads(terms)
    return {
        "schema": "yishi.project-notice/1",
        "kind": "project_notice",
        "project_id": int(project["id"]),
        "title": str(project["title"]),
        "community": {"slug": community.slug, "name": community.name, "street": community.street},
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
    rounds = await rounds_of(int(project["id"]))
    current = await sync_notice(project, current_round(rounds))
    if current is not None:
        rounds = [current if r.row["id"] == current.row["id"] else r for r in rounds]
    occupied = await occupied_flats(int(project["id"]))
    # Objections belong to the notice of one vote; an earlier vote's stay in its own minutes.
    objections = [
        o for o in await objections_of(int(project["id"]))
        if current is not None and o["project_vote"] == current.row["id"]
    ]
    facts = None
    if current is not None:
        facts = lifecycle.RoundFacts(current.status, current.outcome, current.row["notice_ends_at"])
    state = lifecycle.project_state(
        facts,
        [lifecycle.ObjectionFact(int(o["number"]), str(o["status"])) for o in objections],
        [lifecycle.ConsentFact(str(o["unit"]), str(o["consent"])) for o in occupied],
        now(),
    )
    settings = await community_settings(int(project["community"]))
    matter = kinds.matter_choice(str(project["kind"]), settings, project["matter"])
    if current is not None and current.vote.matter is not None:
        # The vote's own form may set another item; the count follows the vote.
        matter = kinds.MatterChoice(int(current.vote.matter), matter.default, matter.reason, matter.fixed)
    locked = lifecycle.terms_locked([current.status] if current is not None else [])
    return Overview(tuple(rounds), current, state, tuple(occupied), tuple(objections), locked, matter)


async def current_shares(project: Mapping[str, Any], info: Overview) -> Shares:
    """The project's shares: over the electorate snapshot once its current vote has opened, else the roster."""
    if info.current is not None and info.current.status in ("open", "closed"):
        flats = await snapshot_flats(info.current.vote_id)
        if flats:
            return shares_of(terms_from_json(info.current.row["terms"] or {}), flats, frozen=True)
    return shares_of(terms_of(project), await roster_flats(project), frozen=False)


async def update_terms(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """Budget, scheme and fixed amounts; refused once a vote on these terms has opened."""
    from votes import services as vote_services

    assert ctx.user is not None
    flats = await roster_flats(ctx.project)
    from votes.projects.terms import parse_terms

    terms, errors = parse_terms({k: str(v) for k, v in form.items()}, flats)
    if errors:
        raise FormErrors(errors, {k: str(v) for k, v in form.items() if k != "_csrf_token"})
    data = terms_to_json(terms)
    async with write_transaction():
        current = next((r for r in reversed(await _rounds(ctx.id)) if r["superseded_at"] is None), None)
        if current is not None:
            # Holds the vote still while we write: an opening in flight waits for us, or we see it open.
            row = await vote_services.lock_vote(int(current["vote"]))
            status = row["status"]
            if status == "scheduled" and row["opens_at"] is not None and row["opens_at"] <= now():
                status = "open"
            if lifecycle.terms_locked([status]):
                raise Conflict(TERMS_FROZEN)
            await ProjectVote.update({ProjectVote.terms: data}).where(ProjectVote.id == current["id"])
        await Project.update(
            {
                Project.total: terms.total,
                Project.subsidy: terms.subsidy,
                Project.fund: terms.fund,
                Project.scheme: terms.scheme,
                Project.coefficients: data["coefficients"],
                Project.fixed: data["fixed"],
                Project.updated_at: now(),
            }
        ).where(Project.id == ctx.id)
        await audit(ctx.community_id, ctx.user.id, "project_terms_changed", ctx.id, data)


def question_text(project: Mapping[str, Any]) -> str:
    """The question on the ballot, stored with the vote in the community's language (Chinese), whatever
    language the facilitator's pages are in."""
    from community import i18n
    with i18n.language(i18n.DEFAULT_LANGUAGE):
        return i18n.gettext(
            "Do you agree to carry out the project “{title}” for {place}, with the budget and the cost-sharing "
            "scheme set out on the project page? Your own share is shown on this ballot."
        ).format(title=project["title"], place=project["scope_label"])


async def create_round(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """Put the project to the owners: a draft vote (through the votes service) linked to the project.

    The facilitator then sets its window and channels and publishes it on the vote's own page.
    """
    from votes import services as vote_services

    assert ctx.user is not None
    info = await overview(ctx.project)
    if info.current is not None:
        raise Conflict(lazy("This project already has a vote. Start a new vote once that one has closed."))
    shares = shares_of(terms_of(ctx.project), await roster_flats(ctx.project), frozen=False)
    if not shares.flats:
        raise Conflict(lazy("The stairwell unit or building of this project has no flats in the roster yet."))
    if shares.problems or ctx.project["total"] <= 0:
        raise Conflict(lazy("Set the budget and a cost-sharing scheme that works before putting the project to a vote."))
    settings = await community_settings(ctx.community_id)
    chosen = str(form.get("matter", "") or "").strip()
    matter = kinds.matter_choice(
        str(ctx.project["kind"]), settings, int(chosen) if chosen.isdigit() else ctx.project["matter"]
    ).matter
    place = f"stairwell_unit:{ctx.project['stairwell_unit']}" if ctx.project["stairwell_unit"] else f"building:{ctx.project['building']}"
    agenda_item = str(form.get("agenda_item", "") or "").strip()
    vote_form: dict[str, Any] = {
        "title": ctx.project["title"],
        "question": question_text(ctx.project),
        "kind": "owners",
        "matter": str(matter),
        "scope": place,
        "agenda_item": agenda_item,
        "channels": ["online", "paper"],
    }
    draft = await vote_services.parse_vote_form(ctx.community_id, vote_form)
    vote_id = await vote_services.create_vote(ctx.user, ctx.community_id, draft)
    rounds = await _rounds(ctx.id)
    try:
        async with write_transaction():
            await ProjectVote.insert(
                ProjectVote(
                    project=ctx.id,
                    vote=vote_id,
                    round=len(rounds) + 1,
                    matter=matter,
                    terms=terms_to_json(terms_of(ctx.project)),
                    created_by=ctx.user.id,
                )
            )
            await Project.update({Project.matter: matter if ctx.project["kind"] != "elevator" else None}).where(
                Project.id == ctx.id
            )
            await audit(ctx.community_id, ctx.user.id, "project_vote_created", ctx.id, {"vote": vote_id})
    except Exception as exc:
        await Vote.delete().where((Vote.id == vote_id) & (Vote.status == "draft"))
        if is_unique_violation(exc):
            raise Conflict(lazy("This project already has a vote. Start a new vote once that one has closed.")) from exc
        raise
    return vote_id


async def new_round(ctx: ProjectContext) -> None:
    """Leave the closed vote on record and open the terms for a new vote."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if info.current is None or info.current.status != "closed":
        raise Conflict(lazy("A new vote can be prepared only once the current vote has closed."))
    async with write_transaction():
        await ProjectVote.update({ProjectVote.superseded_at: now()}).where(
            (ProjectVote.id == info.current.row["id"]) & ProjectVote.superseded_at.is_null()
        )
        await audit(ctx.community_id, ctx.user.id, "project_new_round", ctx.id, {"previous_vote": info.current.vote_id})


async def round_for_vote(vote_id: int) -> dict[str, Any] | None:
    return await ProjectVote.select().where(ProjectVote.vote == vote_id).output(load_json=True).first()


# --- Occupied flats and consents ----------------------------------------------------------------------------------


async def occupied_flats(project_id: int) -> list[dict[str, Any]]:
    rows = await OccupiedFlat.select(
        *OccupiedFlat.all_columns(),
        OccupiedFlat.flat.room.as_alias("room"),
        OccupiedFlat.flat.floor.as_alias("floor"),
        OccupiedFlat.flat.stairwell_unit.name.as_alias("unit_name"),
        OccupiedFlat.flat.stairwell_unit.building.name.as_alias("building_name"),
    ).where(OccupiedFlat.project == project_id)
    for r in rows:
        r["unit"] = f"{r['building_name']}-{r['unit_name']}-{r['room']}"
    rows.sort(key=lambda r: natural_key(r["unit"]))
    return rows


async def mark_occupied(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    assert ctx.user is not None
    values = {name: str(form.get(name, "") or "").strip() for name in ("flat", "occupies")}
    errors: dict[str, str] = {}
    flat_id = int(values["flat"]) if values["flat"].isdigit() else 0
    if flat_id not in ctx.flat_ids:
        errors["flat"] = lazy("Please choose a flat of this project.")
    if not values["occupies"]:
        errors["occupies"] = lazy("Describe what of the flat the works occupy, such as part of the balcony.")
    elif len(values["occupies"]) > OCCUPIES_MAX:
        errors["occupies"] = lazy("This text is too long (at most 300 characters).")
    if errors:
        raise FormErrors(errors, values)
    try:
        async with write_transaction():
            await OccupiedFlat.insert(
                OccupiedFlat(project=ctx.id, flat=flat_id, occupies=values["occupies"], marked_by=ctx.user.id)
            )
            await audit(ctx.community_id, ctx.user.id, "project_flat_occupied", ctx.id, {"flat": flat_id})
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"flat": lazy("This flat is already on the list.")}, values) from exc
        raise


async def _occupied(ctx: ProjectContext, occupied_id: int) -> dict[str, Any]:
    row = await OccupiedFlat.select().where((OccupiedFlat.id == occupied_id) & (OccupiedFlat.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This entry does not exist."))
    return row


async def unmark_occupied(ctx: ProjectContext, occupied_id: int) -> None:
    assert ctx.user is not None
    row = await _occupied(ctx, occupied_id)
    async with write_transaction():
        await OccupiedFlat.delete().where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_flat_unoccupied", ctx.id,
                    {"flat": row["flat"], "consent": row["consent"]})  # fmt: skip


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def day_start(day: date) -> datetime:
    """Noon of that day in the community's time zone: a date-only record never slips a day in another zone."""
    return datetime.combine(day, time(12), tzinfo=tz()).astimezone(UTC)


async def record_consent(ctx: ProjectContext, occupied_id: int, form: Mapping[str, Any]) -> None:
    """Staff record a consent or refusal given on paper or in person, with its date."""
    assert ctx.user is not None
    await _occupied(ctx, occupied_id)
    values = {name: str(form.get(name, "") or "").strip() for name in ("consent", "method", "decided_on", "note")}
    prefix = f"c{occupied_id}-"
    errors: dict[str, str] = {}
    if values["consent"] not in kinds.CONSENT_STATES:
        errors[prefix + "consent"] = lazy("Please choose one of the offered values.")
    if values["consent"] != "pending" and values["method"] not in kinds.CONSENT_METHODS:
        errors[prefix + "method"] = lazy("Please say how the owner gave their answer.")
    day = parse_day(values["decided_on"]) if values["decided_on"] else now().astimezone(tz()).date()
    if day is None:
        errors[prefix + "decided_on"] = lazy("Enter a date, such as 2026-12-01.")
    elif day > now().astimezone(tz()).date():
        errors[prefix + "decided_on"] = lazy("The date cannot be in the future.")
    if len(values["note"]) > NOTE_MAX:
        errors[prefix + "note"] = lazy("This text is too long (at most 300 characters).")
    if errors:
        raise FormErrors(errors, {prefix + k: v for k, v in values.items()})
    pending = values["consent"] == "pending"
    async with write_transaction():
        await OccupiedFlat.update(
            {
                OccupiedFlat.consent: values["consent"],
                OccupiedFlat.method: "" if pending else values["method"],
                OccupiedFlat.decided_on: None if pending or day is None else day_start(day),
                OccupiedFlat.note: values["note"],
                OccupiedFlat.recorded_by: ctx.user.id,
                OccupiedFlat.decided_by: None,
            }
        ).where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_consent_recorded", ctx.id,
                    {"occupied": occupied_id, "consent": values["consent"], "method": values["method"]})  # fmt: skip


async def owner_consent(ctx: ProjectContext, occupied_id: int, form: Mapping[str, Any]) -> None:
    """The owner of an occupied flat consents (or refuses) online; only a verified owner of that flat may."""
    assert ctx.user is not None
    row = await _occupied(ctx, occupied_id)
    decision = str(form.get("decision", "") or "")
    if decision not in ("given", "refused"):
        raise FormErrors({"decision": lazy("Please choose one of the offered values.")})
    if str(form.get("confirm", "")) != "yes":
        raise FormErrors({"confirm": lazy("Please tick the box to confirm that you are the owner and mean it.")})
    links = await attachments(ctx.user.id, ctx.community_id)
    if not any(a.flat_id == row["flat"] and a.relation == "owner" and a.verified for a in links):
        raise Forbidden(lazy("Only a verified owner of this flat can answer for it. Ask the residents' committee to verify your link to the flat."))
    async with write_transaction():
        await OccupiedFlat.update(
            {
                OccupiedFlat.consent: decision,
                OccupiedFlat.method: "online",
                OccupiedFlat.decided_on: now(),
                OccupiedFlat.decided_by: ctx.user.id,
                OccupiedFlat.recorded_by: None,
                OccupiedFlat.note: "",
            }
        ).where(OccupiedFlat.id == occupied_id)
        await audit(ctx.community_id, ctx.user.id, "project_consent_online", ctx.id,
                    {"occupied": occupied_id, "consent": decision})  # fmt: skip


# --- Objections -------------------------------------------------------------------------------------------------


async def objections_of(project_id: int) -> list[dict[str, Any]]:
    rows = await Objection.select(
        *Objection.all_columns(),
        Objection.flat.room.as_alias("room"),
        Objection.flat.stairwell_unit.name.as_alias("unit_name"),
        Objection.flat.stairwell_unit.building.name.as_alias("building_name"),
    ).where(Objection.project == project_id).order_by(Objection.number).output(load_json=True)
    steps = await ObjectionStep.select(
        *ObjectionStep.all_columns(), ObjectionStep.by.display_name.as_alias("by_name")
    ).where(ObjectionStep.objection.is_in([r["id"] for r in rows] or [-1])).order_by(ObjectionStep.at).order_by(ObjectionStep.id)
    for r in rows:
        r["unit"] = f"{r['building_name']}-{r['unit_name']}-{r['room']}" if r["room"] else ""
        r["steps"] = [s for s in steps if s["objection"] == r["id"]]
        r["blocks"] = lifecycle.blocks_approval(str(r["status"]))
    return rows


def _objection_values(form: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    values = {name: str(form.get(name, "") or "").strip() for name in ("text", "flat", "channel", "received_on", "objector")}
    affects = [a for a in form_list(form, "affects") if a in kinds.AFFECTS]
    return values, affects


def _check_objection(values: dict[str, str], affects: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["text"]:
        errors["text"] = lazy("Please write your objection: what worries you, and what you ask for.")
    elif len(values["text"]) > kinds.OBJECTION_MAX_LENGTH:
        errors["text"] = lazy("The objection is too long (at most 4000 characters).")
    if not affects:
        errors["affects"] = lazy("Please tick what the works would affect.")
    return errors


async def _insert_objection(ctx: ProjectContext, round_id: int | None, columns: dict[str, Any]) -> int:
    """Number objections 1, 2, … per project; a clash of two at once retries with the next number."""
    for _attempt in range(3):
        try:
            async with write_transaction():
                last = await Objection.select(Objection.number).where(Objection.project == ctx.id).order_by(
                    Objection.number, ascending=False
                ).first()
                number = int(last["number"]) + 1 if last else 1
                rows = await Objection.insert(
                    Objection(project=ctx.id, project_vote=round_id, number=number, **columns)
                ).returning(Objection.id)
                await audit(ctx.community_id, ctx.user.id if ctx.user else None, "project_objection_lodged", ctx.id,
                            {"number": number, "channel": columns["channel"]})  # fmt: skip
            return int(rows[0]["id"])
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
    raise Conflict(lazy("Many objections arrived at once. Please submit yours again."))


async def lodge_objection(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """A resident of the community lodges a written objection from a phone while the notice runs."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if not lifecycle.may_lodge_online(info.state, now()):
        raise Conflict(lazy("Objections can be lodged online only while the public notice runs."))
    values, affects = _objection_values(form)
    errors = _check_objection(values, affects)
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    mine = {a.flat_id for a in await attachments(ctx.user.id, ctx.community_id)}
    if flat_id is not None and flat_id not in mine:
        errors["flat"] = lazy("Please choose one of your flats, or none.")
    if errors:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    assert info.current is not None
    return await _insert_objection(
        ctx, int(info.current.row["id"]),
        {"channel": "online", "account": ctx.user.id, "flat": flat_id, "affects": affects, "text": values["text"],
         "received_at": now()},
    )  # fmt: skip


async def record_objection(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """Staff record an objection received on paper or spoken, with the day it reached them."""
    assert ctx.user is not None
    info = await overview(ctx.project)
    if not info.state.passed or info.current is None or info.current.row["notice_starts_at"] is None:
        raise Conflict(lazy("Objections are recorded once the vote has passed and its public notice has started."))
    values, affects = _objection_values(form)
    errors = _check_objection(values, affects)
    if values["channel"] not in ("paper", "spoken"):
        errors["channel"] = lazy("Please say how the objection reached you.")
    day = parse_day(values["received_on"]) if values["received_on"] else now().astimezone(tz()).date()
    starts, ends = info.current.row["notice_starts_at"], info.current.row["notice_ends_at"]
    if day is None:
        errors["received_on"] = lazy("Enter a date, such as 2026-12-01.")
    elif day > now().astimezone(tz()).date():
        errors["received_on"] = lazy("The date cannot be in the future.")
    elif not lifecycle.received_in_time(day, starts, ends, tz()):
        errors["received_on"] = lazy("Only objections received during the public notice can be recorded.")
    if len(values["objector"]) > 100:
        errors["objector"] = lazy("The name is too long (at most 100 characters).")
    flat_id = int(values["flat"]) if values["flat"].isdigit() else None
    if flat_id is not None and not await Flat.exists().where(
        (Flat.id == flat_id) & (Flat.stairwell_unit.building.compound.community == ctx.community_id)
    ):
        errors["flat"] = lazy("Please choose a flat of this community, or none.")
    if errors:
        raise FormErrors(errors, values | {"affects": ",".join(affects)})
    assert day is not None
    received = now() if day == now().astimezone(tz()).date() else day_start(day)
    return await _insert_objection(
        ctx, int(info.current.row["id"]),
        {"channel": values["channel"], "flat": flat_id, "objector": values["objector"], "affects": affects,
         "text": values["text"], "received_at": received, "recorded_by": ctx.user.id},
    )  # fmt: skip


async def _objection(ctx: ProjectContext, objection_id: int) -> dict[str, Any]:
    row = await Objection.select().where((Objection.id == objection_id) & (Objection.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This objection does not exist."))
    return row


async def _add_step(ctx: ProjectContext, objection_id: int, kind: str, note: str) -> None:
    assert ctx.user is not None
    async with write_transaction():
        await ObjectionStep.insert(ObjectionStep(objection=objection_id, kind=kind, note=note, by=ctx.user.id))
        kinds_so_far = [
            r["kind"]
            for r in await ObjectionStep.select(ObjectionStep.kind).where(ObjectionStep.objection == objection_id).order_by(
                ObjectionStep.at
            ).order_by(ObjectionStep.id)
        ]
        await Objection.update({Objection.status: lifecycle.objection_status(kinds_so_far)}).where(
            Objection.id == objection_id
        )
        await audit(ctx.community_id, ctx.user.id, "project_objection_step", ctx.id, {"objection": objection_id, "kind": kind})


async def add_step(ctx: ProjectContext, objection_id: int, form: Mapping[str, Any]) -> None:
    """Staff log how an objection was handled: talks, mediation, resolved, withdrawn, unresolved."""
    await _objection(ctx, objection_id)
    kind = str(form.get("kind", "") or "").strip()
    note = str(form.get("note", "") or "").strip()
    prefix = f"o{objection_id}-"
    errors: dict[str, str] = {}
    if kind not in kinds.STEP_KINDS:
        errors[prefix + "kind"] = lazy("Please choose one of the offered values.")
    if not note:
        errors[prefix + "note"] = lazy("Please note what was done or agreed, and with whom.")
    elif len(note) > kinds.STEP_NOTE_MAX_LENGTH:
        errors[prefix + "note"] = lazy("This text is too long (at most 2000 characters).")
    if errors:
        raise FormErrors(errors, {prefix + "kind": kind, prefix + "note": note})
    await _add_step(ctx, objection_id, kind, note)


async def withdraw_objection(ctx: ProjectContext, objection_id: int) -> None:
    """The resident who lodged an objection online withdraws it."""
    assert ctx.user is not None
    row = await _objection(ctx, objection_id)
    if row["account"] != ctx.user.id:
        raise Forbidden(NOT_ALLOWED)
    if row["status"] in ("withdrawn", "resolved"):
        raise Conflict(lazy("This objection is already settled."))
    await _add_step(ctx, objection_id, "withdrawn", kinds.WITHDRAWN_ONLINE)


# --- The building diagram -------------------------------------------------------------------------------------------


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
    from votes import services as vote_services

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
    p = await vote_services.participation_of(vote)
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
    from votes import services as vote_services

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
    names = await vote_services.person_names({p for f in wanted for p in f[4]})
    by_floor: dict[int, list[VisitFlat]] = {}
    for flat_id, unit, floor, not_voted, people in wanted:
        by_floor.setdefault(floor, []).append(
            VisitFlat(unit, floor, "、".join(sorted({names.get(p, "") for p in people} - {""})), not_voted, consents.get(flat_id))
        )
    ordered = [(floor, sorted(group, key=lambda v: natural_key(v.unit))) for floor, group in sorted(by_floor.items(), reverse=True)]
    return ordered, named


# --- What an owner sees of their own share ------------------------------------------------------------------------


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


async def owners_of_occupied(info: Overview, account_id: int, community_id: int) -> set[int]:
    """Occupied-flat entries the account may answer for: it is a verified owner of the flat."""
    links = await attachments(account_id, community_id)
    owned = {a.flat_id for a in links if a.relation == "owner" and a.verified}
    return {int(o["id"]) for o in info.occupied if int(o["flat"]) in owned}


