"""Funding: an approved project's sources of money, each flat's payment as staff record it, completion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from community import publications
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors, NotFound
from community.i18n import lazy
from votes.projects import funding, rounds, service, store
from votes.projects.funding import FlatPayment, FundingFigures, Source
from votes.projects.store import ProjectContext
from votes.projects.tables import FundingCompletion, FundingPayment, FundingSource

NOT_APPROVED: Final = lazy("The funding plan is kept once the project is approved.")
RACE: Final = lazy("Someone else changed the funding plan at the same moment. Please try again.")


@dataclass(frozen=True)
class FundingView:
    approved: bool
    figures: FundingFigures
    sources: tuple[dict[str, Any], ...]
    payments: tuple[dict[str, Any], ...]  # per flat with a share: unit, share, paid, from_fund (staff only)
    completion: dict[str, Any] | None

    @property
    def room(self) -> int:
        """What the plan still lacks to reach the cost, in fen (0 once it adds up)."""
        return max(0, -self.figures.difference)


async def funding_view(ctx: ProjectContext, info: rounds.Overview | None = None) -> FundingView:
    info = info or await rounds.overview(ctx.project)
    shares = await rounds.current_shares(ctx.project, info)
    sources = await FundingSource.select().where(FundingSource.project == ctx.id).order_by(FundingSource.id)
    recorded = {
        int(r["flat"]): r for r in await FundingPayment.select().where(FundingPayment.project == ctx.id)
    }
    payments: list[dict[str, Any]] = []
    lines = shares.table.lines if shares.table is not None else ()
    for line in lines:
        if line.amount <= 0:
            continue
        r = recorded.get(line.flat.flat_id)
        # A payment recorded against another share (the shares changed since) is not counted as paid.
        paid = bool(r and r["paid"] and int(r["share"]) == line.amount)
        payments.append({"flat": line.flat.flat_id, "unit": line.flat.unit, "share": line.amount, "paid": paid,
                         "stale": bool(r and r["paid"] and not paid), "paid_on": r["paid_on"] if r else None,
                         "from_fund": int(r["from_fund"]) if r else 0})  # fmt: skip
    figures = funding.figures(
        int(shares.terms.total),
        [FlatPayment(p["flat"], p["share"], p["paid"], min(p["from_fund"], p["share"])) for p in payments],
        [Source(s["kind"], int(s["amount"]), s["label"], s["condition"], s["received_on"] is not None) for s in sources],
    )
    completion = await FundingCompletion.select().where(FundingCompletion.project == ctx.id).first()
    return FundingView(info.state.status == "approved", figures, tuple(sources), tuple(payments), completion)


async def _open(ctx: ProjectContext) -> tuple[FundingView, rounds.Overview]:
    info = await rounds.overview(ctx.project)
    view = await funding_view(ctx, info)
    if not view.approved:
        raise Conflict(NOT_APPROVED)
    return view, info


async def add_source(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """A facilitator adds a subsidy, the maintenance fund's part or other money; never past the cost."""
    assert ctx.user is not None
    view, _info = await _open(ctx)
    source, errors, values = funding.parse_source({k: str(v) for k, v in form.items()}, view.room)
    if errors or source is None:
        raise FormErrors(errors, values)
    async with write_transaction():
        await FundingSource.insert(FundingSource(project=ctx.id, kind=source.kind, label=source.label, amount=source.amount,
                                                 condition=source.condition, recorded_by=ctx.user.id))  # fmt: skip
        await store.audit(ctx.community_id, ctx.user.id, "project_funding_source_added", ctx.id,
                            {"kind": source.kind, "amount": source.amount, "condition": source.condition})  # fmt: skip


async def _source(ctx: ProjectContext, source_id: int) -> dict[str, Any]:
    row = await FundingSource.select().where((FundingSource.id == source_id) & (FundingSource.project == ctx.id)).first()
    if row is None:
        raise NotFound(lazy("This source of money does not exist."))
    return row


async def remove_source(ctx: ProjectContext, source_id: int) -> None:
    assert ctx.user is not None
    await _open(ctx)
    row = await _source(ctx, source_id)
    if row["received_on"] is not None:
        raise Conflict(lazy("This money has been received: it stays in the plan."))
    async with write_transaction():
        await FundingSource.delete().where(FundingSource.id == source_id)
        await store.audit(ctx.community_id, ctx.user.id, "project_funding_source_removed", ctx.id,
                            {"kind": row["kind"], "amount": row["amount"]})  # fmt: skip


async def source_received(ctx: ProjectContext, source_id: int, form: Mapping[str, Any]) -> None:
    """Staff record that a subsidy or other money arrived (or, by mistake, had not)."""
    assert ctx.user is not None
    _view, info = await _open(ctx)
    row = await _source(ctx, source_id)
    received = str(form.get("received", "")) == "yes"
    try:
        async with write_transaction():
            await FundingSource.update(
                {FundingSource.received_on: service.now() if received else None, FundingSource.recorded_by: ctx.user.id}
            ).where(FundingSource.id == source_id)
            await store.audit(ctx.community_id, ctx.user.id, "project_funding_source_received", ctx.id,
                                {"source": source_id, "kind": row["kind"], "received": received})  # fmt: skip
            await _complete_if_done(ctx, info)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(RACE) from exc
        raise


async def record_payment(ctx: ProjectContext, flat_id: int, form: Mapping[str, Any]) -> None:
    """Staff in scope record one flat's share as paid or unpaid, and what its maintenance-fund account pays."""
    assert ctx.user is not None
    view, info = await _open(ctx)
    line = next((p for p in view.payments if p["flat"] == flat_id), None)
    if line is None:
        raise NotFound(lazy("This flat has no share to pay in this project."))
    today = service.now().astimezone(store.tz()).date()
    (paid, from_fund, day), errors = funding.parse_payment({k: str(v) for k, v in form.items()}, int(line["share"]), today)
    prefix = f"p{flat_id}-"
    if errors:
        raise FormErrors({prefix + k: v for k, v in errors.items()}, {prefix + k: str(v) for k, v in form.items()})
    values: dict[Any, Any] = {
        "share": int(line["share"]), "paid": paid,
        "paid_on": store.day_start(day) if paid and day is not None else None,
        "from_fund": from_fund, "recorded_by": ctx.user.id, "recorded_at": service.now(),
    }  # fmt: skip
    try:
        async with write_transaction():
            updated = await FundingPayment.update(values).where(
                (FundingPayment.project == ctx.id) & (FundingPayment.flat == flat_id)
            ).returning(FundingPayment.id)
            if not updated:
                await FundingPayment.insert(FundingPayment(project=ctx.id, flat=flat_id, **values))
            await store.audit(ctx.community_id, ctx.user.id, "project_funding_payment_recorded", ctx.id,
                                {"flat": flat_id, "paid": paid, "from_fund": from_fund})  # fmt: skip
            await _complete_if_done(ctx, info)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(RACE) from exc
        raise


async def _complete_if_done(ctx: ProjectContext, info: rounds.Overview) -> None:
    """Inside the recording transaction: once the plan adds up and all of it is received, publish that, once."""
    view = await funding_view(ctx, info)
    if not view.figures.complete or view.completion is not None:
        return
    moment = service.now()
    rows = await FundingCompletion.insert(FundingCompletion(project=ctx.id, completed_at=moment)).returning(FundingCompletion.id)
    f = view.figures
    content = {
        "schema": "yishi.project-funding/1", "kind": "funding_done", "project_id": ctx.id,
        "cost": f.cost, "owners": f.owners, "owners_from_fund": f.owners_from_fund, "flats": f.flats,
        "sources": [{"kind": s["kind"], "label": s["label"], "amount": int(s["amount"]), "condition": s["condition"]}
                    for s in view.sources],
    }  # fmt: skip
    _seq, sha = await publications.append(ctx.community_id, "funding_done", content, published_at=moment, published_by=None,
                        title=f"{ctx.project['title']} · 资金已全部到位", summary=str(ctx.project["title"]),
                        buildings=[str(ctx.project["building_name"])] if ctx.project.get("building_name") else [])  # fmt: skip
    await FundingCompletion.update({FundingCompletion.published_sha256: sha}).where(FundingCompletion.id == rows[0]["id"])
    await store.audit(ctx.community_id, None, "project_funding_complete", ctx.id, {"publication": sha})
