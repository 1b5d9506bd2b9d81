"""Cost shares (`yishi.cost-shares/1`): split a project's cost among a stairwell's flats, exactly, in fen."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, TypedDict, get_args

SCHEMA = "yishi.cost-shares/1"

SchemeKind = Literal["area", "floor_coefficients", "stairs"]
SCHEME_KINDS: tuple[str, ...] = get_args(SchemeKind)

# ASCII digits only: `\d` would also accept e.g. Arabic-Indic digits, which int() silently converts.
_AMOUNT_RE = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]{1,2}))?")
_COEFFICIENT_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Canonical floor keys only, so "3" and "03" cannot both name floor 3.
_FLOOR_KEY_RE = re.compile(r"[1-9][0-9]*")


class SharesError(ValueError):
    """Malformed or impossible cost-share input; the message is one line meant for people."""


@dataclass(frozen=True)
class FlatInput:
    """One flat of the stairwell: `area` in hundredths of m², `floor` counted from 1 (ground floor)."""

    unit: str
    floor: int
    area: int


@dataclass(frozen=True)
class Scheme:
    """How weights are derived; `coefficients` (floor → coefficient) only matter for floor_coefficients."""

    kind: SchemeKind
    coefficients: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class SharesInput:
    """Amounts in fen; `fixed` maps a unit to the exact amount it pays instead of sharing."""

    total: int
    subsidy: int
    fixed: Mapping[str, int]
    scheme: Scheme
    flats: tuple[FlatInput, ...]


@dataclass(frozen=True)
class Share:
    """How one sharing flat's amount came about; `exact` and `amount` are in fen.

    `weight` is in m² for area, coefficient × m² for floor_coefficients, flights of stairs for stairs.
    """

    unit: str
    amount: int
    weight: Fraction
    exact: Fraction


@dataclass(frozen=True)
class SharesResult:
    """`shares` holds every flat (fixed ones too) in input order; `lines` only the sharing flats.

    `total` is what the flats pay together (total − subsidy); `cost` is the project's total before
    the subsidy (the `total` of the input, echoed in the JSON output, see docs/cost-shares.md);
    `amount_shared` is the part split by weight (total − subsidy − Σ fixed); `rate` is fen per unit of
    weight, None when Σ weight is 0.
    """

    shares: dict[str, int]
    total: int
    cost: int
    amount_shared: int
    rate: Fraction | None
    lines: tuple[Share, ...]


class SharesJson(TypedDict):
    """The `yishi shares` output document: yuan strings, every flat in input order."""

    shares: dict[str, str]
    total: str


GUANGZHOU_COEFFICIENTS: Mapping[int, Decimal] = MappingProxyType(
    {
        1: Decimal("0"),
        2: Decimal("0"),
        3: Decimal("0.7"),
        4: Decimal("0.8"),
        5: Decimal("0.9"),
        6: Decimal("1.0"),
        7: Decimal("1.1"),
        8: Decimal("1.2"),
        9: Decimal("1.3"),
    }
)


def area_scheme() -> Scheme:
    """Weight = area: the Civil Code Art. 283 default when owners have no agreement."""
    return Scheme("area")


def stairs_scheme() -> Scheme:
    """Wuhan "stairs climbed": weight = floor − 1, so the ground floor pays nothing."""
    return Scheme("stairs")


def guangzhou_scheme() -> Scheme:
    """Guangzhou community scheme: weight = floor coefficient × area, floors 1–9."""
    return Scheme("floor_coefficients", GUANGZHOU_COEFFICIENTS)


def format_fen(fen: int) -> str:
    """8720930 → "87209.30"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def parse_money(s: str) -> int:
    """Yuan string to fen: "87209.3" → 8720930; at most two decimals, not negative."""
    return _parse_hundredths(s, "amount")


def compute_shares(inp: SharesInput) -> SharesResult:
    """Split total − subsidy − Σ fixed by weight; largest remainders get the leftover fen."""
    _check_input(inp)
    amount = inp.total - inp.subsidy - sum(inp.fixed.values())
    sharing = [flat for flat in inp.flats if flat.unit not in inp.fixed]
    weights = {flat.unit: _weight(flat, inp.scheme) for flat in sharing}
    total_weight = sum(weights.values(), Fraction(0))

    if total_weight == 0:
        if amount > 0:
            if not sharing:
                raise SharesError(f"{format_fen(amount)} is left to share but every flat has a fixed amount")
            raise SharesError(
                f"{format_fen(amount)} is left to share but every sharing flat has weight 0 under the "
                f"{inp.scheme.kind} scheme"
            )
        # Nothing to share: every sharing flat pays 0, whatever its weight.
        rate: Fraction | None = None
        exact = {unit: Fraction(0) for unit in weights}
    else:
        rate = Fraction(amount) / total_weight
        exact = {unit: rate * weight for unit, weight in weights.items()}

    rounded = {unit: math.floor(value) for unit, value in exact.items()}
    leftover = amount - sum(rounded.values())
    # Σ remainders == leftover and each remainder < 1, so the first `leftover` flats in this order
    # all have a positive remainder; the unit id makes the order total and independent of input order.
    by_remainder = sorted(rounded, key=lambda unit: (-(exact[unit] - rounded[unit]), unit))
    for unit in by_remainder[:leftover]:
        rounded[unit] += 1

    shares = {
        flat.unit: inp.fixed[flat.unit] if flat.unit in inp.fixed else rounded[flat.unit]
        for flat in inp.flats
    }
    lines = tuple(Share(unit, rounded[unit], weights[unit], exact[unit]) for unit in weights)
    return SharesResult(
        shares=shares,
        total=inp.total - inp.subsidy,
        cost=inp.total,
        amount_shared=amount,
        rate=rate,
        lines=lines,
    )


def shares_to_json(result: SharesResult) -> SharesJson:
    """The `yishi shares` output: every flat's share and the project's total, as yuan strings.

    The shares sum to total − subsidy; "total" echoes the input total (docs/cost-shares.md).
    """
    return {
        "shares": {unit: format_fen(fen) for unit, fen in result.shares.items()},
        "total": format_fen(result.cost),
    }


def parse_shares_input(data: object) -> SharesInput:
    """Validate a decoded `yishi.cost-shares/1` document; every problem raises SharesError."""
    doc = _expect_object(data, "input")
    _check_keys(doc, "input", required={"schema", "total", "scheme", "flats"}, optional={"subsidy", "fixed"})
    if doc["schema"] != SCHEMA:
        raise SharesError(f"unknown schema {doc['schema']!r}, expected {SCHEMA!r}")

    total = _parse_hundredths(doc["total"], "total")
    # docs/cost-shares.md makes subsidy and fixed optional; null is read as "none" too.
    subsidy = 0 if doc.get("subsidy") is None else _parse_hundredths(doc["subsidy"], "subsidy")
    fixed: dict[str, int] = {}
    if doc.get("fixed") is not None:
        for unit, value in _expect_object(doc["fixed"], "fixed").items():
            fixed[unit] = _parse_hundredths(value, f"fixed[{unit!r}]")

    scheme = _parse_scheme(doc["scheme"])

    raw_flats = doc["flats"]
    if not isinstance(raw_flats, list):
        raise SharesError("flats must be a list")
    flats = tuple(_parse_flat(raw, index) for index, raw in enumerate(raw_flats))

    inp = SharesInput(total=total, subsidy=subsidy, fixed=fixed, scheme=scheme, flats=flats)
    _check_input(inp)
    return inp


def _parse_scheme(data: object) -> Scheme:
    obj = _expect_object(data, "scheme")
    _check_keys(obj, "scheme", required={"kind"}, optional={"coefficients"})
    kind = obj["kind"]
    if kind == "area":
        scheme = area_scheme()
    elif kind == "stairs":
        scheme = stairs_scheme()
    elif kind == "floor_coefficients":
        if "coefficients" not in obj:
            raise SharesError("scheme.coefficients is required for kind 'floor_coefficients'")
        return Scheme("floor_coefficients", _parse_coefficients(obj["coefficients"]))
    else:
        raise SharesError(f"unknown scheme kind {kind!r}, expected one of {', '.join(SCHEME_KINDS)}")
    # Coefficients next to another kind would be silently ignored; the author surely meant something.
    if "coefficients" in obj:
        raise SharesError(f"scheme.coefficients is only allowed with kind 'floor_coefficients', not {kind!r}")
    return scheme


def _parse_coefficients(data: object) -> dict[int, Decimal]:
    coefficients: dict[int, Decimal] = {}
    for key, value in _expect_object(data, "scheme.coefficients").items():
        if not _FLOOR_KEY_RE.fullmatch(key):
            raise SharesError(f"scheme.coefficients: {key!r} is not a floor number (1, 2, 3, …)")
        what = f"scheme.coefficients[{key!r}]"
        if not isinstance(value, str):
            raise SharesError(f'{what} must be a decimal string such as "0.7"')
        if value.startswith("-"):
            raise SharesError(f"{what} is negative: {value!r}")
        if not _COEFFICIENT_RE.fullmatch(value):
            raise SharesError(f"{what} is not a decimal number: {value!r}")
        coefficients[int(key)] = Decimal(value)
    return coefficients


def _parse_flat(data: object, index: int) -> FlatInput:
    what = f"flats[{index}]"
    obj = _expect_object(data, what)
    _check_keys(obj, what, required={"unit", "floor", "area"}, optional=set())
    unit, floor = obj["unit"], obj["floor"]
    if not isinstance(unit, str) or not unit:
        raise SharesError(f"{what}.unit must be a non-empty string")
    # bool is an int subclass; `true` is no floor number.
    if not isinstance(floor, int) or isinstance(floor, bool):
        raise SharesError(f"{what}.floor must be an integer")
    return FlatInput(unit=unit, floor=floor, area=_parse_hundredths(obj["area"], f"{what}.area"))


def _parse_hundredths(value: object, what: str) -> int:
    # JSON numbers are refused: a float such as 0.1 has already lost exactness before we see it.
    if not isinstance(value, str):
        raise SharesError(f'{what} must be a decimal string such as "123.45"')
    if value.startswith("-"):
        raise SharesError(f"{what} is negative: {value!r}")
    match = _AMOUNT_RE.fullmatch(value)
    if match is None:
        raise SharesError(f"{what} is not a decimal with at most two decimals: {value!r}")
    try:
        return int(match["whole"]) * 100 + int((match["frac"] or "").ljust(2, "0"))
    except ValueError:  # Python's limit on int-string conversion (thousands of digits)
        raise SharesError(f"{what} has too many digits") from None


def _expect_object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise SharesError(f"{what} must be a JSON object")
    return value


def _check_keys(obj: Mapping[str, object], what: str, *, required: set[str], optional: set[str]) -> None:
    missing = sorted(required - obj.keys())
    if missing:
        raise SharesError(f"{what}: missing {', '.join(missing)}")
    # A misspelt optional key ("subsidies") would otherwise change the money silently.
    unknown = sorted(obj.keys() - required - optional)
    if unknown:
        raise SharesError(f"{what}: unknown key {', '.join(repr(key) for key in unknown)}")


def _check_input(inp: SharesInput) -> None:
    """The checks shared by parsed and hand-built inputs; compute_shares relies on them."""
    if inp.scheme.kind not in SCHEME_KINDS:
        raise SharesError(f"unknown scheme kind {inp.scheme.kind!r}")
    for what, fen in (("total", inp.total), ("subsidy", inp.subsidy)):
        if fen < 0:
            raise SharesError(f"{what} is negative: {format_fen(fen)}")
    for floor, coefficient in inp.scheme.coefficients.items():
        if not coefficient.is_finite() or coefficient < 0:
            raise SharesError(f"the coefficient for floor {floor} must be a number ≥ 0, not {coefficient}")

    units: set[str] = set()
    for flat in inp.flats:
        if flat.unit in units:
            raise SharesError(f"duplicate unit {flat.unit!r}")
        units.add(flat.unit)
        if flat.floor < 1:
            raise SharesError(
                f"unit {flat.unit!r}: floor must be 1 (ground floor) or higher, not {flat.floor}"
            )
        if flat.area < 0:
            raise SharesError(f"unit {flat.unit!r}: area is negative")
        # Only sharing flats need a weight, but a gap in the coefficient table is a mistake either way.
        if inp.scheme.kind == "floor_coefficients" and flat.floor not in inp.scheme.coefficients:
            raise SharesError(f"no coefficient for floor {flat.floor} (unit {flat.unit!r})")

    for unit, fen in inp.fixed.items():
        if unit not in units:
            raise SharesError(f"fixed amount for unit {unit!r}, which is not among the flats")
        if fen < 0:
            raise SharesError(f"fixed amount for unit {unit!r} is negative: {format_fen(fen)}")
    fixed_sum = sum(inp.fixed.values())
    if inp.subsidy + fixed_sum > inp.total:
        raise SharesError(
            f"subsidy {format_fen(inp.subsidy)} and fixed amounts {format_fen(fixed_sum)} "
            f"exceed the total {format_fen(inp.total)}"
        )


def _weight(flat: FlatInput, scheme: Scheme) -> Fraction:
    """Area-based weights are in m² (× coefficient) so a UI can print them as they are."""
    if scheme.kind == "area":
        return Fraction(flat.area, 100)
    if scheme.kind == "stairs":
        return Fraction(flat.floor - 1)
    return Fraction(scheme.coefficients[flat.floor]) * Fraction(flat.area, 100)
