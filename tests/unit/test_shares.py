"""Cost shares: the spec's rule worked by hand, malformed input, and properties of the allocation."""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votes.shares import (
    GUANGZHOU_COEFFICIENTS,
    FlatInput,
    Scheme,
    SharesError,
    SharesInput,
    SharesJson,
    area_scheme,
    compute_shares,
    format_fen,
    guangzhou_scheme,
    parse_money,
    parse_shares_input,
    shares_to_json,
    stairs_scheme,
)

SCHEMA = "yishi.cost-shares/1"

# The format's first published example, as it was written (its fixed flat 102 is not among its flats; the test
# below completes it). docs/cost-shares.md has a complete example.
SPEC_EXAMPLE: dict[str, Any] = {
    "schema": SCHEMA,
    "total": "500000.00",
    "subsidy": "150000.00",
    "fixed": {"101": "500.00", "102": "500.00"},
    "scheme": {
        "kind": "floor_coefficients",
        "coefficients": {"1": "0", "2": "0", "3": "0.7", "4": "0.8", "5": "0.9", "6": "1.0"},
    },
    "flats": [{"unit": "101", "floor": 1, "area": "70.00"}, {"unit": "601", "floor": 6, "area": "90.00"}],
}


def doc(**changes: Any) -> dict[str, Any]:
    """A small valid document (area scheme, three flats) with top-level keys replaced."""
    base: dict[str, Any] = {
        "schema": SCHEMA,
        "total": "1000.00",
        "scheme": {"kind": "area"},
        "flats": [
            {"unit": "101", "floor": 1, "area": "70.00"},
            {"unit": "201", "floor": 2, "area": "90.00"},
            {"unit": "301", "floor": 3, "area": "110.00"},
        ],
    }
    base.update(changes)
    return base


def shares_of(data: dict[str, Any]) -> SharesJson:
    return shares_to_json(compute_shares(parse_shares_input(data)))


def stairwell(floors: int, per_floor: tuple[int, ...]) -> tuple[FlatInput, ...]:
    """Units 101, 102, …: one flat per entry of `per_floor` (its area in hundredths of m²) on every floor."""
    return tuple(
        FlatInput(f"{floor}{door:02d}", floor, area)
        for floor in range(1, floors + 1)
        for door, area in enumerate(per_floor, start=1)
    )


# --- the spec's example --------------------------------------------------------------------------


def test_spec_example_as_printed_names_a_fixed_unit_that_is_not_a_flat() -> None:
    # The printed input is an excerpt: "102" has a fixed amount but is not listed in flats.
    with pytest.raises(SharesError, match="'102'"):
        parse_shares_input(SPEC_EXAMPLE)


def test_spec_example_completed_with_flat_102() -> None:
    data = copy.deepcopy(SPEC_EXAMPLE)
    data["flats"].append({"unit": "102", "floor": 1, "area": "70.00"})
    # By hand: amount = 500000.00 − 150000.00 − (500.00 + 500.00) = 349000.00.
    # 101 and 102 pay their fixed 500.00. The only sharing flat is 601, weight 1.0 × 90.00 = 90,
    # so it pays 349000.00 × 90 / 90 = 349000.00. The shares sum to total − subsidy = 350000.00; "total" echoes the input.
    assert shares_of(data) == {
        "shares": {"101": "500.00", "601": "349000.00", "102": "500.00"},
        "total": "500000.00",
    }
    result = compute_shares(parse_shares_input(data))
    assert result.amount_shared == 34_900_000
    assert result.rate == Fraction(34_900_000, 90)
    assert [(line.unit, line.weight, line.amount) for line in result.lines] == [
        ("601", Fraction(90), 34_900_000)
    ]


def test_spec_example_output_format() -> None:
    # The format's first published output showed "601": "87209.30" (a larger stairwell); that is the fen format.
    assert format_fen(8_720_930) == "87209.30"
    assert parse_money("87209.30") == 8_720_930


# --- schemes ---------------------------------------------------------------------------------------


def test_guangzhou_scheme_on_a_six_floor_stairwell_of_twelve_flats() -> None:
    flats = stairwell(6, (9000, 6000))  # x01: 90.00 m², x02: 60.00 m²
    result = compute_shares(SharesInput(52_000_000, 16_000_000, {}, guangzhou_scheme(), flats))
    # By hand: amount = 520000.00 − 160000.00 = 360000.00 = 36,000,000 fen.
    # Weights (coefficient × m²): floors 1–2: 0; 301: 0.7×90=63, 302: 0.7×60=42; 401: 72, 402: 48;
    # 501: 81, 502: 54; 601: 90, 602: 60. Σ = 105 + 120 + 135 + 150 = 510.
    # rate = 36,000,000 / 510 = 1,200,000/17 fen per weight unit; exact = weight × 1,200,000 / 17:
    #   301: 75,600,000/17 = 4,447,058 + 14/17    302: 50,400,000/17 = 2,964,705 + 15/17
    #   401: 86,400,000/17 = 5,082,352 + 16/17    402: 57,600,000/17 = 3,388,235 +  5/17
    #   501: 97,200,000/17 = 5,717,647 +  1/17    502: 64,800,000/17 = 3,811,764 + 12/17
    #   601: 108,000,000/17 = 6,352,941 + 3/17    602: 72,000,000/17 = 4,235,294 +  2/17
    # Remainders sum to 68/17 = 4 fen, which go to 401 (16), 302 (15), 301 (14) and 502 (12).
    assert shares_to_json(result) == {
        "shares": {
            "101": "0.00",
            "102": "0.00",
            "201": "0.00",
            "202": "0.00",
            "301": "44470.59",
            "302": "29647.06",
            "401": "50823.53",
            "402": "33882.35",
            "501": "57176.47",
            "502": "38117.65",
            "601": "63529.41",
            "602": "42352.94",
        },
        "total": "520000.00",
    }
    assert result.rate == Fraction(1_200_000, 17)
    line_301 = next(line for line in result.lines if line.unit == "301")
    assert (line_301.weight, line_301.exact, line_301.amount) == (
        Fraction(63),
        Fraction(75_600_000, 17),
        4_447_059,
    )
    assert sum(result.shares.values()) == result.total == result.amount_shared == 36_000_000


def test_guangzhou_coefficients_preset() -> None:
    assert dict(GUANGZHOU_COEFFICIENTS) == {
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


def test_guangzhou_scheme_refuses_a_tenth_floor() -> None:
    flats = (FlatInput("1001", 10, 9000), FlatInput("301", 3, 9000))
    with pytest.raises(SharesError, match="no coefficient for floor 10"):
        compute_shares(SharesInput(100_000, 0, {}, guangzhou_scheme(), flats))


def test_stairs_scheme_even_split_per_flight() -> None:
    flats = stairwell(6, (9000, 6000))
    result = compute_shares(SharesInput(3_000_000, 0, {}, stairs_scheme(), flats))
    # By hand: flights = floor − 1, two flats per floor: Σ = 2 × (0+1+2+3+4+5) = 30;
    # 30000.00 / 30 = 1000.00 per flight, whatever the area.
    assert shares_to_json(result)["shares"] == {
        "101": "0.00",
        "102": "0.00",
        "201": "1000.00",
        "202": "1000.00",
        "301": "2000.00",
        "302": "2000.00",
        "401": "3000.00",
        "402": "3000.00",
        "501": "4000.00",
        "502": "4000.00",
        "601": "5000.00",
        "602": "5000.00",
    }


def test_stairs_scheme_with_leftover_fen() -> None:
    flats = stairwell(6, (9000,))
    result = compute_shares(SharesInput(1_000_000, 0, {}, stairs_scheme(), flats))
    # By hand: Σ flights = 15; exact = flights × 1,000,000/15:
    #   201: 66,666 + 2/3, 301: 133,333 + 1/3, 401: 200,000, 501: 266,666 + 2/3, 601: 333,333 + 1/3.
    # Floors sum to 999,998, so 2 fen go to the two largest remainders (2/3): 201 and 501.
    assert shares_to_json(result)["shares"] == {
        "101": "0.00",
        "201": "666.67",
        "301": "1333.33",
        "401": "2000.00",
        "501": "2666.67",
        "601": "3333.33",
    }
    assert result.rate == Fraction(200_000, 3)


def test_area_scheme() -> None:
    # By hand: Σ area = 70 + 90 + 110 = 270 m²; exact = area × 100,000 / 270 fen:
    #   101: 25,925 + 25/27, 201: 33,333 + 9/27, 301: 40,740 + 20/27; floors sum to 99,998,
    #   so 101 (25/27) and 301 (20/27) get the 2 leftover fen.
    assert shares_of(doc()) == {
        "shares": {"101": "259.26", "201": "333.33", "301": "407.41"},
        "total": "1000.00",
    }


def test_area_scheme_exact_division() -> None:
    flats = (FlatInput("a", 1, 8000), FlatInput("b", 1, 10000), FlatInput("c", 1, 12000))
    result = compute_shares(SharesInput(900_000, 0, {}, area_scheme(), flats))
    # 9000.00 over 300 m² is 30.00 per m².
    assert result.shares == {"a": 240_000, "b": 300_000, "c": 360_000}
    assert result.rate == 3000


# --- rounding and ties -----------------------------------------------------------------------------


def test_remainder_tie_goes_to_lowest_unit_id() -> None:
    flats = (FlatInput("302", 3, 8000), FlatInput("301", 3, 8000), FlatInput("303", 3, 8000))
    result = compute_shares(SharesInput(10_000, 0, {}, area_scheme(), flats))
    # 100.00 / 3 = 33.33 + 1/3 fen each; the one leftover fen goes to "301", the lowest id.
    assert result.shares == {"302": 3333, "301": 3334, "303": 3333}


def test_tie_break_is_plain_string_order_not_numeric() -> None:
    flats = (FlatInput("201", 2, 8000), FlatInput("310", 3, 8000), FlatInput("1001", 10, 8000))
    result = compute_shares(SharesInput(10_000, 0, {}, area_scheme(), flats))
    # "1001" < "201" < "310" as strings (code point by code point), although 1001 is the largest number.
    assert result.shares == {"201": 3333, "310": 3333, "1001": 3334}


def test_two_leftover_fen_by_remainder_then_unit() -> None:
    flats = tuple(FlatInput(unit, 1, 100) for unit in ("d", "c", "b", "a"))
    result = compute_shares(SharesInput(2, 0, {}, area_scheme(), flats))
    # 2 fen among 4 equal flats: every remainder is 1/2, so "a" and "b" get one fen each.
    assert result.shares == {"d": 0, "c": 0, "b": 1, "a": 1}


# --- fixed amounts and subsidy ---------------------------------------------------------------------


def test_fixed_amounts_and_subsidy() -> None:
    data = doc(
        total="10000.00",
        subsidy="2000.00",
        fixed={"101": "300.00"},
        flats=[
            {"unit": "101", "floor": 1, "area": "50.00"},
            {"unit": "201", "floor": 2, "area": "100.00"},
            {"unit": "301", "floor": 3, "area": "100.00"},
        ],
    )
    # By hand: amount = 10000.00 − 2000.00 − 300.00 = 7700.00, split equally by 201 and 301;
    # 101 pays its fixed 300.00 and its 50 m² take no part. Sum = 8000.00 = total − subsidy.
    assert shares_of(data) == {
        "shares": {"101": "300.00", "201": "3850.00", "301": "3850.00"},
        "total": "10000.00",
    }
    result = compute_shares(parse_shares_input(data))
    assert [line.unit for line in result.lines] == ["201", "301"]
    assert result.amount_shared == 770_000


def test_fixed_amount_of_zero_exempts_a_flat() -> None:
    data = doc(fixed={"301": "0"})
    # 1000.00 over 70 + 90 m²: 101 gets 437.50, 201 gets 562.50.
    assert shares_of(data)["shares"] == {"101": "437.50", "201": "562.50", "301": "0.00"}


def test_subsidy_equal_to_total_leaves_nothing_to_pay() -> None:
    assert shares_of(doc(subsidy="1000.00")) == {
        "shares": {"101": "0.00", "201": "0.00", "301": "0.00"},
        "total": "1000.00",
    }


def test_fixed_and_subsidy_exceeding_total_is_an_error() -> None:
    with pytest.raises(SharesError, match="exceed the total 1000.00"):
        parse_shares_input(doc(subsidy="900.00", fixed={"101": "100.01"}))
    with pytest.raises(SharesError, match="exceed the total"):
        compute_shares(SharesInput(100, 101, {}, area_scheme(), (FlatInput("1", 1, 1),)))


def test_every_flat_fixed_with_money_left_over_is_an_error() -> None:
    with pytest.raises(SharesError, match="every flat has a fixed amount"):
        compute_shares(SharesInput(100, 0, {"1": 50}, area_scheme(), (FlatInput("1", 1, 1),)))


# --- zero weights ----------------------------------------------------------------------------------


def test_zero_weight_floors_pay_nothing() -> None:
    flats = (FlatInput("101", 1, 9000), FlatInput("201", 2, 9000), FlatInput("301", 3, 9000))
    result = compute_shares(SharesInput(100_000, 0, {}, guangzhou_scheme(), flats))
    assert result.shares == {"101": 0, "201": 0, "301": 100_000}
    assert [line.weight for line in result.lines] == [0, 0, 63]


def test_all_weights_zero_is_an_error() -> None:
    flats = (FlatInput("101", 1, 9000), FlatInput("102", 1, 8000))
    with pytest.raises(SharesError, match="weight 0"):
        compute_shares(SharesInput(100, 0, {}, stairs_scheme(), flats))
    with pytest.raises(SharesError, match="weight 0"):
        compute_shares(SharesInput(100, 0, {}, area_scheme(), (FlatInput("101", 1, 0),)))


def test_all_weights_zero_is_fine_when_nothing_is_to_be_shared() -> None:
    flats = (FlatInput("101", 1, 9000), FlatInput("102", 1, 8000))
    result = compute_shares(SharesInput(0, 0, {}, stairs_scheme(), flats))
    assert result.shares == {"101": 0, "102": 0}
    assert result.rate is None
    assert compute_shares(SharesInput(0, 0, {}, area_scheme(), ())).shares == {}


# --- direct construction is checked too ------------------------------------------------------------


@pytest.mark.parametrize(
    ("inp", "message"),
    [
        (SharesInput(-1, 0, {}, area_scheme(), ()), "total is negative"),
        (SharesInput(100, -1, {}, area_scheme(), ()), "subsidy is negative"),
        (SharesInput(100, 0, {"1": -5}, area_scheme(), (FlatInput("1", 1, 1),)), "negative"),
        (SharesInput(100, 0, {}, area_scheme(), (FlatInput("1", 1, -1),)), "area is negative"),
        (SharesInput(100, 0, {}, stairs_scheme(), (FlatInput("1", 0, 1),)), "floor must be 1"),
        (SharesInput(100, 0, {}, area_scheme(), (FlatInput("1", 1, 1), FlatInput("1", 2, 1))), "duplicate"),
        (SharesInput(100, 0, {"9": 1}, area_scheme(), (FlatInput("1", 1, 1),)), "not among the flats"),
        (
            SharesInput(
                100, 0, {}, Scheme("floor_coefficients", {1: Decimal("-1")}), (FlatInput("1", 1, 1),)
            ),
            "coefficient for floor 1",
        ),
        (
            SharesInput(
                100, 0, {}, Scheme("floor_coefficients", {1: Decimal("NaN")}), (FlatInput("1", 1, 1),)
            ),
            "coefficient for floor 1",
        ),
    ],
)
def test_compute_rejects_bad_direct_input(inp: SharesInput, message: str) -> None:
    with pytest.raises(SharesError, match=message):
        compute_shares(inp)


# --- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("0.5", 50), ("0.05", 5), ("12", 1200), ("87209.30", 8_720_930), ("007.10", 710)],
)
def test_parse_money(text: str, fen: int) -> None:
    assert parse_money(text) == fen


@pytest.mark.parametrize(
    "text",
    ["", "1.234", "-1.00", "1e3", "1E3", "+1", " 1", "1 ", "1.", ".5", "1,000.00", "١٠٠", "1_000", "NaN"],
)
def test_parse_money_rejects(text: str) -> None:
    with pytest.raises(SharesError):
        parse_money(text)


def test_parse_money_rejects_absurdly_long_numbers() -> None:
    with pytest.raises(SharesError, match="too many digits"):
        parse_money("9" * 5000)


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (5, "0.05"), (100, "1.00"), (8_720_930, "87209.30")])
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_round_trips(fen: int) -> None:
    assert parse_money(format_fen(fen)) == fen


# --- parsing ---------------------------------------------------------------------------------------


def test_parse_builds_the_input() -> None:
    data = doc(
        subsidy="1.5",
        fixed={"201": "2"},
        scheme={"kind": "floor_coefficients", "coefficients": {"1": "0", "2": "0.125", "3": "1"}},
    )
    assert parse_shares_input(data) == SharesInput(
        total=100_000,
        subsidy=150,
        fixed={"201": 200},
        scheme=Scheme("floor_coefficients", {1: Decimal(0), 2: Decimal("0.125"), 3: Decimal(1)}),
        flats=(FlatInput("101", 1, 7000), FlatInput("201", 2, 9000), FlatInput("301", 3, 11000)),
    )


def test_parse_accepts_null_for_optional_keys() -> None:
    assert shares_of(doc(subsidy=None, fixed=None)) == shares_of(doc())


def test_coefficients_may_have_many_decimals() -> None:
    data = doc(
        scheme={"kind": "floor_coefficients", "coefficients": {"1": "0.333333333333", "2": "0", "3": "0"}}
    )
    assert shares_of(data)["shares"] == {"101": "1000.00", "201": "0.00", "301": "0.00"}


def _flat(index: int, **changes: Any) -> dict[str, Any]:
    flats = copy.deepcopy(doc()["flats"])
    flats[index].update(changes)
    return doc(flats=flats)


def _without(key: str) -> dict[str, Any]:
    data = doc()
    del data[key]
    return data


MALFORMED: list[tuple[str, Any, str]] = [
    ("top level not an object", [], "input must be a JSON object"),
    ("unknown schema", doc(schema="yishi.cost-shares/2"), "unknown schema"),
    ("missing schema", _without("schema"), "missing schema"),
    ("missing total", _without("total"), "missing total"),
    ("missing scheme", _without("scheme"), "missing scheme"),
    ("missing flats", _without("flats"), "missing flats"),
    ("unknown top-level key", doc(subsidies="1.00"), "unknown key 'subsidies'"),
    ("unknown scheme kind", doc(scheme={"kind": "lottery"}), "unknown scheme kind 'lottery'"),
    ("scheme without kind", doc(scheme={}), "missing kind"),
    ("scheme not an object", doc(scheme="area"), "scheme must be a JSON object"),
    ("three decimals on money", doc(total="1000.001"), "at most two decimals"),
    ("three decimals on area", _flat(0, area="70.001"), "at most two decimals"),
    ("exponent", doc(total="1e3"), "at most two decimals"),
    ("money as JSON number", doc(total=1000), "decimal string"),
    ("money as JSON float", doc(total=1000.5), "decimal string"),
    ("area as JSON number", _flat(0, area=70), "decimal string"),
    ("negative total", doc(total="-1000.00"), "total is negative"),
    ("negative subsidy", doc(subsidy="-1.00"), "subsidy is negative"),
    ("negative fixed", doc(fixed={"101": "-1"}), "negative"),
    ("negative area", _flat(0, area="-70.00"), "negative"),
    ("duplicate unit", _flat(1, unit="101"), "duplicate unit '101'"),
    (
        "missing coefficient for a floor",
        doc(scheme={"kind": "floor_coefficients", "coefficients": {"1": "0", "3": "1"}}),
        "no coefficient for floor 2",
    ),
    ("floor_coefficients without coefficients", doc(scheme={"kind": "floor_coefficients"}), "required"),
    ("coefficients with area kind", doc(scheme={"kind": "area", "coefficients": {}}), "only allowed"),
    (
        "negative coefficient",
        doc(scheme={"kind": "floor_coefficients", "coefficients": {"1": "-0.1", "2": "1", "3": "1"}}),
        "negative",
    ),
    (
        "coefficient not a number",
        doc(scheme={"kind": "floor_coefficients", "coefficients": {"1": "x", "2": "1", "3": "1"}}),
        "not a decimal number",
    ),
    (
        "coefficient as JSON number",
        doc(scheme={"kind": "floor_coefficients", "coefficients": {"1": 0.7, "2": "1", "3": "1"}}),
        "decimal string",
    ),
    (
        "non-canonical floor key",
        doc(scheme={"kind": "floor_coefficients", "coefficients": {"01": "1", "2": "1", "3": "1"}}),
        "not a floor number",
    ),
    ("fixed for a unit not in flats", doc(fixed={"999": "1.00"}), "'999', which is not among the flats"),
    ("fixed not an object", doc(fixed=["101"]), "fixed must be a JSON object"),
    ("fixed and subsidy exceed total", doc(subsidy="600.00", fixed={"101": "400.01"}), "exceed the total"),
    ("subsidy exceeds total", doc(subsidy="1000.01"), "exceed the total"),
    ("flats not a list", doc(flats={"101": {}}), "flats must be a list"),
    ("flat not an object", doc(flats=["101"]), r"flats\[0\] must be a JSON object"),
    ("flat missing area", doc(flats=[{"unit": "101", "floor": 1}]), "missing area"),
    ("flat unknown key", _flat(0, owner="Li"), "unknown key 'owner'"),
    ("unit not a string", _flat(0, unit=101), "unit must be a non-empty string"),
    ("empty unit", _flat(0, unit=""), "unit must be a non-empty string"),
    ("floor as string", _flat(0, floor="1"), "floor must be an integer"),
    ("floor as bool", _flat(0, floor=True), "floor must be an integer"),
    ("floor as float", _flat(0, floor=1.0), "floor must be an integer"),
    ("floor zero", _flat(0, floor=0), "floor must be 1"),
]


@pytest.mark.parametrize(
    ("data", "message"), [(d, m) for _, d, m in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_parse_rejects_malformed_input(data: Any, message: str) -> None:
    with pytest.raises(SharesError, match=message) as info:
        parse_shares_input(data)
    assert "\n" not in str(info.value)


def test_parse_does_not_mutate_its_input() -> None:
    data = doc(fixed={"101": "1.00"})
    before = copy.deepcopy(data)
    parse_shares_input(data)
    assert data == before


# --- properties ------------------------------------------------------------------------------------

UNITS = st.text(alphabet="0123456789AB-", min_size=1, max_size=4)
COEFFICIENT = st.decimals(min_value=0, max_value=3, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def shares_inputs(draw: st.DrawFn) -> SharesInput:
    units = draw(st.lists(UNITS, min_size=1, max_size=14, unique=True))
    flats = tuple(FlatInput(unit, draw(st.integers(1, 9)), draw(st.integers(0, 20_000))) for unit in units)
    scheme = draw(
        st.one_of(
            st.just(area_scheme()),
            st.just(stairs_scheme()),
            st.just(guangzhou_scheme()),
            st.dictionaries(st.integers(1, 9), COEFFICIENT, min_size=9, max_size=9).map(
                lambda coefficients: Scheme("floor_coefficients", coefficients)
            ),
        )
    )
    total = draw(st.integers(0, 10**10))
    subsidy = draw(st.integers(0, total))
    fixed: dict[str, int] = {}
    room = total - subsidy
    for unit in draw(st.lists(st.sampled_from(units), unique=True, max_size=3)):
        fixed[unit] = draw(st.integers(0, room))
        room -= fixed[unit]
    return SharesInput(total, subsidy, fixed, scheme, flats)


def _weight(flat: FlatInput, scheme: Scheme) -> Any:
    """The spec's weight, re-derived independently of votes.shares."""
    if scheme.kind == "area":
        return flat.area
    if scheme.kind == "stairs":
        return flat.floor - 1
    return scheme.coefficients[flat.floor] * flat.area


def _compute_or_none(inp: SharesInput) -> Any:
    """The result, or None when the rule says the input is impossible (money left, no weight)."""
    try:
        return compute_shares(inp)
    except SharesError:
        amount = inp.total - inp.subsidy - sum(inp.fixed.values())
        assert amount > 0
        assert all(_weight(flat, inp.scheme) == 0 for flat in inp.flats if flat.unit not in inp.fixed)
        return None


@given(shares_inputs())
def test_shares_sum_exactly(inp: SharesInput) -> None:
    result = _compute_or_none(inp)
    if result is None:
        return
    assert list(result.shares) == [flat.unit for flat in inp.flats]
    assert sum(result.shares.values()) == result.total == inp.total - inp.subsidy
    assert sum(line.amount for line in result.lines) == result.amount_shared
    assert all(result.shares[unit] == fen for unit, fen in inp.fixed.items())
    json_out = shares_to_json(result)
    # "total" echoes the input total; the shares sum to it less the subsidy.
    assert sum(parse_money(text) for text in json_out["shares"].values()) == parse_money(json_out["total"]) - inp.subsidy


@given(shares_inputs())
def test_every_share_within_one_fen_of_exact(inp: SharesInput) -> None:
    result = _compute_or_none(inp)
    if result is None:
        return
    for line in result.lines:
        assert line.amount >= 0
        assert abs(line.amount - line.exact) < 1
        if result.rate is not None:
            assert line.exact == result.rate * line.weight


@given(shares_inputs(), st.randoms(use_true_random=False))
def test_flat_order_does_not_change_any_share(inp: SharesInput, random: Any) -> None:
    result = _compute_or_none(inp)
    if result is None:
        return
    flats = list(inp.flats)
    random.shuffle(flats)
    shuffled = compute_shares(SharesInput(inp.total, inp.subsidy, inp.fixed, inp.scheme, tuple(flats)))
    assert list(shuffled.shares) == [flat.unit for flat in flats]
    assert dict(shuffled.shares) == dict(result.shares)


@given(shares_inputs())
def test_higher_weight_never_pays_less(inp: SharesInput) -> None:
    result = _compute_or_none(inp)
    if result is None:
        return
    for a in result.lines:
        for b in result.lines:
            if a.weight > b.weight:
                assert a.amount >= b.amount
            if a.weight == b.weight:
                assert abs(a.amount - b.amount) <= 1
