"""The project record and what every part of projects shares: reading a project with its place, what a user may do
with it (`ProjectContext`), the community's project settings, days in the community's time zone, the audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from community.accounts import CurrentUser
from community.audit import audit as audit_log
from community.config import get_config
from community.errors import NotFound
from community.i18n import lazy
from community.roster.scope import Scope
from community.tables import Community, Compound
from votes.projects import kinds
from votes.projects.tables import Project, ProjectVote

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


async def community_settings(community_id: int) -> kinds.ProjectSettings:
    row = await Community.select(Community.settings).where(Community.id == community_id).output(load_json=True).first()
    stored = (row or {}).get("settings") or {}
    section = stored.get("projects") if isinstance(stored, dict) else None
    settings, _errors = kinds.parse_settings(section if isinstance(section, dict) else {})
    return settings


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
    read: Any = None  # the project's overview (votes.projects.rounds), when deciding access already read it

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


async def published_among(project_ids: Sequence[int]) -> set[int]:
    """Those of the projects residents see (see `published`), in one statement."""
    rows = await ProjectVote.select(ProjectVote.project).where(
        ProjectVote.project.is_in(list(project_ids) or [-1]) & (ProjectVote.vote.status != "draft")
    )
    return {int(r["project"]) for r in rows}


async def published(project_id: int) -> bool:
    """Residents see a project once a vote on it has been published."""
    return bool(
        await ProjectVote.exists().where((ProjectVote.project == project_id) & (ProjectVote.vote.status != "draft"))
    )


def day_start(day: date) -> datetime:
    """Noon of that day in the community's time zone: a date-only record never slips a day in another zone."""
    return datetime.combine(day, time(12), tzinfo=tz()).astimezone(UTC)
