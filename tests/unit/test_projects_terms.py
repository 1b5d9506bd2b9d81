"""A project's budget and scheme: the form, the fund netted off like a subsidy, fixed amounts, explanations."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from votes.projects.terms import (
    ShareFlat,
    Terms,
    check_terms,
    fraction_decimal,
    parse_coefficient,
    parse_terms,
    parse_yuan,
    plain_decimal,
    share_table,
    shares_document,
    terms_from_json,
    terms_to_json,
)
from votes.shares import compute_shares, parse_shares_input


def stairwell(floors: int = 6, rooms: tuple[str, ...] = ("01", "02"), area: int = 9000) -> list[ShareFlat]:
    """A six-storey stairwell "3-2" with two flats per floor (flat ids 1…), all 90.00 m²."""
    flats = []
    flat_id = 1
    for floor in range(1, floors + 1):
        for room in rooms:
            flats.append(ShareFlat(flat_id, f"3-2-{floor}{room}", floor, area))
            flat_id += 1
    return flats


def test_fund_is_netted_off_like_a_subsidy():
    flats = stairwell()
    terms = Terms(total=60_000_000, subsidy=20_000_000, fund=10_000_000, scheme="area")
    table = share_table(terms, flats)
    assert sum(line.amount for line in table.lines) == 30_000_000 == terms.payable
    assert {line.amount for line in table.lines} == {2_500_000}  # ¥25,000 each for 12 equal flats


def test_guangzhou_scheme_ground_floors_pay_nothing_and_coefficients_scale():
    flats = stairwell()
    table = share_table(Terms(total=50_000_000, scheme="guangzhou"), flats)
    by_unit = {line.flat.unit: line for line in table.lines}
    assert by_unit["3-2-101"].amount == by_unit["3-2-202"].amount == 0
    assert by_unit["3-2-301"].coefficient == Decimal("0.7")
    # Σ weights = 2 × 90 × (0.7 + 0.8 + 0.9 + 1.0) = 612; floor 6 pays 1.0 × 90 / 612 of ¥500,000.
    assert by_unit["3-2-601"].exact == Fraction(50_000_000 * 90, 612)
    assert sum(line.amount for line in table.lines) == 50_000_000


def test_share_table_agrees_with_the_published_function_and_the_cli_document():
    flats = stairwell()
    terms = Terms(total=50_000_001, subsidy=1_000_000, fund=333, scheme="stairs", fixed={1: 50_000, 2: 0})
    table = share_table(terms, flats)
    document = shares_document(terms, flats)
    recomputed = compute_shares(parse_shares_input(document))
    assert {line.flat.unit: line.amount for line in table.lines} == recomputed.shares
    assert document["subsidy"] == "10003.33"  # subsidy and fund together
    assert document["fixed"] == {"3-2-101": "500.00", "3-2-102": "0.00"}


def test_leftover_fen_go_to_the_largest_remainders_and_are_explained():
    flats = [ShareFlat(1, "1-1-201", 2, 100), ShareFlat(2, "1-1-301", 3, 100), ShareFlat(3, "1-1-401", 4, 100)]
    table = share_table(Terms(total=100, scheme="area"), flats)
    amounts = [line.amount for line in table.lines]
    assert sum(amounts) == 100
    assert amounts == [34, 33, 33]  # a three-way tie: the lowest unit id gets the extra fen
    assert [line.extra_fen for line in table.lines] == [1, 0, 0]


def test_fixed_flats_take_no_part_in_the_sharing():
    flats = stairwell(floors=2)
    table = share_table(Terms(total=100_000, fixed={1: 50_000}), flats)
    fixed = table.line_for(1)
    assert fixed is not None and fixed.fixed and fixed.amount == 50_000
    assert table.amount_shared == 50_000
    assert sum(line.amount for line in table.lines if not line.fixed) == 50_000


def test_problems_are_reported_with_messages_for_people():
    flats = stairwell(floors=10)
    assert "scheme" in check_terms(Terms(total=100, scheme="guangzhou"), flats)  # floor 10 has no coefficient
    assert "subsidy" in check_terms(Terms(total=100, subsidy=60, fund=50), flats)
    assert "fixed" in check_terms(Terms(total=100, fixed={1: 101}), flats)
    ground_only = [ShareFlat(1, "1-1-101", 1, 8000), ShareFlat(2, "1-1-102", 1, 8000)]
    assert "scheme" in check_terms(Terms(total=100, scheme="stairs"), ground_only)  # every weight is zero
    assert check_terms(Terms(total=0, scheme="stairs"), ground_only) == {}  # nothing to share is fine


def test_form_parses_yuan_as_people_type_them_and_keeps_errors_per_field():
    flats = stairwell(floors=3)
    terms, errors = parse_terms(
        {"total": "¥500,000", "subsidy": "150000.5", "fund": "", "scheme": "custom",
         "coef_1": "0", "coef_2": "0.5", "coef_3": "1", "fixed_1": "500"},
        flats,
    )  # fmt: skip
    assert errors == {}
    assert (terms.total, terms.subsidy, terms.fund) == (50_000_000, 15_000_050, 0)
    assert terms.coefficients == {1: Decimal(0), 2: Decimal("0.5"), 3: Decimal(1)}
    assert terms.fixed == {1: 50_000}
    _terms, errors = parse_terms(
        {"total": "lots", "scheme": "custom", "coef_1": "-1", "coef_2": "0.12345", "fixed_2": "1.234"}, flats
    )
    assert set(errors) == {"total", "coef_1", "coef_2", "coef_3", "fixed_2"}


def test_money_and_coefficient_parsing():
    assert parse_yuan("１２３.４") == 12340  # full-width digits from a Chinese keyboard
    assert parse_yuan("1 200.50元") == 120050
    assert parse_yuan("12.345") is None
    assert parse_yuan("-5") is None
    assert parse_yuan("") is None
    assert parse_coefficient("1.3") == Decimal("1.3")
    assert parse_coefficient("101") is None
    assert parse_coefficient("0.00001") is None


def test_terms_survive_storage():
    terms = Terms(10, 2, 3, "custom", {3: Decimal("0.75")}, {7: 100})
    assert terms_from_json(terms_to_json(terms)) == terms


def test_exact_figures_are_cut_never_rounded():
    assert fraction_decimal(Fraction(2, 3), 4) == (Decimal("0.6666"), False)
    assert plain_decimal(Fraction(9072, 100)) == "90.72"
    assert plain_decimal(Fraction(5)) == "5"
    assert plain_decimal(Fraction(1, 3), 4) == "0.3333…"


@pytest.mark.parametrize("scheme", ["area", "guangzhou", "stairs"])
def test_every_published_scheme_sums_to_what_the_flats_pay(scheme):
    flats = stairwell(floors=7, rooms=("01", "02", "03"), area=7777)
    terms = Terms(total=123_456_789, subsidy=3_456_789, fund=1, scheme=scheme, fixed={1: 0, 2: 50_000})
    table = share_table(terms, flats)
    assert sum(line.amount for line in table.lines) == terms.payable
