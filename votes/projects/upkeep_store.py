"""Running costs, stored: the maintenance contract and its sharing scheme, a year's cost entries, and the yearly
ledger published in the chain (every flat's share, exact to the fen). Facilitators only, once the lift runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from community import publications
from community.bulk_sql import upsert
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, FormErrors
from community.i18n import lazy
from votes.projects import budget, rounds, service, store, upkeep, works_store
from votes.projects.budget import Shares
from votes.projects.rounds import Overview
from votes.projects.store import ProjectContext
from votes.projects.tables import Upkeep, UpkeepEntry, UpkeepLedger


async def plan_of(project_id: int) -> upkeep.Plan | None:
    row = await Upkeep.select().where(Upkeep.project == project_id).output(load_json=True).first()
    if row is None:
        return None
    coefficients = row["coefficients"] or {}
    if isinstance(coefficients, str):
        coefficients = json.loads(coefficients)
    return upkeep.Plan(
        contractor=str(row["contractor"]),
        contract_from=works_store.local_day(row["contract_from"]) if row["contract_from"] else None,
        contract_to=works_store.local_day(row["contract_to"]) if row["contract_to"] else None,
        yearly_cost=int(row["yearly_cost"]),
        scheme=str(row["scheme"]),
        coefficients={int(k): Decimal(str(v)) for k, v in coefficients.items()},
    )


async def _require_running(ctx: ProjectContext) -> None:
    if not (await works_store.reached_of(ctx.id)).get("in_operation"):
        raise Conflict(upkeep.NOT_RUNNING)


async def works_shares(project: Mapping[str, Any], info: Overview) -> Shares:
    """The works' shares as voted on: their terms and flats are what running costs are shared over."""
    return await rounds.current_shares(project, info)


async def save_plan(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """The maintenance contract, its yearly cost and how running costs are shared; audited."""
    assert ctx.user is not None
    await _require_running(ctx)
    info = await rounds.overview(ctx.project)
    shares = await works_shares(ctx.project, info)
    plan, errors = upkeep.parse_plan({k: str(v) for k, v in form.items()}, [f.floor for f in shares.flats])
    values = {k: str(v) for k, v in form.items() if k != "_csrf_token"}
    if not errors:
        problem = _check_sharing(plan, shares)
        if problem:
            errors["scheme"] = problem
    if errors:
        raise FormErrors(errors, values)
    columns: dict[Any, Any] = {
        Upkeep.contractor: plan.contractor,
        Upkeep.contract_from: store.day_start(plan.contract_from) if plan.contract_from else None,
        Upkeep.contract_to: store.day_start(plan.contract_to) if plan.contract_to else None,
        Upkeep.yearly_cost: plan.yearly_cost,
        Upkeep.scheme: plan.scheme,
        Upkeep.coefficients: {str(k): str(v) for k, v in plan.coefficients.items()},
        Upkeep.updated_by: ctx.user.id,
        Upkeep.updated_at: service.now(),
    }
    async with write_transaction():
        await upsert(Upkeep, (Upkeep.project,), {Upkeep.project: ctx.id, Upkeep.updated_at: service.now()}, keep=True)  # the row, once
        await Upkeep.update(columns).where(Upkeep.project == ctx.id)
        await store.audit(ctx.community_id, ctx.user.id, "project_upkeep_plan_saved", ctx.id, upkeep.plan_to_json(plan))


def _check_sharing(plan: upkeep.Plan, shares: Shares) -> str:
    """Why a year's costs could not be shared under this plan ("" when they can), tried on one yuan."""
    terms = upkeep.sharing_terms(plan, shares.terms, 100)
    from votes.projects.terms import check_terms

    problems = check_terms(terms, shares.flats)
    return next(iter(problems.values()), "")


async def entries_of(project_id: int) -> list[dict[str, Any]]:
    rows = await UpkeepEntry.select(
        UpkeepEntry.id, UpkeepEntry.year, UpkeepEntry.paid_on, UpkeepEntry.item, UpkeepEntry.amount
    ).where(UpkeepEntry.project == project_id).order_by(UpkeepEntry.paid_on).order_by(UpkeepEntry.id)
    for r in rows:
        r["day"] = works_store.local_day(r["paid_on"])
    return rows


async def published_years(project_id: int) -> list[int]:
    return [int(r["year"]) for r in await UpkeepLedger.select(UpkeepLedger.year).where(UpkeepLedger.project == project_id)]


async def add_entry(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """One running cost of a year not yet published; audited."""
    assert ctx.user is not None
    await _require_running(ctx)
    today = service.now().astimezone(store.tz()).date()
    values = {k: str(form.get(k, "") or "").strip() for k in ("paid_on", "item", "amount")}
    entry, errors = upkeep.parse_entry(values, today, await published_years(ctx.id))
    if errors or entry is None:
        raise FormErrors({"e-" + k: v for k, v in errors.items()}, {"e-" + k: v for k, v in values.items()})
    async with write_transaction():
        await UpkeepEntry.insert(UpkeepEntry(project=ctx.id, year=entry.paid_on.year, paid_on=store.day_start(entry.paid_on),
                                             item=entry.item, amount=entry.amount, recorded_by=ctx.user.id))  # fmt: skip
        await store.audit(ctx.community_id, ctx.user.id, "project_upkeep_entry", ctx.id,
                            {"day": entry.paid_on.isoformat(), "amount": entry.amount, "item": entry.item})  # fmt: skip


@dataclass(frozen=True)
class Year:
    """A year of running costs: its entries and every flat's share (None when they cannot be shared)."""

    year: int
    entries: tuple[upkeep.Entry, ...]
    total: int
    shares: Shares | None
    published: dict[str, Any] | None = None


async def years_of(project: Mapping[str, Any], info: Overview) -> list[Year]:
    """Every year with costs, newest first: a published one as published, the others as they would be shared."""
    rows = await entries_of(int(project["id"]))
    ledgers = {
        int(r["year"]): r
        for r in await UpkeepLedger.select().where(UpkeepLedger.project == int(project["id"])).output(load_json=True)
    }
    years = sorted({int(r["year"]) for r in rows} | set(ledgers), reverse=True)
    if not years:  # most projects, and every one before its lift runs: no plan or shares to read
        return []
    plan = await plan_of(int(project["id"])) or upkeep.Plan()
    works = await works_shares(project, info)
    found = []
    for year in years:
        entries = tuple(upkeep.Entry(r["day"], str(r["item"]), int(r["amount"])) for r in rows if int(r["year"]) == year)
        total = sum(e.amount for e in entries)
        terms = upkeep.sharing_terms(plan, works.terms, total)
        shares = budget.shares_of(terms, works.flats, frozen=True) if total > 0 else None
        found.append(Year(year, entries, total, shares, ledgers.get(year)))
    return found


async def publish_ledger(ctx: ProjectContext, year: int, form: Mapping[str, Any]) -> None:
    """Publish a year's ledger to the stairwell: frozen, audited and appended to the chain."""
    assert ctx.user is not None
    await _require_running(ctx)
    if str(form.get("confirm", "")) != "yes":
        raise FormErrors({f"y{year}-confirm": lazy("Please tick the box to confirm that the entries are complete and correct.")})
    info = await rounds.overview(ctx.project)
    chosen = next((y for y in await years_of(ctx.project, info) if y.year == year), None)
    if chosen is None or not chosen.entries:
        raise Conflict(upkeep.NOTHING_TO_PUBLISH)
    if chosen.published is not None:
        raise Conflict(upkeep.YEAR_PUBLISHED)
    if chosen.shares is None or chosen.shares.table is None:
        raise Conflict(next(iter(chosen.shares.problems.values())) if chosen.shares else upkeep.NOTHING_TO_PUBLISH)
    content = upkeep.ledger_content(ctx.id, str(ctx.project["title"]), str(ctx.project["scope_label"]), year,
                                    chosen.entries, chosen.shares.terms, chosen.shares.table)  # fmt: skip
    for _attempt in range(3):
        try:
            async with write_transaction():
                rows = await UpkeepLedger.insert(
                    UpkeepLedger(project=ctx.id, year=year, total=chosen.total, content=content, published_by=ctx.user.id)
                ).returning(UpkeepLedger.id)
                seq, digest = await publications.append(
                    ctx.community_id, upkeep.PUBLICATION_KIND, content, published_at=service.now(),
                    published_by=ctx.user.id, title=f"{ctx.project['title']}: {ledger_title(year)}",
                    buildings=[str(ctx.project["building_name"])],
                )  # fmt: skip
                await UpkeepLedger.update({UpkeepLedger.publication_seq: seq, UpkeepLedger.publication_sha256: digest}).where(
                    UpkeepLedger.id == rows[0]["id"]
                )
                await store.audit(ctx.community_id, ctx.user.id, "project_upkeep_ledger_published", ctx.id,
                                    {"year": year, "total": chosen.total, "publication": seq})  # fmt: skip
            return
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            if year in await published_years(ctx.id):
                raise Conflict(upkeep.YEAR_PUBLISHED) from exc
    raise Conflict(lazy("Several publications arrived at once. Please send the form again."))


def ledger_title(year: int) -> str:
    """The listing's title in the community's language (Chinese), whoever publishes."""
    from community import i18n

    with i18n.language(i18n.DEFAULT_LANGUAGE):
        return i18n.gettext("Running costs of %(year)s") % {"year": year}


def today() -> date:
    return service.now().astimezone(store.tz()).date()
