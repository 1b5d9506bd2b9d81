"""Receipt codes and paper ballot serial numbers."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from votes.codes import normalise_receipt, paper_serial, parse_serial, receipt_code, receipt_hash


def test_receipt_code_is_stable_per_nonce_and_differs_between_nonces() -> None:
    code = receipt_code("secret", "nonce-1")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert receipt_code("secret", "nonce-1") == code
    assert receipt_code("secret", "nonce-2") != code
    assert receipt_code("other", "nonce-1") != code
    assert not set(code) & set("ILOU")


def test_typed_receipt_codes_are_normalised() -> None:
    code = receipt_code("secret", "n")
    assert normalise_receipt(code.lower().replace("-", " ")) == code
    assert normalise_receipt("7kq2 m9xd 4hta") == "7KQ2-M9XD-4HTA"
    assert normalise_receipt("OIL0-0000-0000") == "0110-0000-0000"  # O, I, L read as digits
    assert normalise_receipt("too short") is None
    assert normalise_receipt("") is None
    assert receipt_hash(code) != code and len(receipt_hash(code)) == 64


def test_serials_round_trip_and_read_from_a_scanned_url() -> None:
    serial = paper_serial(12, 345)
    assert re.fullmatch(r"12-00345\d", serial)
    assert parse_serial(serial) == (12, 345)
    assert parse_serial(f" {serial} ") == (12, 345)
    assert parse_serial(f"https://yishi.example/v/12/paper?serial={serial}") == (12, 345)
    assert parse_serial("１２-００３４５" + serial[-1]) == (12, 345)  # full-width digits from a Chinese keyboard
    assert parse_serial("https://yishi.example/v/12/paper") is None
    assert parse_serial("hello") is None


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.data())
def test_a_single_mistyped_digit_is_caught(vote: int, number: int, data: st.DataObject) -> None:
    serial = paper_serial(vote, number)
    positions = [i for i, char in enumerate(serial) if char.isdigit()]
    position = data.draw(st.sampled_from(positions))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != serial[position]]))
    typo = serial[:position] + wrong + serial[position + 1 :]
    parsed = parse_serial(typo)
    assert parsed is None or parsed != (vote, number)
