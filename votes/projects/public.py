"""What projects contribute elsewhere: the minutes, the meeting projector, the owner's ballot (the notice board's
entries are in `votes.projects.board`).

Everything for the board and the minutes is public: units by label, people by role, never a resident's name.
The board's entries, the minutes' sections and the projector's panels are read by deliberation, the floor
above (`deliberation.wiring` plugs them in); the ballot's share and the notice's start are registered here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from community import events, i18n
from community.config import get_config
from community.contributions import MinutesSection
from community.i18n import gettext as _
from community.i18n import lazy
from votes.events import VoteResultFinal
from votes.projects import budget, building, kinds, lifecycle, rounds, store
from votes.projects.tables import Project, ProjectVote
from votes.projects.terms import (
    SCHEME_EXPLANATIONS,
    SCHEME_LABELS,
    ShareFlat,
    coefficients_of,
    plain_decimal,
    terms_from_json,
)
from votes.projects.views import money, render
from votes.shares import format_fen
from votes.tables import VoteFlat

if TYPE_CHECKING:
    from votes.casting import Standing
    from votes.services import VoteInfo


def tr(labels: dict[str, str], key: str) -> str:
    """A label's translation; an unknown key (data from an older version) shows as it is."""
    return _(labels[key]) if key in labels else key


# --- The minutes ----------------------------------------------------------------------------------------------


async def minutes_sections(vote_id: int) -> list[MinutesSection]:
    """Shares by unit, consents of occupied flats by unit, objections and their handling, for a project's vote."""
    link = await rounds.round_for_vote(vote_id)
    if link is None:
        return []
    project = await store.get_project(int(link["project"]))
    info = await rounds.overview(project)
    this = next((r for r in info.rounds if r.vote_id == vote_id), None)
    if this is None:
        return []
    flats = await budget.snapshot_flats(vote_id) or await budget.roster_flats(project)
    shares = budget.shares_of(terms_from_json(this.row["terms"] or {}), flats, frozen=True)
    return [
        shares_section(project, shares),
        consents_section(info),
        objections_section(info, this, await rounds.objections_of(int(project["id"]))),
    ]


def shares_section(project: dict[str, Any], shares: budget.Shares) -> MinutesSection:
    terms = shares.terms
    paragraphs = [
        _("Project: %(title)s (%(kind)s), %(place)s.") % {
            "title": project["title"], "kind": tr(kinds.KIND_LABELS, project["kind"]), "place": project["scope_label"],
        },
        _("Total cost ¥%(total)s; government subsidy ¥%(subsidy)s; from the maintenance fund ¥%(fund)s; paid by "
          "the owners ¥%(payable)s.") % {
            "total": money(terms.total), "subsidy": money(terms.subsidy), "fund": money(terms.fund),
            "payable": money(terms.payable),
        },
        _("Cost-sharing scheme: %(scheme)s. %(explanation)s") % {
            "scheme": _(SCHEME_LABELS[terms.scheme]), "explanation": _(SCHEME_EXPLANATIONS[terms.scheme]),
        },
        _("Shares are rounded down to the fen; the fen left over go one by one to the flats with the largest "
          "remainders (ties: the lower unit number), so the shares add up exactly."),
    ]  # fmt: skip
    coefficients = coefficients_of(terms)
    if coefficients:
        paragraphs.append(
            _("Floor coefficients: %(list)s.") % {
                "list": "; ".join(f"{floor}: {value}" for floor, value in sorted(coefficients.items()))
            }
        )  # fmt: skip
    rows: list[tuple[str, ...]] = []
    data_shares: dict[str, str] = {}
    if shares.table is not None:
        for line in shares.table.lines:
            data_shares[line.flat.unit] = format_fen(line.amount)
            rows.append(
                (
                    line.flat.unit,
                    str(line.flat.floor),
                    i18n.format_area(line.flat.area),
                    _("fixed amount") if line.fixed else plain_decimal(line.weight),
                    money(line.amount),
                )
            )
    else:
        paragraphs.append(_("The shares could not be computed for these terms."))
    header = (_("Flat"), _("Floor"), _("Area m²"), _("Weight"), _("Share ¥"))
    return MinutesSection(
        title=_("Cost shares"),
        paragraphs=tuple(paragraphs),
        tables=((header, tuple(rows)),) if rows else (),
        data={
            "total": format_fen(terms.total),
            "subsidy": format_fen(terms.subsidy),
            "fund": format_fen(terms.fund),
            "scheme": terms.scheme,
            "coefficients": {str(k): str(v) for k, v in sorted(coefficients.items())},
            "fixed": sorted(line.flat.unit for line in (shares.table.lines if shares.table else ()) if line.fixed),
            "shares": data_shares,
        },
    )


def consents_section(info: rounds.Overview) -> MinutesSection:
    rows = tuple(
        (
            str(o["unit"]),
            str(o["occupies"]),
            tr(kinds.CONSENT_LABELS, str(o["consent"])),
            tr(kinds.CONSENT_METHODS, str(o["method"])) if o["method"] else "",
            i18n.format_date(o["decided_on"], get_config().timezone) if o["decided_on"] else "",
        )
        for o in info.occupied
    )
    paragraphs = (
        _("Owners whose own flat the works occupy must consent individually, apart from the vote."),
        _("No flat's own space is occupied by the works.") if not rows else _(
            "%(given)s of %(n)s owners have consented."
        ) % {"given": sum(1 for o in info.occupied if o["consent"] == "given"), "n": len(rows)},
    )
    header = (_("Flat"), _("What the works occupy"), _("Answer"), _("How"), _("Date"))
    return MinutesSection(
        title=_("Consent of the owners of occupied flats"),
        paragraphs=paragraphs,
        tables=((header, rows),) if rows else (),
        data={"consents": {str(o["unit"]): str(o["consent"]) for o in info.occupied}},
    )


def objections_section(info: rounds.Overview, this: rounds.Round, objections: list[dict[str, Any]]) -> MinutesSection:
    row = this.row
    tz_name = get_config().timezone
    paragraphs: list[str] = []
    if row["notice_ends_at"] is not None:
        paragraphs.append(
            _("Public notice from %(start)s to the end of %(end)s (%(days)s days).") % {
                "start": i18n.format_date(row["notice_starts_at"], tz_name),
                "end": i18n.format_date(store.day_start(lifecycle.last_day(row["notice_ends_at"], store.tz())), tz_name),
                "days": row["notice_days"],
            }
        )  # fmt: skip
    elif this.outcome != "passed":
        paragraphs.append(_("No public notice: the vote did not pass."))
    mine = [o for o in objections if o["project_vote"] == row["id"]]
    rows = []
    for o in mine:
        log = "; ".join(step_text(step, tz_name) for step in o["steps"])
        rows.append(
            (
                str(o["number"]),
                i18n.format_date(o["received_at"], tz_name),
                tr(kinds.OBJECTION_CHANNELS, str(o["channel"])),
                "、".join(tr(kinds.AFFECTS, a) for a in o["affects"]),
                str(o["text"]),
                log,
                tr(kinds.OBJECTION_STATUS_LABELS, str(o["status"])),
            )
        )
    if row["notice_ends_at"] is not None:
        paragraphs.append(_("Objections lodged: %(n)s; still blocking approval: %(open)s.") % {
            "n": len(mine), "open": sum(1 for o in mine if o["blocks"]),
        })  # fmt: skip
        if info.current is not None and info.current.row["id"] == row["id"]:
            paragraphs.append(_("Status of the project: %(status)s.") % {"status": _(lifecycle.STATUS_LABELS[info.state.status])})
    header = (_("No."), _("Received"), _("How"), _("Affects"), _("Objection"), _("Handling"), _("Status"))
    return MinutesSection(
        title=_("Public notice and objections"),
        paragraphs=tuple(paragraphs),
        tables=((header, tuple(rows)),) if rows else (),
        data={
            "notice_ends_at": row["notice_ends_at"].isoformat() if row["notice_ends_at"] else None,
            "objections": [
                {"number": o["number"], "affects": list(o["affects"]), "status": o["status"],
                 "steps": [s["kind"] for s in o["steps"]]}
                for o in mine
            ],
            "status": info.state.status,
        },
    )  # fmt: skip


def step_text(step: dict[str, Any], tz_name: str) -> str:
    kind, note = str(step["kind"]), str(step["note"])
    shown = _(note) if note == kinds.WITHDRAWN_ONLINE else note
    return _("%(day)s %(step)s: %(note)s") % {"day": i18n.format_date(step["at"], tz_name), "step": tr(kinds.STEP_KINDS, kind), "note": shown}


# --- The meeting projector ----------------------------------------------------------------------------------------


async def projector_panel(open_votes: Sequence[int]) -> str:
    """The diagram of each project whose current vote is one of these open votes (those on the agenda of the
    meeting the projector shows), in the projector's language."""
    if not open_votes:
        return ""
    rows = await ProjectVote.select(ProjectVote.project, ProjectVote.vote).where(
        ProjectVote.vote.is_in(list(open_votes)) & ProjectVote.superseded_at.is_null()
    ).order_by(ProjectVote.id)  # fmt: skip
    panels = []
    for row in rows:
        project = await store.get_project(int(row["project"]))
        info = await rounds.overview(project)
        panels.append(
            render("projects/_panel.html", project=project, info=info, state=info.state,
                   diagram=await building.diagram_of(project, info, with_bars=False, compact=True))  # fmt: skip
        )
    return "".join(panels)


# --- The owner's ballot --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FrozenShares:
    """A running or closed vote's cost shares: its project and terms, its snapshot's flats by entity."""

    project_id: int
    shares: budget.Shares
    flats_of: dict[int, frozenset[int]]  # {entity id: its roster flats}


# {vote id: its frozen shares, or None for a vote of no project}. Once a vote is open its project link, the terms
# voted on and the snapshot never change, so what is kept is exact in every process (bounded: recent votes only).
_frozen: OrderedDict[int, _FrozenShares | None] = OrderedDict()
_FROZEN_KEPT = 256


async def _frozen_shares(vote_id: int) -> _FrozenShares | None:
    if vote_id in _frozen:
        _frozen.move_to_end(vote_id)
        return _frozen[vote_id]
    link = await rounds.round_for_vote(vote_id)
    found = None
    if link is not None:
        rows = await VoteFlat.select(VoteFlat.flat_id, VoteFlat.unit, VoteFlat.floor, VoteFlat.area, VoteFlat.entity).where(
            VoteFlat.vote == vote_id
        ).order_by(VoteFlat.position)
        flats = [ShareFlat(int(r["flat_id"]), r["unit"], int(r["floor"]), int(r["area"])) for r in rows]
        flats_of: dict[int, set[int]] = {}
        for r in rows:
            flats_of.setdefault(int(r["entity"]), set()).add(int(r["flat_id"]))
        shares = budget.shares_of(terms_from_json(link["terms"] or {}), flats, frozen=True)
        found = _FrozenShares(int(link["project"]), shares, {e: frozenset(f) for e, f in flats_of.items()})
    _frozen[vote_id] = found
    if len(_frozen) > _FROZEN_KEPT:
        _frozen.popitem(last=False)
    return found


def forget_frozen_shares() -> None:
    """Tests empty the tables and start ids again."""
    _frozen.clear()


async def ballot_share(vote: VoteInfo, standing: Standing) -> str:
    """Next to a voting entity on the ballot: its flats' cost shares for the vote's project, and how."""
    if vote.status in ("open", "closed"):
        frozen = await _frozen_shares(vote.id)
        if frozen is None:
            return ""
        shares, units = frozen.shares, frozen.flats_of.get(standing.entity_id, frozenset())
        project_id = frozen.project_id
    else:
        link = await rounds.round_for_vote(vote.id)
        if link is None:
            return ""
        units = frozenset(
            int(r["flat_id"])
            for r in await VoteFlat.select(VoteFlat.flat_id).where(
                (VoteFlat.vote == vote.id) & (VoteFlat.entity == standing.entity_id)
            )
        )
        project_id = int(link["project"])
        flats = await budget.roster_flats(await store.get_project(project_id))
        shares = budget.shares_of(terms_from_json(link["terms"] or {}), flats, frozen=False)
    if shares.table is None:
        return ""
    lines = [line for line in shares.table.lines if line.flat.flat_id in units]
    if not lines:
        return ""
    project = await Project.select(Project.id, Project.title).where(Project.id == project_id).first()
    return render("projects/_ballot_share.html", project=project, shares=shares, lines=lines)


PAPER_SHARE_LABEL = lazy("Your share of the cost")


async def paper_shares(vote: VoteInfo, entity_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """On each printed paper ballot of a project's vote: each flat's own cost share, exact to the fen (the
    vote's question promises it), from the same shares as the online ballot."""
    link = await rounds.round_for_vote(vote.id)
    if link is None or not entity_ids:
        return {}
    terms = terms_from_json(link["terms"] or {})
    if vote.status in ("open", "closed"):
        flats = await budget.snapshot_flats(vote.id)
    else:
        flats = await budget.roster_flats(await store.get_project(int(link["project"])))
    shares = budget.shares_of(terms, flats, frozen=vote.status in ("open", "closed"))
    if shares.table is None:
        return {}
    amounts = {line.flat.flat_id: line.amount for line in shares.table.lines}
    printed: dict[int, list[tuple[str, str]]] = {}
    wanted = set(entity_ids)
    rows = await VoteFlat.select(VoteFlat.entity, VoteFlat.flat_id, VoteFlat.unit).where(VoteFlat.vote == vote.id).order_by(VoteFlat.position)  # fmt: skip
    for r in rows:
        if int(r["entity"]) in wanted and int(r["flat_id"]) in amounts:
            text = f"{r['unit']}：¥{money(amounts[int(r['flat_id'])])}"
            printed.setdefault(int(r["entity"]), []).append((PAPER_SHARE_LABEL, text))
    return printed


async def on_result_final(event: VoteResultFinal) -> None:
    """A project's vote has its final result (after the query window, votes.queries): if it passed, its public
    notice starts now (chained on the notice board), not at the next page view — never at the close."""
    link = await ProjectVote.select(ProjectVote.project).where(ProjectVote.vote == event.vote_id).first()
    if link is not None:
        await rounds.overview(await store.get_project(int(link["project"])))


def register() -> None:
    """What projects add to votes: the cost share on a ballot, and the start of a passed project's public
    notice when its vote's final result is published (never at the close)."""
    from votes.extras import register_ballot_extra, register_paper_extra

    register_ballot_extra(ballot_share)
    register_paper_extra(paper_shares)
    events.subscribe(VoteResultFinal, on_result_final)

