"""Running the lift once it is in operation, pure: the maintenance contract and how running costs are shared,
a year's cost entries, and the yearly ledger the stairwell sees (every flat's share, exact to the fen)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from community.i18n import lazy
from community.safetext import form_date
from votes.projects.terms import (
    SCHEME_CHOICES,
    SCHEME_LABELS,
    ShareTable,
    Terms,
    parse_coefficient,
    parse_yuan,
)
from votes.shares import format_fen

UPKEEP_SCHEMES: Final[dict[str, str]] = {"same": lazy("As the cost of the works was shared"), **SCHEME_LABELS}
CONTRACTOR_MAX: Final = 200
ITEM_MAX: Final = 200
SCHEMA: Final = "yishi.upkeep-ledger/1"
PUBLICATION_KIND: Final = "upkeep_ledger"

NOT_RUNNING = lazy("Running costs are kept once the lift is in operation.")
CONTRACTOR_TOO_LONG = lazy("The name is too long (at most 200 characters).")
DAY_WRONG = lazy("Enter a date, such as 2026-12-01.")
ENDS_BEFORE = lazy("The contract cannot end before it starts.")
AMOUNT_WRONG = lazy("Enter an amount in yuan, with at most two decimals, such as 350000 or 1200.50.")
AMOUNT_ZERO = lazy("Enter an amount above zero.")
SCHEME_WRONG = lazy("Choose a cost-sharing scheme.")
COEFFICIENT_WRONG = lazy("Enter a coefficient of 0 or more, such as 0.8 (at most four decimals).")
ITEM_MISSING = lazy("Please say what was paid for, such as the maintenance fee for March.")
ITEM_TOO_LONG = lazy("This text is too long (at most 200 characters).")
IN_FUTURE = lazy("The date cannot be in the future.")
YEAR_PUBLISHED = lazy("The ledger of this year is already published: it cannot change any more.")
NOTHING_TO_PUBLISH = lazy("This year has no running costs to publish.")


@dataclass(frozen=True, slots=True)
class Plan:
    """The maintenance contract and the sharing of running costs; money in fen."""

    contractor: str = ""
    contract_from: date | None = None
    contract_to: date | None = None
    yearly_cost: int = 0
    scheme: str = "same"  # "same" or one of votes.projects.terms.SCHEME_CHOICES
    coefficients: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Entry:
    paid_on: date
    item: str
    amount: int  # fen


def parse_plan(form: Mapping[str, str], floors: Sequence[int]) -> tuple[Plan, dict[str, str]]:
    """The contract form: contractor, contract_from, contract_to (optional dates), yearly_cost (yuan), scheme,
    coef_<floor> for a custom scheme. Errors as {field: English msgid}."""
    errors: dict[str, str] = {}
    contractor = " ".join((form.get("contractor") or "").split())
    if len(contractor) > CONTRACTOR_MAX:
        errors["contractor"] = CONTRACTOR_TOO_LONG
    days: dict[str, date | None] = {}
    for name in ("contract_from", "contract_to"):
        raw = (form.get(name) or "").strip()
        days[name] = form_date(raw) if raw else None
        if raw and days[name] is None:
            errors[name] = DAY_WRONG
    start, end = days["contract_from"], days["contract_to"]
    if start is not None and end is not None and end < start:
        errors["contract_to"] = ENDS_BEFORE
    yearly = 0
    raw = (form.get("yearly_cost") or "").strip()
    if raw:
        fen = parse_yuan(raw)
        if fen is None:
            errors["yearly_cost"] = AMOUNT_WRONG
        else:
            yearly = fen
    scheme = (form.get("scheme") or "same").strip()
    if scheme not in UPKEEP_SCHEMES:
        errors["scheme"] = SCHEME_WRONG
        scheme = "same"
    coefficients: dict[int, Decimal] = {}
    if scheme == "custom":
        for floor in sorted(set(floors)):
            value = parse_coefficient(form.get(f"coef_{floor}") or "")
            if value is None:
                errors[f"coef_{floor}"] = COEFFICIENT_WRONG
            else:
                coefficients[floor] = value
    return Plan(contractor, start, end, yearly, scheme, coefficients), errors


def plan_to_json(plan: Plan) -> dict[str, object]:
    return {
        "contractor": plan.contractor,
        "contract_from": plan.contract_from.isoformat() if plan.contract_from else None,
        "contract_to": plan.contract_to.isoformat() if plan.contract_to else None,
        "yearly_cost": plan.yearly_cost,
        "scheme": plan.scheme,
        "coefficients": {str(k): str(v) for k, v in sorted(plan.coefficients.items())},
    }


def sharing_terms(plan: Plan, works: Terms, total: int) -> Terms:
    """The terms a year's running costs are shared by: the works' scheme and coefficients ("same"; the works'
    fixed amounts were amounts of the works' cost and are not carried over), or the plan's own scheme."""
    if plan.scheme == "same" or plan.scheme not in SCHEME_CHOICES:
        return Terms(total=total, scheme=works.scheme, coefficients=dict(works.coefficients))
    return Terms(total=total, scheme=plan.scheme, coefficients=dict(plan.coefficients))


def parse_entry(form: Mapping[str, str], today: date, published_years: Sequence[int]) -> tuple[Entry | None, dict[str, str]]:
    """One running cost: paid_on (date), item, amount (yuan, above zero); its year must not be published yet."""
    errors: dict[str, str] = {}
    item = " ".join((form.get("item") or "").split())
    if not item:
        errors["item"] = ITEM_MISSING
    elif len(item) > ITEM_MAX:
        errors["item"] = ITEM_TOO_LONG
    paid_on = form_date(form.get("paid_on") or "")
    if paid_on is None:
        errors["paid_on"] = DAY_WRONG
    elif paid_on > today:
        errors["paid_on"] = IN_FUTURE
    elif paid_on.year in published_years:
        errors["paid_on"] = YEAR_PUBLISHED
    amount = parse_yuan((form.get("amount") or "").strip())
    if amount is None:
        errors["amount"] = AMOUNT_WRONG
    elif amount <= 0:
        errors["amount"] = AMOUNT_ZERO
    if errors or paid_on is None or amount is None:
        return None, errors
    return Entry(paid_on, item, amount), errors


def ledger_content(project_id: int, title: str, place: str, year: int, entries: Sequence[Entry], terms: Terms,
                   table: ShareTable) -> dict[str, object]:  # fmt: skip
    """What the chain keeps of a year's ledger: every cost, the total, the scheme, every flat's share by unit.

    The shares add up to the total exactly (votes.shares hands out the leftover fen)."""
    return {
        "schema": SCHEMA,
        "kind": PUBLICATION_KIND,
        "page": f"/p/{project_id}/notice",
        "project_id": project_id,
        "title": title,
        "place": place,
        "year": year,
        "entries": [{"paid_on": e.paid_on.isoformat(), "item": e.item, "amount": format_fen(e.amount)} for e in entries],
        "total": format_fen(terms.total),
        "scheme": {"kind": terms.scheme,
                   "coefficients": {str(k): str(v) for k, v in sorted(terms.coefficients.items())}},  # fmt: skip
        "shares": {line.flat.unit: format_fen(line.amount) for line in table.lines},
    }
