"""A project's funding plan: owners' shares, subsidies, the maintenance fund, other money; exact to the fen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, get_args

from community.i18n import lazy
from community.safetext import form_date
from votes.projects.terms import parse_yuan

SourceKind = Literal["city", "district", "fund", "other"]
SOURCE_KINDS: Final[tuple[SourceKind, ...]] = get_args(SourceKind)
SOURCE_LABELS: Final[dict[str, str]] = {
    "city": lazy("City subsidy"),
    "district": lazy("District subsidy"),
    "fund": lazy("Maintenance fund (common part)"),
    "other": lazy("Other money"),
}
LABEL_MAX: Final = 100
CONDITION_MAX: Final = 300


@dataclass(frozen=True, slots=True)
class Source:
    """Money besides the owners' shares: a subsidy with its condition, the maintenance fund, other."""

    kind: SourceKind
    amount: int  # fen
    label: str = ""
    condition: str = ""  # "paid after the inspection certificate"
    received: bool = False


@dataclass(frozen=True, slots=True)
class FlatPayment:
    """One flat's share and what staff recorded: paid or not, and how much of it the flat's own
    maintenance-fund account pays (a withdrawal per flat is part of the share, not extra money)."""

    flat_id: int
    share: int
    paid: bool = False
    from_fund: int = 0


@dataclass(frozen=True, slots=True)
class FundingFigures:
    """Totals the public may see: never one flat's payment."""

    cost: int
    owners: int  # Σ shares
    owners_paid: int  # Σ shares of flats recorded paid
    owners_from_fund: int  # Σ withdrawals from flats' own maintenance-fund accounts
    flats: int  # flats with a share above 0
    flats_paid: int
    by_kind: Mapping[str, int]  # planned, per source kind
    received_by_kind: Mapping[str, int]

    @property
    def planned(self) -> int:
        return self.owners + sum(self.by_kind.values())

    @property
    def difference(self) -> int:
        """Planned − cost: 0 when the plan adds up to the fen; below 0 is money still missing."""
        return self.planned - self.cost

    @property
    def received(self) -> int:
        return self.owners_paid + sum(self.received_by_kind.values())

    @property
    def adds_up(self) -> bool:
        return self.difference == 0

    @property
    def complete(self) -> bool:
        """The plan adds up and every source, every flat's share included, has been received."""
        return self.cost > 0 and self.adds_up and self.received == self.cost


def figures(cost: int, payments: Sequence[FlatPayment], sources: Sequence[Source]) -> FundingFigures:
    paying = [p for p in payments if p.share > 0]
    by_kind: dict[str, int] = {kind: sum(s.amount for s in sources if s.kind == kind) for kind in SOURCE_KINDS}
    received: dict[str, int] = {kind: sum(s.amount for s in sources if s.kind == kind and s.received) for kind in SOURCE_KINDS}
    return FundingFigures(
        cost=cost,
        owners=sum(p.share for p in paying),
        owners_paid=sum(p.share for p in paying if p.paid),
        owners_from_fund=sum(p.from_fund for p in paying),
        flats=len(paying),
        flats_paid=sum(1 for p in paying if p.paid),
        by_kind=by_kind,
        received_by_kind=received,
    )


def percent(part: int, whole: int) -> int:
    """Whole percent, cut (never rounded up to 100 before it is all there)."""
    return 0 if whole <= 0 else part * 100 // whole


# --- Forms --------------------------------------------------------------------------------------------------------


def parse_source(form: Mapping[str, str], room: int) -> tuple[Source | None, dict[str, str], dict[str, str]]:
    """A new source from the form; `room` is what the plan still lacks (cost − planned) in fen.

    Fields: kind, amount (yuan), label, condition. Errors as {field: English msgid}.
    """
    values = {name: (form.get(name) or "").strip() for name in ("kind", "amount", "label", "condition")}
    errors: dict[str, str] = {}
    if values["kind"] not in SOURCE_KINDS:
        errors["kind"] = lazy("Please choose where the money comes from.")
    fen = parse_yuan(values["amount"])
    if fen is None or fen <= 0:
        errors["amount"] = lazy("Enter an amount in yuan above 0, with at most two decimals, such as 120000 or 850.50.")
    elif fen > room:
        errors["amount"] = lazy("With this amount the plan would exceed the project's cost. The page shows what is still missing.")
    if len(values["label"]) > LABEL_MAX:
        errors["label"] = lazy("This text is too long (at most 100 characters).")
    if len(values["condition"]) > CONDITION_MAX:
        errors["condition"] = lazy("This text is too long (at most 300 characters).")
    if values["kind"] == "other" and not values["label"]:
        errors["label"] = lazy("Say where this money comes from.")
    if errors or fen is None:
        return None, errors, values
    source = Source(values["kind"], fen, values["label"], values["condition"])  # type: ignore[arg-type]
    return source, {}, values


def parse_payment(form: Mapping[str, str], share: int, today: date) -> tuple[tuple[bool, int, date | None], dict[str, str]]:
    """(paid, from the flat's maintenance fund in fen, day paid) from a staff member's form for one flat."""
    paid = (form.get("paid") or "") == "yes"
    errors: dict[str, str] = {}
    raw = (form.get("from_fund") or "").strip()
    from_fund = 0
    if raw:
        fen = parse_yuan(raw)
        if fen is None:
            errors["from_fund"] = lazy("Enter an amount in yuan, or leave it empty.")
        elif fen > share:
            errors["from_fund"] = lazy("The withdrawal cannot be more than the flat's share.")
        else:
            from_fund = fen
    day: date | None = None
    if paid:
        text = (form.get("paid_on") or "").strip()
        day = form_date(text) if text else today
        if day is None:
            errors["paid_on"] = lazy("Enter a date, such as 2026-12-01.")
        elif day > today:
            errors["paid_on"] = lazy("The date cannot be in the future.")
    return (paid, from_fund, day), errors
