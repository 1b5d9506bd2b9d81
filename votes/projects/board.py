"""What projects put on a community's public notice board: each passed project in (or after) its public notice.

The board reads its entries within its own statement (`board_reads`, plugged in by `deliberation.wiring`): the
projects whose current vote has closed, with that vote's result, stage and notice, their objections and their
occupied flats' consents, which is all `lifecycle.project_state` needs. Only a project whose notice is due to
start (passed, final, not yet started) takes the long way (`notice_entries`), which starts it. Public: no names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from community import i18n
from community.clock import now
from community.config import get_config
from community.contributions import NoticeEntry
from community.i18n import gettext as _
from community.sqljson import Nested, converter, nested
from votes.projects import lifecycle, rounds, store
from votes.projects.public import tr
from votes.projects.tables import Objection, OccupiedFlat, Project, ProjectVote
from votes.projects.terms import SCHEME_LABELS
from votes.projects.views import money
from votes.tables import Vote


async def notice_entries(community_id: int, closed: list[int] | None = None) -> list[NoticeEntry]:
    """Projects whose vote passed, in their notice period then after; `closed`: those whose vote has closed.
    Reads every project's overview (and so starts a notice that is due)."""
    # Only projects whose current vote has closed can be in (or past) their notice: the board stays cheap.
    closed = closed if closed is not None else [
        int(r["project"])
        for r in await ProjectVote.select(ProjectVote.project).where(
            (ProjectVote.project.community == community_id) & ProjectVote.superseded_at.is_null()
            & (ProjectVote.vote.status == "closed")
        )
    ]  # fmt: skip
    if not closed:
        return []
    several, rows = await store.several_compounds(community_id), await Project.select(*store.PROJECT_COLUMNS).where(
        Project.id.is_in(closed)).output(load_json=True)  # fmt: skip
    infos = await rounds.overviews(rows)  # every project's rounds, votes and objections at once
    entries = []
    for row, info in ((r, infos[int(r["id"])]) for r in rows):
        row["scope_label"] = store.scope_label(row, several)
        if info.state.passed and info.current is not None and info.state.notice_ends_at is not None:
            entries.append(_entry(row, info.state, info.current.row["terms"], info.current.row["notice_starts_at"]))
    return entries


def _entry(project: Mapping[str, Any], state: lifecycle.ProjectState, terms: Mapping[str, Any], starts: datetime) -> NoticeEntry:
    assert state.notice_ends_at is not None
    last = lifecycle.last_day(state.notice_ends_at, store.tz())
    day = i18n.format_date(store.day_start(last), get_config().timezone)
    payable = int(terms.get("total", 0)) - int(terms.get("subsidy", 0)) - int(terms.get("fund", 0))
    return NoticeEntry(
        kind="project",
        title=_("%(title)s: passed by the owners") % {"title": project["title"]},
        url=f"/p/{project['id']}/notice",
        published_at=starts,
        summary=_(lifecycle.STATUS_LABELS[state.status]) + " · " + _(
            "Paid by the owners ¥%(amount)s, shared by: %(scheme)s."
        ) % {"amount": money(payable), "scheme": tr(SCHEME_LABELS, str(terms.get("scheme", "area")))},
        buildings=(str(project["building_name"]),),
        ends_at=state.notice_ends_at,
        how_to_object=_(
            "Lodge a written objection by the end of %(day)s: on the project page, or on paper at the "
            "residents' committee. Say what the works would affect (light, noise, access, cost…)."
        ) % {"day": day},
    )  # fmt: skip


# The current rounds (pv) of community c.id's projects (pr) whose vote (vv) has closed, for the board's statement.
_CURRENT_CLOSED = ("FROM project_vote pv JOIN project pr ON pr.id = pv.project JOIN vote vv ON vv.id = pv.vote"
                   " WHERE pr.community = c.id AND pv.superseded_at IS NULL AND vv.status = 'closed'")  # fmt: skip


def board_reads(postgres: bool) -> dict[str, Nested]:
    """The rows `board_entries` needs, as scalar subqueries of the board's statement (community `c.id`)."""
    return {
        "closed": nested(postgres, "pv", (ProjectVote.project, ProjectVote.terms, ProjectVote.notice_starts_at,
                                          ProjectVote.notice_ends_at), _CURRENT_CLOSED, order="pv.project", extra={
            "title": ("pr.title", None),
            "building_name": ("(SELECT b.name FROM building b WHERE b.id = pr.building)", None),
            "result": ("vv.result", converter(Vote.result)),
            "stage": ("(SELECT s.stage FROM vote_stage s WHERE s.vote = vv.id)", None),
            "final_at": ("(SELECT s.final_at FROM vote_stage s WHERE s.vote = vv.id)", converter(ProjectVote.notice_ends_at)),
        }),
        "objections": nested(postgres, "o", (Objection.project, Objection.number, Objection.status),
                             f"FROM project_objection o WHERE o.project_vote IN (SELECT pv.id {_CURRENT_CLOSED})"),
        "consents": nested(postgres, "of", (OccupiedFlat.project, OccupiedFlat.consent),
                           f"FROM project_occupied_flat of WHERE of.project IN (SELECT pv.project {_CURRENT_CLOSED})"),
    }  # fmt: skip


async def board_entries(community_id: int, rows: Mapping[str, list[dict[str, Any]]]) -> list[NoticeEntry]:
    """`notice_entries` from the rows `board_reads` gave: no statement of its own unless a notice is due to start."""
    entries, moment = [], now()
    for project in rows["closed"]:
        result = json.loads(project["result"]) if isinstance(project["result"], str) else project["result"]
        outcome = rounds.outcome_of(result)
        # No stage: closed before query windows existed, final at the close (votes.result_stage.finals_at).
        final = project["stage"] is None or (project["stage"] == "final" and project["final_at"] is not None)
        if project["notice_starts_at"] is None:
            if outcome == "passed" and final:  # its notice starts now: the long way, which starts it
                return await notice_entries(community_id, [int(p["project"]) for p in rows["closed"]])
            continue
        of = int(project["project"])
        state = lifecycle.project_state(
            lifecycle.RoundFacts("closed", outcome, project["notice_ends_at"], final),
            [lifecycle.ObjectionFact(int(o["number"]), str(o["status"])) for o in rows["objections"] if int(o["project"]) == of],
            [lifecycle.ConsentFact("", str(c["consent"])) for c in rows["consents"] if int(c["project"]) == of],
            moment,
        )  # fmt: skip
        if state.passed and state.notice_ends_at is not None:
            terms = json.loads(project["terms"]) if isinstance(project["terms"], str) else project["terms"] or {}
            entries.append(_entry({**project, "id": of}, state, terms, project["notice_starts_at"]))
    return entries
