"""A project's budget and cost-sharing scheme: form parsing, frozen JSON, and per-flat shares via votes.shares."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final, Literal, get_args

from community.i18n import lazy
from votes.shares import (
    GUANGZHOU_COEFFICIENTS,
    FlatInput,
    Scheme,
    SharesError,
    SharesInput,
    area_scheme,
    compute_shares,
    format_fen,
    guangzhou_scheme,
    parse_money,
    stairs_scheme,
)

SchemeChoice = Literal["area", "guangzhou", "stairs", "custom"]
SCHEME_CHOICES: Final[tuple[SchemeChoice, ...]] = get_args(SchemeChoice)
SCHEME_LABELS: Final[dict[str, str]] = {
    "area": lazy("By floor area (the legal default when owners agree on nothing)"),
    "guangzhou": lazy("Floor coefficients: the Guangzhou table"),
    "stairs": lazy("Stairs climbed (floor − 1)"),
    "custom": lazy("Floor coefficients: our own values per floor"),
}
SCHEME_EXPLANATIONS: Final[dict[str, str]] = {
    "area": lazy(
        "Each flat pays in proportion to its floor area (Civil Code Art. 283, when owners have no agreement)."
    ),
    "guangzhou": lazy(
        "Each flat pays coefficient × floor area × rate. Floors 1 and 2 pay nothing; floors 3 to 9 have "
        "coefficients 0.7, 0.8, 0.9, 1.0, 1.1, 1.2 and 1.3 (a published Guangzhou scheme)."
    ),
    "stairs": lazy(
        "Each flat pays in proportion to the flights of stairs the elevator saves it: floor − 1. The ground "
        "floor pays nothing (the Wuhan scheme)."
    ),
    "custom": lazy("Each flat pays coefficient × floor area × rate, with the coefficients the owners agreed per floor."),
}

MAX_COEFFICIENT: Final = Decimal(100)
_COEFFICIENT_RE = re.compile(r"[0-9]+(?:\.[0-9]{1,4})?")
# Yuan amounts as people type them: "500000", "500,000.00", "¥ 500 000".
_MONEY_NOISE = re.compile(r"[\s,¥￥元]")
MAX_FEN: Final = 100_000_000_000  # a billion yuan: far beyond any stairwell's works


@dataclass(frozen=True, slots=True)
class Terms:
    """What the owners vote on besides the works themselves: amounts in fen, the scheme, fixed amounts by flat id."""

    total: int = 0
    subsidy: int = 0
    fund: int = 0  # contribution of the maintenance fund, netted off like a subsidy
    scheme: SchemeChoice = "area"
    coefficients: Mapping[int, Decimal] = field(default_factory=dict)  # floor → coefficient, custom scheme only
    fixed: Mapping[int, int] = field(default_factory=dict)  # flat id → fen

    @property
    def netted(self) -> int:
        """Subsidy and fund together: what is taken off the total before anything is shared."""
        return self.subsidy + self.fund

    @property
    def payable(self) -> int:
        """What the flats pay together."""
        return self.total - self.netted


@dataclass(frozen=True, slots=True)
class ShareFlat:
    """A flat the cost is shared over: `unit` is its label ("3-2-601"), unique within the project."""

    flat_id: int
    unit: str
    floor: int
    area: int  # hundredths of m²


@dataclass(frozen=True, slots=True)
class ShareLine:
    """One flat's share and how it came about; money in fen, `exact` before rounding."""

    flat: ShareFlat
    amount: int
    fixed: bool
    coefficient: Decimal | None  # floor coefficient schemes only
    weight: Fraction
    exact: Fraction
    extra_fen: int  # 0 or 1: the leftover fen handed out by largest remainder


@dataclass(frozen=True, slots=True)
class ShareTable:
    """Every flat's share in the flats' order, with the figures needed to explain them."""

    terms: Terms
    lines: tuple[ShareLine, ...]
    amount_shared: int
    fixed_total: int
    rate: Fraction | None  # fen per unit of weight
    total_weight: Fraction = Fraction(0)

    def line_for(self, flat_id: int) -> ShareLine | None:
        return next((line for line in self.lines if line.flat.flat_id == flat_id), None)


def scheme_of(terms: Terms) -> Scheme:
    if terms.scheme == "guangzhou":
        return guangzhou_scheme()
    if terms.scheme == "stairs":
        return stairs_scheme()
    if terms.scheme == "custom":
        return Scheme("floor_coefficients", dict(terms.coefficients))
    return area_scheme()


def coefficients_of(terms: Terms) -> Mapping[int, Decimal]:
    if terms.scheme == "guangzhou":
        return GUANGZHOU_COEFFICIENTS
    if terms.scheme == "custom":
        return terms.coefficients
    return {}


def shares_input(terms: Terms, flats: Sequence[ShareFlat]) -> SharesInput:
    """The `yishi.cost-shares/1` input: the fund is netted off together with the subsidy."""
    labels = {flat.flat_id: flat.unit for flat in flats}
    return SharesInput(
        total=terms.total,
        subsidy=terms.netted,
        fixed={labels[flat_id]: fen for flat_id, fen in terms.fixed.items() if flat_id in labels},
        scheme=scheme_of(terms),
        flats=tuple(FlatInput(unit=flat.unit, floor=flat.floor, area=flat.area) for flat in flats),
    )


def shares_document(terms: Terms, flats: Sequence[ShareFlat]) -> dict[str, object]:
    """The same input as a `yishi shares FILE` document, so anyone can check the published shares."""
    inp = shares_input(terms, flats)
    scheme: dict[str, object] = {"kind": inp.scheme.kind}
    if inp.scheme.kind == "floor_coefficients":
        scheme["coefficients"] = {str(floor): str(value) for floor, value in sorted(inp.scheme.coefficients.items())}
    document: dict[str, object] = {
        "schema": "yishi.cost-shares/1",
        "total": format_fen(inp.total),
        "subsidy": format_fen(inp.subsidy),
        "scheme": scheme,
        "flats": [{"unit": f.unit, "floor": f.floor, "area": format_fen(f.area)} for f in inp.flats],
    }
    if inp.fixed:
        document["fixed"] = {unit: format_fen(fen) for unit, fen in inp.fixed.items()}
    return document


def check_terms(terms: Terms, flats: Sequence[ShareFlat]) -> dict[str, str]:
    """Why these terms cannot be shared over these flats, as {field: English msgid}; empty when they can."""
    errors: dict[str, str] = {}
    fixed_total = sum(fen for flat_id, fen in terms.fixed.items() if flat_id in {f.flat_id for f in flats})
    if terms.netted > terms.total:
        errors["subsidy"] = lazy("The subsidy and the maintenance fund together exceed the total cost.")
    elif terms.netted + fixed_total > terms.total:
        errors["fixed"] = lazy("The fixed amounts, the subsidy and the fund together exceed the total cost.")
    if terms.scheme in ("guangzhou", "custom"):
        known = coefficients_of(terms)
        missing = sorted({flat.floor for flat in flats if flat.floor not in known})
        if missing:
            errors["scheme"] = (
                lazy("The Guangzhou table covers floors 1 to 9 only. Enter your own coefficients per floor.")
                if terms.scheme == "guangzhou"
                else lazy("Enter a coefficient for every floor.")
            )
    if not errors and flats:
        try:
            compute_shares(shares_input(terms, flats))
        except SharesError:
            errors["scheme"] = lazy(
                "Nobody would pay what is left to share: under this scheme every flat without a fixed amount "
                "has weight 0. Choose another scheme or fewer fixed amounts."
            )
    return errors


def share_table(terms: Terms, flats: Sequence[ShareFlat]) -> ShareTable:
    """Every flat's share; raises SharesError when check_terms reports a problem."""
    result = compute_shares(shares_input(terms, flats))
    coefficients = coefficients_of(terms)
    by_unit = {line.unit: line for line in result.lines}
    lines = []
    for flat in flats:
        line = by_unit.get(flat.unit)
        coefficient = coefficients.get(flat.floor) if terms.scheme in ("guangzhou", "custom") else None
        if line is None:  # a fixed amount
            lines.append(ShareLine(flat, result.shares[flat.unit], True, None, Fraction(0), Fraction(0), 0))
        else:
            extra = line.amount - (line.exact.numerator // line.exact.denominator)
            lines.append(ShareLine(flat, line.amount, False, coefficient, line.weight, line.exact, extra))
    return ShareTable(
        terms=terms,
        lines=tuple(lines),
        amount_shared=result.amount_shared,
        fixed_total=sum(line.amount for line in lines if line.fixed),
        rate=result.rate,
        total_weight=sum((line.weight for line in lines if not line.fixed), Fraction(0)),
    )


# --- Forms ---------------------------------------------------------------------------------------------------------


def parse_yuan(text: str) -> int | None:
    """Fen from what someone typed as yuan ("500,000", "¥500000.5"); None if it is not an amount."""
    cleaned = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", text or ""))
    if not cleaned:
        return None
    try:
        fen = parse_money(cleaned)
    except SharesError:
        return None
    return fen if fen <= MAX_FEN else None


def parse_coefficient(text: str) -> Decimal | None:
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    if not _COEFFICIENT_RE.fullmatch(cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    return value if value <= MAX_COEFFICIENT else None


def parse_terms(form: Mapping[str, str], flats: Sequence[ShareFlat]) -> tuple[Terms, dict[str, str]]:
    """Terms from the budget-and-scheme form; errors as {field: English msgid}, checked against the flats.

    Fields: total, subsidy, fund (yuan), scheme, coef_<floor> (custom scheme), fixed_<flat id> (yuan, blank for
    flats that share normally).
    """
    errors: dict[str, str] = {}
    amounts: dict[str, int] = {}
    for name in ("total", "subsidy", "fund"):
        raw = (form.get(name) or "").strip()
        if not raw and name != "total":
            amounts[name] = 0
            continue
        fen = parse_yuan(raw)
        if fen is None:
            errors[name] = lazy("Enter an amount in yuan, with at most two decimals, such as 350000 or 1200.50.")
        else:
            amounts[name] = fen
    scheme = (form.get("scheme") or "area").strip()
    if scheme not in SCHEME_CHOICES:
        errors["scheme"] = lazy("Choose a cost-sharing scheme.")
        scheme = "area"
    coefficients: dict[int, Decimal] = {}
    if scheme == "custom":
        for floor in sorted({flat.floor for flat in flats}):
            value = parse_coefficient(form.get(f"coef_{floor}") or "")
            if value is None:
                errors[f"coef_{floor}"] = lazy("Enter a coefficient of 0 or more, such as 0.8 (at most four decimals).")
            else:
                coefficients[floor] = value
    fixed: dict[int, int] = {}
    for flat in flats:
        raw = (form.get(f"fixed_{flat.flat_id}") or "").strip()
        if not raw:
            continue
        fen = parse_yuan(raw)
        if fen is None:
            errors[f"fixed_{flat.flat_id}"] = lazy("Enter an amount in yuan, or leave it empty.")
        else:
            fixed[flat.flat_id] = fen
    terms = Terms(
        total=amounts.get("total", 0),
        subsidy=amounts.get("subsidy", 0),
        fund=amounts.get("fund", 0),
        scheme=scheme,  # type: ignore[arg-type]  # checked against SCHEME_CHOICES above
        coefficients=coefficients,
        fixed=fixed,
    )
    if not errors:
        errors.update(check_terms(terms, flats))
    return terms, errors


def form_values(terms: Terms, flats: Sequence[ShareFlat]) -> dict[str, str]:
    """The form as it shows stored terms."""
    values = {
        "total": format_fen(terms.total) if terms.total else "",
        "subsidy": format_fen(terms.subsidy) if terms.subsidy else "",
        "fund": format_fen(terms.fund) if terms.fund else "",
        "scheme": terms.scheme,
    }
    for floor, value in terms.coefficients.items():
        values[f"coef_{floor}"] = str(value)
    for flat in flats:
        if flat.flat_id in terms.fixed:
            values[f"fixed_{flat.flat_id}"] = format_fen(terms.fixed[flat.flat_id])
    return values


# --- Stored form -----------------------------------------------------------------------------------------------


def terms_to_json(terms: Terms) -> dict[str, object]:
    return {
        "total": terms.total,
        "subsidy": terms.subsidy,
        "fund": terms.fund,
        "scheme": terms.scheme,
        "coefficients": {str(floor): str(value) for floor, value in sorted(terms.coefficients.items())},
        "fixed": {str(flat_id): fen for flat_id, fen in sorted(terms.fixed.items())},
    }


def terms_from_json(data: Mapping[str, object]) -> Terms:
    def fen(name: str) -> int:
        value = data.get(name, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    scheme = data.get("scheme", "area")
    raw_coefficients = data.get("coefficients") or {}
    raw_fixed = data.get("fixed") or {}
    coefficients = (
        {int(floor): Decimal(str(value)) for floor, value in raw_coefficients.items()}
        if isinstance(raw_coefficients, dict)
        else {}
    )
    fixed = {int(flat_id): int(value) for flat_id, value in raw_fixed.items()} if isinstance(raw_fixed, dict) else {}
    return Terms(
        total=fen("total"),
        subsidy=fen("subsidy"),
        fund=fen("fund"),
        scheme=scheme if scheme in SCHEME_CHOICES else "area",
        coefficients=coefficients,
        fixed=fixed,
    )


# --- Showing figures exactly -------------------------------------------------------------------------------------


def fraction_decimal(value: Fraction, places: int) -> tuple[Decimal, bool]:
    """`value` cut to `places` decimals, and whether that is exact (else the page adds "…")."""
    scale = 10**places
    scaled = value * scale
    whole = scaled.numerator // scaled.denominator
    return Decimal(whole).scaleb(-places), whole * scaled.denominator == scaled.numerator


def plain_decimal(value: Fraction, places: int = 6) -> str:
    """ "90.72", "5", "0.3333…": exact figures without trailing zeros, cut (never rounded) with "…"."""
    decimal, exact = fraction_decimal(value, places)
    text = format(decimal, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if exact else text + "…"
