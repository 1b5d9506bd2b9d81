"""Canvassing and reminders (issue 11): what a flat shows, what staff may note, who to visit first, and who a
reminder goes to — with their boundaries."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votes.canvass import (
    Candidate,
    needed_visits,
    reminder_targets,
    shown_status,
    status_errors,
    template_errors,
    visit_order,
    voted_channel,
)
from votes.rules import Measure

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("staff", "channel", "shown"),
    [
        (None, None, "not_contacted"),
        ("promised", None, "promised"),
        ("refused", "online", "voted_online"),  # a flat that has voted stays voted, whatever staff noted
        ("vacant", "paper", "voted_paper"),
        ("voted_online", None, "not_contacted"),  # a stored value that is not a staff status is never shown
    ],
)
def test_voted_comes_from_the_ballots_and_wins(staff, channel, shown) -> None:
    assert shown_status(staff, channel) == shown


def test_the_channel_of_an_entity_from_its_ballots() -> None:
    assert voted_channel([]) is None
    assert voted_channel(["paper"]) == "paper" and voted_channel(["meeting"]) == "paper"
    assert voted_channel(["paper", "online"]) == "online"


@pytest.mark.parametrize(
    ("status", "note", "visit", "fields"),
    [
        ("contacted", "", "", set()),
        ("promised", "x" * 300, "2026-12-03", set()),  # today and 300 characters are allowed
        ("voted_online", "", "", {"status"}),  # never by hand
        ("voted_paper", "", "", {"status"}),
        ("", "", "", {"status"}),
        ("maybe", "", "", {"status"}),
        ("contacted", "x" * 301, "", {"note"}),
        ("contacted", "", "2026-12-02", {"next_visit"}),  # yesterday
        ("contacted", "", "24.12.2026", {"next_visit"}),
        ("contacted", "", "20261224", {"next_visit"}),
        ("contacted", "", "2026-02-30", {"next_visit"}),
    ],
)
def test_what_staff_may_note(status, note, visit, fields) -> None:
    assert set(status_errors(status, note, visit, TODAY)) == fields


def test_where_area_is_short_the_largest_area_comes_first() -> None:
    candidates = [Candidate(1, 7000, 1), Candidate(2, 12000, 2), Candidate(3, 9000, 3), Candidate(4, 12000, 4)]
    plan = visit_order(candidates, Measure(headcount=1, area=20000))
    assert plan.by_area and [v.candidate.entity for v in plan.visits] == [2, 4, 3, 1]  # ties in electorate order
    # 120.00 m² is not enough, 240.00 m² is: two visits close the gap.
    assert plan.needed == 2 and [v.closes_gap for v in plan.visits] == [True, True, False, False]


def test_the_headcount_can_need_more_doors_than_the_area() -> None:
    candidates = [Candidate(1, 7000, 1), Candidate(2, 12000, 2), Candidate(3, 9000, 3)]
    plan = visit_order(candidates, Measure(headcount=3, area=100))
    assert plan.needed == 3


def test_area_reached_exactly_is_enough() -> None:
    plan = visit_order([Candidate(1, 5000, 1), Candidate(2, 5000, 2)], Measure(1, 5000))
    assert plan.needed == 1


def test_when_only_heads_are_missing_any_non_voter_will_do_in_electorate_order() -> None:
    candidates = [Candidate(5, 20000, 3), Candidate(6, 100, 1), Candidate(7, 9000, 2)]
    plan = visit_order(candidates, Measure(headcount=2, area=0))
    assert not plan.by_area and [v.candidate.entity for v in plan.visits] == [6, 7, 5] and plan.needed == 2


def test_reached_or_out_of_reach() -> None:
    assert visit_order([Candidate(1, 100, 1)], Measure(0, 0)).needed == 0
    unreachable = visit_order([Candidate(1, 100, 1)], Measure(2, 0))
    assert unreachable.needed is None and not any(v.closes_gap for v in unreachable.visits)
    assert visit_order([], Measure(1, 1)).needed is None


def test_a_reminder_never_goes_to_a_flat_that_voted_and_once_a_day() -> None:
    flats = [(1, (10, 11)), (2, ()), (3, (12,)), (4, ())]
    targets = reminder_targets(flats, voted=frozenset({3}), reminded_today=frozenset({4}))
    assert [(t.flat, t.method) for t in targets] == [(1, "in_app"), (2, "slip")]


def test_a_reminder_text_is_one_of_the_templates() -> None:
    assert template_errors("friendly") == {} and set(template_errors("free text")) == {"template"}


def _needed_one_by_one(areas: list[int], missing: Measure) -> int | None:
    """The definition: the first index at which both the heads and the area still missing are reached."""
    if missing.headcount <= 0 and missing.area <= 0:
        return 0
    reached = 0
    for index, area in enumerate(sorted(areas, reverse=True), start=1):
        reached += area
        if index >= missing.headcount and reached >= missing.area:
            return index
    return None


@given(st.lists(st.integers(0, 20000), max_size=40), st.integers(-2, 45), st.integers(-100, 400000))
def test_needed_counted_per_area_is_needed_counted_one_by_one(areas, headcount, area) -> None:
    """A vote over 100,000 flats sends the non-voters counted per area (largest first), not one by one."""
    missing = Measure(headcount, area)
    per_area = sorted(Counter(areas).items(), reverse=True)
    assert needed_visits(per_area, missing) == _needed_one_by_one(areas, missing)
    plan = visit_order([Candidate(i, a, i) for i, a in enumerate(areas)], missing)
    assert plan.needed == _needed_one_by_one(areas, missing)
