"""What the project page and the public notice show of the works and the running costs, and the share card's
Open Graph data: context builders for the controllers (votes.projects.controllers, works_controllers)."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request

from community import i18n, posting_store
from community.roster.scope import attachments
from community.web import public_url
from votes import posting_targets
from votes.projects import lifecycle, upkeep, upkeep_store, works, works_store
from votes.projects.rounds import Overview
from votes.projects.share_card import Card
from votes.projects.store import ProjectContext
from votes.projects.views import money

LABELS: dict[str, Any] = {
    "MILESTONES": works.MILESTONES,
    "MILESTONE_LABELS": works.MILESTONE_LABELS,
    "COMPLAINT_AFFECTS": works.COMPLAINT_AFFECTS,
    "UPKEEP_SCHEMES": upkeep.UPKEEP_SCHEMES,
    "MAX_FILES": works.MAX_FILES,
}


async def page_context(ctx: ProjectContext, info: Overview) -> dict[str, Any]:
    """The works and running-costs sections of the signed-in project page, for this user."""
    if not info.state.passed:
        return {"works_shown": False, **LABELS}
    reached = await works_store.reached_of(ctx.id)
    complaints = await works_store.complaints_of(ctx.id)
    may_complain = False
    if ctx.user is not None and works.works_running(reached):
        may_complain = bool(await attachments(ctx.user.id, ctx.community_id))
    context: dict[str, Any] = {
        "works_shown": True,
        "milestones": await works_store.milestones_of(ctx.id),
        "reached": reached,
        "available": works.available(reached),
        "approved": info.state.status == "approved",
        "complaints": complaints,
        "my_complaints": [c for c in complaints if ctx.user is not None and c["account"] == ctx.user.id],
        "may_complain": may_complain,
        "running": works.in_operation(reached),
        "works_today": upkeep_store.today().isoformat(),
        **LABELS,
    }
    if context["running"]:
        plan = await upkeep_store.plan_of(ctx.id)
        context["upkeep_plan"] = plan
        context["upkeep_years"] = await upkeep_store.years_of(ctx.project, info)
        shares = await upkeep_store.works_shares(ctx.project, info)
        context["upkeep_floors"] = sorted({f.floor for f in shares.flats})
        shown = upkeep_values(plan) if plan else {"scheme": "same"}
        context["upkeep_values_prefixed"] = {f"u-{k}": v for k, v in shown.items()}
    return context


def upkeep_values(plan: upkeep.Plan) -> dict[str, str]:
    from votes.shares import format_fen

    values = {
        "contractor": plan.contractor,
        "contract_from": plan.contract_from.isoformat() if plan.contract_from else "",
        "contract_to": plan.contract_to.isoformat() if plan.contract_to else "",
        "yearly_cost": format_fen(plan.yearly_cost) if plan.yearly_cost else "",
        "scheme": plan.scheme,
    }
    values.update({f"coef_{floor}": str(v) for floor, v in plan.coefficients.items()})
    return values


def card_of(project: dict[str, Any], info: Overview, reached: dict[str, Any]) -> Card:
    stage = works.stage(reached)
    status = i18n.gettext(works.MILESTONE_LABELS[stage]) if stage else i18n.gettext(lifecycle.STATUS_LABELS[info.state.status])
    place = f"{project['community_name']} · {project['scope_label']}"
    return Card(str(project["title"]), place, status, sum(1 for k in works.MILESTONES if k in reached), len(works.MILESTONES))


def card_version(card: Card) -> str:
    """Part of the image's address: a chat app fetches the card again when what it says has changed."""
    return hashlib.sha256(repr(card).encode()).hexdigest()[:12]


async def notice_context(request: Request[Any, Any, Any], project: dict[str, Any], info: Overview) -> dict[str, Any]:
    """The public notice's works, complaints (without names), published ledgers, proofs of posting and the
    share card (Open Graph title, description and absolute image address)."""
    from community.web import current_user

    project_id = int(project["id"])
    reached = await works_store.reached_of(project_id)
    years = [y for y in await upkeep_store.years_of(project, info) if y.published is not None]
    card = card_of(project, info, reached)
    base = public_url(request)
    terms = info.current.row["terms"] if info.current is not None else {}
    payable = int(terms.get("total", 0)) - int(terms.get("subsidy", 0)) - int(terms.get("fund", 0))
    description = i18n.gettext("%(place)s · %(status)s · paid by the owners ¥%(amount)s") % {
        "place": card.place, "status": card.status, "amount": money(payable),
    }  # fmt: skip
    return {
        "milestones": await works_store.milestones_of(project_id),
        "reached": reached,
        "complaints": await works_store.complaints_of(project_id),
        "ledgers": years,
        "postings": await posting_store.panel(current_user(request), "project_notice", project_id,
                                              posting_targets.project_notice_of(project, info)),
        "og": {
            "title": f"{project['title']} · {card.status}",
            "description": description,
            "url": f"{base}/p/{project_id}/notice",
            "image": f"{base}/p/{project_id}/card.png?v={card_version(card)}",
        },
        **LABELS,
    }

