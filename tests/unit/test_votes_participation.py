"""Participation while a vote is open, the residents' meeting and poll counts, and their boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votes.participation import (
    natural_key,
    ordered_groups,
    participation,
    percent_text,
    residents_missing,
)
from votes.regimes import poll_tally, residents_tally
from votes.rules import Measure
from votes.settings import VoteSettings

PARTICIPATE = VoteSettings()
EXCLUDE = VoteSettings(spoiled_ballots="exclude")


def test_owners_participation_and_what_is_missing() -> None:
    p = participation("owners", PARTICIPATE, Measure(12, 88000), {"agree": Measure(5, 40000), "abstain": Measure(1, 9000)})
    assert p.participating == Measure(6, 49000)
    # 2/3 of 12 is 8 (2 more); 2/3 of 880.00 m² is 586.67 (97.67 more, rounded up to the hundredth).
    assert p.missing == Measure(2, 9667)
    assert not p.reached and p.counts == ()


def test_spoiled_ballots_follow_the_setting() -> None:
    choices = {"agree": Measure(7, 70000), "spoiled": Measure(1, 10000)}
    assert participation("owners", PARTICIPATE, Measure(12, 120000), choices).participating == Measure(8, 80000)
    assert participation("owners", EXCLUDE, Measure(12, 120000), choices).participating == Measure(7, 70000)


def test_exactly_two_thirds_is_reached() -> None:
    p = participation("owners", PARTICIPATE, Measure(3, 300), {"oppose": Measure(2, 200)})
    assert p.reached and p.missing == Measure(0, 0)


def test_zero_entities_never_divides() -> None:
    p = participation("owners", PARTICIPATE, Measure(0, 0), {})
    assert p.share("headcount") == 0 and p.missing == Measure(0, 0)


def test_counts_only_when_shown_live() -> None:
    choices = {"agree": Measure(2, 200), "oppose": Measure(1, 100)}
    assert participation("owners", PARTICIPATE, Measure(9, 900), choices, show_counts=True).counts == (("agree", 2), ("oppose", 1))


@pytest.mark.parametrize(
    ("households", "present", "missing"),
    [(0, 0, 1), (1, 0, 1), (1, 1, 0), (2, 1, 1), (2, 2, 0), (3, 1, 1), (3, 2, 0), (4, 2, 1), (4, 3, 0), (5, 3, 0), (6, 3, 1)],
)
def test_residents_need_more_than_half(households: int, present: int, missing: int) -> None:
    assert residents_missing(households, present) == missing
    p = participation("residents", PARTICIPATE, Measure(households, 0), {"agree": Measure(present, 0)})
    assert p.missing.headcount == missing and p.by_area is False


@pytest.mark.parametrize(
    ("households", "agree", "oppose", "outcome"),
    [
        (10, 3, 2, "no_quorum"),  # exactly half present: not more than half
        (10, 4, 2, "passed"),
        (10, 3, 3, "rejected"),  # exactly half agreeing fails
        (9, 3, 2, "passed"),
        (9, 2, 2, "no_quorum"),
        (0, 0, 0, "no_quorum"),
        (5, 0, 0, "no_quorum"),
    ],
)
def test_residents_meeting_boundaries(households: int, agree: int, oppose: int, outcome: str) -> None:
    result = residents_tally(households, ["agree"] * agree + ["oppose"] * oppose, PARTICIPATE)
    assert result.outcome == outcome


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_one_more_agreeing_household_never_undoes_a_pass(households: int, agree: int, oppose: int, abstain: int) -> None:
    households = max(households, agree + oppose + abstain + 1)
    before = residents_tally(households, ["agree"] * agree + ["oppose"] * oppose + ["abstain"] * abstain, PARTICIPATE)
    after = residents_tally(households, ["agree"] * (agree + 1) + ["oppose"] * oppose + ["abstain"] * abstain, PARTICIPATE)
    if before.outcome == "passed":
        assert after.outcome == "passed"


@given(st.integers(1, 10**6), st.data())
def test_residents_missing_is_the_least_that_reaches_more_than_half(households: int, data: st.DataObject) -> None:
    present = data.draw(st.integers(0, households))
    n = residents_missing(households, present)
    assert 2 * (present + n) > households or present + n >= households + 1
    if n > 0:
        assert not 2 * (present + n - 1) > households


def test_poll_counts_each_option_by_entity_and_area() -> None:
    result = poll_tally(["A", "B"], {"e1": 100, "e2": 200, "e3": 300}, {"e1": "o2", "e2": "o2", "x": "o1", "e3": "zz"})
    assert result.options == (("o1", Measure(0, 0)), ("o2", Measure(2, 300)))
    assert result.participating == Measure(2, 300) and result.totals == Measure(3, 600)


def test_groups_in_natural_order() -> None:
    groups = ordered_groups([("3-10", None, 1, 1, 100, 100), ("3-2", 2, 2, 1, 350, 300), ("3-2", 1, 1, 0, 100, 0)])
    assert [(g.stairwell, g.floor, g.voted, g.missing) for g in groups] == [("3-2", 1, 0, 1), ("3-2", 2, 1, 1), ("3-10", None, 1, 0)]


def test_natural_key_and_percent_text() -> None:
    assert sorted(["2-10", "2-9", "10-1", "1号楼-2"], key=natural_key) == ["1号楼-2", "2-9", "2-10", "10-1"]
    assert percent_text(2, 3) == "66.67%" and percent_text(1, 8) == "12.50%" and percent_text(0, 0) == "0.00%"
