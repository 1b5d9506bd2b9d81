"""Projects service: access, creating and editing projects, shares, the project's votes, consents, objections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from community.accounts import CurrentUser, roles_in
from community.audit import audit as audit_log
from community.clock import now as now  # the one clock, re-exported for callers of this module
from community.db import write_transaction
from community.errors import Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.permissions import STAFF_ROLES, community_by_slug, require_rule
from community.roles import holds
from community.roster.scope import attachments, flats_in_scope
from community.tables import Building, Community, Flat, StairwellUnit
from votes import privacy
from votes.participation import natural_key
from votes.projects import kinds
from votes.projects.rounds import overview, overviews, project_rounds
from votes.projects.store import (
    NOT_ALLOWED,
    NOT_FOUND,
    PROJECT_COLUMNS,
    TEXT_MAX,
    TITLE_MAX,
    Can,
    ProjectContext,
    audit,
    get_project,
    project_scope,
    published,
    published_among,
    scope_label,
    several_compounds,
)
from votes.projects.tables import Project

# --- Community settings ---------------------------------------------------------------------------------------


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
    info = None
    if not view and user is not None and await attachments(user.id, community_id):
        # Once the owners passed it, the notice is public and any resident may object: neighbours next door
        # are often the ones affected (light, noise, access).
        info = await overview(project)
        view = info.state.passed
    if not view:
        if user is None:
            from community.errors import NotSignedIn

            raise NotSignedIn("Please sign in first.")
        raise NotFound(NOT_FOUND)
    can = Can(view=True, staff=staff, manage=manage)
    if need == "staff" and not staff or need == "manage" and not manage:
        raise Forbidden(NOT_ALLOWED)
    return ProjectContext(project, can, user, owned, attached, flat_ids, info)


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
        # The user's active flats with their stairwell unit and building, and the projects with a published
        # vote: two statements, however many projects.
        places = await Flat.select(Flat.stairwell_unit, Flat.stairwell_unit.building.as_alias("building")).where(
            Flat.id.is_in(sorted({a.flat_id for a in links})) & Flat.active.eq(True)
        )
        units = {int(p["stairwell_unit"]) for p in places}
        buildings = {int(p["building"]) for p in places}
        shown = await published_among([int(row["id"]) for row in rows])
        rows = [
            row for row in rows
            if int(row["id"]) in shown
            and (int(row["stairwell_unit"]) in units if row["stairwell_unit"] else int(row["building"]) in buildings)
        ]  # fmt: skip
    several = await several_compounds(community_id)
    states = await overviews(rows)
    for row in rows:
        row["scope_label"] = scope_label(row, several)
        row["state"] = states[int(row["id"])].state
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
    rounds = await project_rounds(ctx.id)
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


# --- Occupied flats and consents ----------------------------------------------------------------------------------


# --- What an owner sees of their own share ------------------------------------------------------------------------
