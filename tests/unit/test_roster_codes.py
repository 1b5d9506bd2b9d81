"""Join codes (alphabet, typing, states) and masked names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from community.roster.codes import (
    ALPHABET,
    CODE_LENGTH,
    MAX_FAILED_ATTEMPTS,
    code_state,
    format_code,
    mask_name,
    new_code,
    normalise_code,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_codes_have_no_look_alike_characters():
    for ambiguous in "0O1IlL":
        assert ambiguous not in ALPHABET
    code = new_code()
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)


@given(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_what_is_printed_reads_back(code):
    assert normalise_code(format_code(code)) == code
    assert normalise_code(format_code(code).lower()) == code
    assert normalise_code(" " + code[:4] + " " + code[4:] + " ") == code


def test_typed_codes_are_normalised_or_refused():
    assert format_code("ABCDEFGH") == "ABCD-EFGH"
    assert normalise_code("abcd-efgh") == "ABCDEFGH"
    assert normalise_code("ＡＢＣＤ－ＥＦＧＨ") == "ABCDEFGH"  # full-width, from a Chinese input method
    assert normalise_code("ABCD.EFGH") == "ABCDEFGH"
    assert normalise_code("ABCDEFG") is None
    assert normalise_code("ABCDEFGHJ") is None
    assert normalise_code("ABCDEFG0") is None  # 0 is never printed
    assert normalise_code("ABCDEFGI") is None
    assert normalise_code("") is None


def test_state_of_a_code():
    def state(**changes):
        values = {
            "now": NOW,
            "expires_at": NOW + timedelta(days=1),
            "used_at": None,
            "revoked_at": None,
            "failed_attempts": 0,
        }
        values.update(changes)
        return code_state(**values)

    assert state() == "valid"
    assert state(expires_at=NOW) == "expired"
    assert state(used_at=NOW) == "used"
    assert state(revoked_at=NOW, used_at=NOW) == "revoked"
    assert state(failed_attempts=MAX_FAILED_ATTEMPTS) == "locked"
    assert state(failed_attempts=MAX_FAILED_ATTEMPTS - 1) == "valid"
    assert state(used_at=NOW, expires_at=NOW - timedelta(days=1)) == "used"


def test_names_are_masked_for_pages_anyone_can_open():
    assert mask_name("张建华") == "张*华"
    assert mask_name("李娜") == "李*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("王") == "王"
    assert mask_name("Anna Schmidt") == "A*** S******"
    assert mask_name("  ") == ""
