"""Art. 278 counting rules: thresholds at their exact boundaries, voting entities, settings, and invariants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from votes.rules import (
    Ballot,
    Checks,
    Choice,
    Flat,
    Measure,
    Result,
    Settings,
    approval_threshold,
    format_area,
    missing_for_participation,
    parse_area,
    tally,
    voting_entities,
)

PARTICIPATE = Settings()
EXCLUDE = Settings(spoiled_ballots="exclude")
ELEVATOR = 7  # Art. 278 item 7: needs >= 3/4
COMMITTEE = 3  # Art. 278 item 3: needs > 1/2


def solo_flats(areas: Sequence[int]) -> list[Flat]:
    """One flat per area, each owned alone by its own owner: entity i is unit u{i}, owner o{i}."""
    return [Flat(f"u{i}", area, frozenset({f"o{i}"})) for i, area in enumerate(areas)]


def solo_ballots(choices: Sequence[Choice | None]) -> list[Ballot]:
    """The ballot of owner o{i} for unit u{i}; None means that owner did not vote."""
    return [Ballot(f"u{i}", f"o{i}", choice) for i, choice in enumerate(choices) if choice is not None]


def split(agree: int = 0, oppose: int = 0, absent: int = 0) -> list[Choice | None]:
    """Choices for solo entities: so many agree, then so many oppose, then so many do not vote."""
    agreeing: list[Choice | None] = ["agree"]
    opposing: list[Choice | None] = ["oppose"]
    return agreeing * agree + opposing * oppose + [None] * absent


def count(
    choices: Sequence[Choice | None],
    areas: Sequence[int] | None = None,
    matter: int = COMMITTEE,
    settings: Settings = PARTICIPATE,
    served: frozenset[str] = frozenset(),
) -> Result:
    flats = solo_flats(areas if areas is not None else [10000] * len(choices))
    return tally(matter, flats, solo_ballots(choices), settings, served)


# --- thresholds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matter", "expected"), [(m, "3/4" if m in (6, 7, 8) else ">1/2") for m in range(1, 10)]
)
def test_approval_threshold_by_art_278_item(matter: int, expected: str) -> None:
    assert approval_threshold(matter) == expected


@pytest.mark.parametrize("matter", [0, 10, -1, True, 7.0])
def test_approval_threshold_rejects_items_outside_1_to_9(matter: int) -> None:
    with pytest.raises(ValueError, match="1 to 9"):
        approval_threshold(matter)


@pytest.mark.parametrize(
    ("entities", "participants", "reached"),
    [
        (3, 2, True),  # exactly 2/3
        (3, 1, False),
        (6, 4, True),  # exactly 2/3, even electorate
        (6, 3, False),
        (9, 6, True),
        (9, 5, False),
        (4, 3, True),  # 2/3 of 4 is 2.67: 3 is the least that reaches it
        (4, 2, False),
        (5, 4, True),
        (5, 3, False),  # 3/5 = 0.6
        (1, 1, True),
        (1, 0, False),
    ],
)
def test_participation_headcount_boundary(entities: int, participants: int, reached: bool) -> None:
    result = count(split(agree=participants, absent=entities - participants))
    assert result.checks.participation_headcount is reached
    assert result.participating == Measure(participants, 10000 * participants)
    assert result.outcome == ("passed" if reached else "no_quorum")


@pytest.mark.parametrize(
    ("absent_area", "present_areas", "reached"),
    [
        (10000, (10000, 10000), True),  # 200.00 of 300.00: exactly 2/3
        (10001, (10000, 9999), False),  # 199.99 of 300.00
        (3333, (3334, 3334), True),  # 66.68 of 100.01: 3 * 6668 >= 2 * 10001
        (3334, (3334, 3333), False),  # 66.67 of 100.01: just below
        (1, (1, 0), False),  # odd total 3 hundredths, 1 present
        (1, (1, 1), True),  # exactly 2 of 3 hundredths
    ],
)
def test_participation_area_boundary(absent_area: int, present_areas: tuple[int, int], reached: bool) -> None:
    # Two of three entities take part, so the headcount is exactly 2/3 and only the area decides.
    result = count(["agree", "agree", None], areas=[*present_areas, absent_area])
    assert result.checks.participation_headcount
    assert result.checks.participation_area is reached
    assert result.outcome == ("passed" if reached else "no_quorum")


@pytest.mark.parametrize("matter", [6, 7, 8])
@pytest.mark.parametrize(
    ("participants", "agreeing", "approved"),
    [
        (4, 3, True),  # exactly 3/4
        (4, 2, False),
        (8, 6, True),  # exactly 3/4, even
        (8, 5, False),
        (5, 4, True),  # odd: 4/5 >= 3/4
        (5, 3, False),
        (7, 6, True),
        (7, 5, False),  # 5/7 = 0.714
        (1, 1, True),
    ],
)
def test_three_quarters_headcount_boundary(
    matter: int, participants: int, agreeing: int, approved: bool
) -> None:
    result = count(split(agree=agreeing, oppose=participants - agreeing), matter=matter)
    assert result.approval == "3/4"
    assert result.checks.approval_headcount is approved
    assert result.checks.approval_area is approved  # equal areas: the area ratio is the same
    assert result.outcome == ("passed" if approved else "rejected")


@pytest.mark.parametrize("matter", [6, 7, 8])
@pytest.mark.parametrize(
    ("agreeing_areas", "opposing_area", "approved"),
    [
        ((10000, 10000, 10000), 10000, True),  # 300.00 of 400.00: exactly 3/4
        ((10000, 10000, 9999), 10001, False),  # 299.99 of 400.00
        ((2500, 2500, 2501), 2500, True),  # 75.01 of 100.01: 4 * 7501 >= 3 * 10001
        ((2500, 2500, 2500), 2501, False),  # 75.00 of 100.01: just below
    ],
)
def test_three_quarters_area_boundary(
    matter: int, agreeing_areas: tuple[int, int, int], opposing_area: int, approved: bool
) -> None:
    # 3 of 4 agree, exactly 3/4 by headcount, so only the area decides.
    result = count(
        ["agree", "agree", "agree", "oppose"], areas=[*agreeing_areas, opposing_area], matter=matter
    )
    assert result.checks.approval_headcount
    assert result.checks.approval_area is approved
    assert result.outcome == ("passed" if approved else "rejected")


@pytest.mark.parametrize("matter", [1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize(
    ("participants", "agreeing", "approved"),
    [
        (4, 2, False),  # exactly 1/2 is not a majority (过半数)
        (4, 3, True),
        (6, 3, False),
        (6, 4, True),
        (5, 3, True),  # odd
        (5, 2, False),
        (3, 2, True),
        (2, 1, False),
        (1, 1, True),
    ],
)
def test_majority_headcount_boundary(matter: int, participants: int, agreeing: int, approved: bool) -> None:
    result = count(split(agree=agreeing, oppose=participants - agreeing), matter=matter)
    assert result.approval == ">1/2"
    assert result.checks.approval_headcount is approved
    assert result.checks.approval_area is approved
    assert result.outcome == ("passed" if approved else "rejected")


@pytest.mark.parametrize("matter", [1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize(
    ("agreeing_areas", "opposing_area", "approved"),
    [
        ((5000, 5000, 10000), 20000, False),  # 200.00 of 400.00: exactly half fails
        ((5000, 5000, 10001), 19999, True),  # 200.01 of 400.00
        ((2000, 2000, 1001), 5000, True),  # 50.01 of 100.01: 2 * 5001 > 10001
        ((2000, 2000, 1000), 5001, False),  # 50.00 of 100.01
    ],
)
def test_majority_area_boundary(
    matter: int, agreeing_areas: tuple[int, int, int], opposing_area: int, approved: bool
) -> None:
    result = count(
        ["agree", "agree", "agree", "oppose"], areas=[*agreeing_areas, opposing_area], matter=matter
    )
    assert result.checks.approval_headcount
    assert result.checks.approval_area is approved
    assert result.outcome == ("passed" if approved else "rejected")


def test_all_four_checks_are_independent() -> None:
    # Majority by headcount, minority by area: rejected, not passed.
    result = count(["agree", "agree", "oppose"], areas=[100, 100, 10000])
    assert result.checks == Checks(True, True, True, False)
    assert result.outcome == "rejected"


@pytest.mark.parametrize("matter", [3, 7])
def test_zero_participants_is_no_quorum_without_dividing(matter: int) -> None:
    result = count([None, None, None], matter=matter)
    assert result.outcome == "no_quorum"
    assert result.participating == Measure(0, 0)
    assert result.checks == Checks(False, False, False, False)


def test_only_invalid_ballots_is_no_quorum() -> None:
    flats = solo_flats([10000, 10000])
    ballots = [Ballot("u0", "o1", "agree"), Ballot("nowhere", "o0", "agree")]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.outcome == "no_quorum"
    assert result.invalid_ballots == 2
    assert not result.checks.approval_headcount and not result.checks.approval_area


def test_empty_electorate_is_no_quorum() -> None:
    result = tally(COMMITTEE, [], [Ballot("u0", "o0", "agree")], PARTICIPATE)
    assert result.outcome == "no_quorum"
    assert result.totals == Measure(0, 0)
    assert result.invalid_ballots == 1


def test_abstaining_participates_but_does_not_agree() -> None:
    result = count(["agree", "agree", "abstain", "abstain"])
    assert result.participating.headcount == 4
    assert result.agreeing.headcount == 2
    assert result.abstaining == Measure(2, 20000)
    assert result.outcome == "rejected"  # 2 of 4 is not more than half


# --- settings ---------------------------------------------------------------------------------------------


def test_spoiled_setting_flips_rejected_to_passed() -> None:
    choices: list[Choice | None] = ["agree", "agree", "spoiled"]
    counted = count(choices, matter=ELEVATOR, settings=PARTICIPATE)
    excluded = count(choices, matter=ELEVATOR, settings=EXCLUDE)
    # participate: 2 of 3 agree < 3/4; exclude: 2 of 2, and 2 of 3 still reaches the 2/3 quorum.
    assert (counted.outcome, excluded.outcome) == ("rejected", "passed")
    assert counted.participating.headcount == 3 and excluded.participating.headcount == 2
    assert counted.agreeing == excluded.agreeing


def test_spoiled_setting_flips_passed_to_no_quorum() -> None:
    choices: list[Choice | None] = ["agree", "agree", "agree", "spoiled", None, None]
    assert count(choices, settings=PARTICIPATE).outcome == "passed"  # 4 of 6 participate, 3 of 4 agree
    assert count(choices, settings=EXCLUDE).outcome == "no_quorum"  # 3 of 6 participate


def test_settings_reject_unknown_spoiled_value() -> None:
    with pytest.raises(ValueError, match="spoiled_ballots"):
        Settings(spoiled_ballots="ignore")  # type: ignore[arg-type]


# --- who counts -------------------------------------------------------------------------------------------


def test_designated_voter_alone_counts_for_a_co_owned_unit() -> None:
    flats = [Flat("101", 7000, frozenset({"p12", "p13"}), designated_voter="p12"), *solo_flats([9000])]
    ballots = [Ballot("101", "p12", "agree"), Ballot("101", "p13", "oppose"), Ballot("u0", "o0", "agree")]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.agreeing == Measure(2, 16000)
    assert result.opposing == Measure(0, 0)
    assert result.invalid_ballots == 1  # p13's ballot is ignored, and reported
    assert result.outcome == "passed"


def test_other_co_owners_ballot_does_not_stand_in_for_the_designated_voter() -> None:
    flats = [Flat("101", 7000, frozenset({"p12", "p13"}), designated_voter="p12")]
    result = tally(COMMITTEE, flats, [Ballot("101", "p13", "agree")], PARTICIPATE)
    assert result.participating == Measure(0, 0)
    assert result.invalid_ballots == 1


@pytest.mark.parametrize(("settings", "participating"), [(PARTICIPATE, 1), (EXCLUDE, 0)])
def test_conflicting_co_owners_without_designated_voter_make_the_entity_spoiled(
    settings: Settings, participating: int
) -> None:
    flats = [Flat("101", 7000, frozenset({"p12", "p13"}))]
    ballots = [Ballot("101", "p12", "agree"), Ballot("101", "p13", "oppose")]
    result = tally(COMMITTEE, flats, ballots, settings)
    assert result.participating.headcount == participating
    assert result.agreeing == result.opposing == Measure(0, 0)
    assert result.invalid_ballots == 0


def test_agreeing_co_owners_are_one_head() -> None:
    flats = [Flat("101", 7000, frozenset({"p12", "p13"}))]
    ballots = [Ballot("101", "p12", "agree"), Ballot("101", "p13", "agree")]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.totals == Measure(1, 7000)
    assert result.agreeing == Measure(1, 7000)


def test_owner_of_two_flats_is_one_entity_with_summed_area() -> None:
    flats = [Flat("101", 7000, frozenset({"p1"})), Flat("102", 8050, frozenset({"p1"})), *solo_flats([9000])]
    entities = voting_entities(flats)
    assert [(e.key, e.units, e.area) for e in entities] == [
        (frozenset({"p1"}), ("101", "102"), 15050),
        (frozenset({"o0"}), ("u0",), 9000),
    ]
    # A ballot for either flat is the entity's ballot, carrying both areas.
    result = tally(COMMITTEE, flats, [Ballot("102", "p1", "agree")], PARTICIPATE)
    assert result.totals == Measure(2, 24050)
    assert result.agreeing == Measure(1, 15050)


def test_owner_voting_differently_for_two_flats_spoils_the_entity() -> None:
    flats = [Flat("101", 7000, frozenset({"p1"})), Flat("102", 8000, frozenset({"p1"}))]
    ballots = [Ballot("101", "p1", "agree"), Ballot("102", "p1", "oppose")]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.participating == Measure(1, 15000)
    assert result.agreeing == result.opposing == Measure(0, 0)


def test_sole_owner_and_co_owner_are_two_entities() -> None:
    flats = [Flat("101", 7000, frozenset({"p1"})), Flat("102", 8000, frozenset({"p1", "p2"}))]
    entities = voting_entities(flats)
    assert [e.key for e in entities] == [frozenset({"p1"}), frozenset({"p1", "p2"})]
    # p1 may vote in both capacities, and the two votes do not conflict.
    ballots = [Ballot("101", "p1", "agree"), Ballot("102", "p1", "oppose")]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.agreeing == Measure(1, 7000)
    assert result.opposing == Measure(1, 8000)


def test_developer_units_are_one_entity_voting_as_developer() -> None:
    flats = [
        Flat("601", 9000, frozenset(), developer_unsold=True),
        Flat("101", 7000, frozenset({"p1"})),
        Flat("602", 9100, frozenset(), developer_unsold=True),
    ]
    entities = voting_entities(flats)
    assert [(e.key, e.units, e.area, e.is_developer) for e in entities] == [
        ("developer", ("601", "602"), 18100, True),
        (frozenset({"p1"}), ("101",), 7000, False),
    ]
    ballots = [
        Ballot("602", "developer", "oppose"),
        Ballot("101", "p1", "agree"),
        Ballot("601", "p1", "agree"),
    ]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.totals == Measure(2, 25100)
    assert result.opposing == Measure(1, 18100)
    assert result.invalid_ballots == 1  # p1 does not own developer stock


def test_owner_named_developer_is_not_the_developer() -> None:
    flats = [
        Flat("601", 9000, frozenset(), developer_unsold=True),
        Flat("101", 7000, frozenset({"developer"})),
    ]
    assert len(voting_entities(flats)) == 2


def test_invalid_ballots_are_counted_and_ignored() -> None:
    flats = [*solo_flats([10000, 10000]), Flat("d1", 5000, frozenset(), developer_unsold=True)]
    ballots = [
        Ballot("u0", "o0", "agree"),
        Ballot("u9", "o0", "agree"),  # unit not in the electorate
        Ballot("u1", "o0", "agree"),  # not an owner of u1
        Ballot("u1", "developer", "agree"),  # "developer" only votes for developer stock
        Ballot("d1", "o1", "oppose"),
    ]
    result = tally(COMMITTEE, flats, ballots, PARTICIPATE)
    assert result.invalid_ballots == 4
    assert result.participating == Measure(1, 10000)


@pytest.mark.parametrize(
    ("flats", "message"),
    [
        ([Flat("1", 1, frozenset({"a"})), Flat("1", 1, frozenset({"b"}))], "duplicate unit"),
        ([Flat("1", -1, frozenset({"a"}))], "negative"),
        ([Flat("1", 1, frozenset())], "no owners"),
        ([Flat("1", 1, frozenset({"a"}), designated_voter="b")], "not an owner"),
    ],
)
def test_tally_refuses_ambiguous_electorates(flats: list[Flat], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tally(COMMITTEE, flats, [], PARTICIPATE)


def test_tally_refuses_unknown_choice() -> None:
    with pytest.raises(ValueError, match="unknown choice"):
        tally(COMMITTEE, solo_flats([1]), [Ballot("u0", "o0", "yes")], PARTICIPATE)  # type: ignore[arg-type]


# --- silent majority ------------------------------------------------------------------------------------

SILENT = Settings(silent_majority=True)


def test_adjusted_result_only_with_silent_majority() -> None:
    assert count(["agree", "agree", "agree", None]).adjusted is None
    assert count(["agree", "agree", "agree", None], settings=SILENT).adjusted is not None


def test_silent_majority_adds_served_silent_entities_as_agreeing() -> None:
    # Strictly only 3 of 6 take part (no quorum); among them agree is 2 of 3 on both measures.
    choices: list[Choice | None] = ["agree", "agree", "oppose", None, None, None]
    result = count(choices, settings=SILENT, served=frozenset({"u3", "u4"}))
    assert result.outcome == "no_quorum"
    adjusted = result.adjusted
    assert adjusted is not None
    assert adjusted.participating == Measure(5, 50000)  # u5 was not served, so it is not added
    assert adjusted.agreeing == Measure(4, 40000)
    assert adjusted.opposing == Measure(1, 10000)
    assert adjusted.outcome == "passed"
    assert adjusted.adjusted is None
    # The strict figures are kept as they were.
    assert result.participating == Measure(3, 30000) and result.agreeing == Measure(2, 20000)


def test_silent_majority_adds_served_silent_entities_as_opposing() -> None:
    choices: list[Choice | None] = ["oppose", "oppose", "agree", None, None, None]
    result = count(choices, settings=SILENT, served=frozenset({"u3", "u4", "u5"}))
    adjusted = result.adjusted
    assert result.outcome == "no_quorum"
    assert adjusted is not None
    assert adjusted.opposing == Measure(5, 50000)
    assert adjusted.agreeing == Measure(1, 10000)
    assert adjusted.outcome == "rejected"


def test_silent_majority_adds_nobody_without_a_majority_on_both_measures() -> None:
    # Agree is a majority by headcount (2 of 3) but not by area.
    choices: list[Choice | None] = ["agree", "agree", "oppose", None, None, None]
    areas = [1000, 1000, 50000, 1000, 1000, 1000]
    result = count(choices, areas=areas, settings=SILENT, served=frozenset({"u3", "u4", "u5"}))
    adjusted = result.adjusted
    assert adjusted is not None
    assert adjusted.participating == result.participating
    assert adjusted.agreeing == result.agreeing
    assert adjusted.opposing == result.opposing
    assert adjusted.outcome == result.outcome == "no_quorum"


def test_silent_majority_adds_nobody_on_a_tie() -> None:
    choices: list[Choice | None] = ["agree", "oppose", None, None]
    result = count(choices, settings=SILENT, served=frozenset({"u2", "u3"}))
    assert result.adjusted is not None
    assert result.adjusted.participating == result.participating


def test_silent_majority_with_zero_participants_adds_nobody() -> None:
    result = count([None, None, None], settings=SILENT, served=frozenset({"u0", "u1", "u2"}))
    assert result.adjusted is not None
    assert result.adjusted.participating == Measure(0, 0)
    assert result.adjusted.outcome == "no_quorum"


def test_silent_majority_counts_an_entity_once_if_any_of_its_units_was_served() -> None:
    flats = [
        *solo_flats([10000, 10000, 10000]),
        Flat("a", 5000, frozenset({"p"})),
        Flat("b", 6000, frozenset({"p"})),
    ]
    ballots = solo_ballots(["agree", "agree", "oppose"])
    result = tally(COMMITTEE, flats, ballots, SILENT, served=frozenset({"b", "not-a-unit"}))
    assert result.adjusted is not None
    assert result.adjusted.agreeing == Measure(3, 31000)
    assert result.adjusted.participating == Measure(4, 41000)


def test_silent_majority_ignores_served_units_that_participated() -> None:
    choices: list[Choice | None] = ["agree", "agree", "oppose", None]
    result = count(choices, settings=SILENT, served=frozenset({"u0", "u1", "u2"}))
    assert result.adjusted is not None
    assert result.adjusted.participating == result.participating


def test_silent_majority_adds_an_excluded_spoiled_entity_that_was_served() -> None:
    # Under "exclude" a spoiled entity did not participate, so as a served entity it is silent.
    choices: list[Choice | None] = ["agree", "agree", "spoiled"]
    settings = Settings(spoiled_ballots="exclude", silent_majority=True)
    result = count(choices, settings=settings, served=frozenset({"u2"}))
    assert result.adjusted is not None
    assert result.adjusted.agreeing == Measure(3, 30000)


# --- areas ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hundredths"),
    [("880.00", 88000), ("70", 7000), ("70.5", 7050), ("0.01", 1), ("0", 0), ("007.10", 710)],
)
def test_parse_area_is_exact(text: str, hundredths: int) -> None:
    assert parse_area(text) == hundredths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("70.001", "more than two decimals"),
        ("-70.00", "negative"),
        ("-0", "negative"),
        ("1e3", "not a decimal number"),
        ("70.", "not a decimal number"),
        (".5", "not a decimal number"),
        ("+70", "not a decimal number"),
        (" 70", "not a decimal number"),
        ("70\n", "not a decimal number"),
        ("", "not a decimal number"),
        ("七十", "not a decimal number"),
        ("\u0667\u0660", "not a decimal number"),  # Arabic-Indic digits, which int() would accept
        ("nan", "not a decimal number"),
        ("9" * 40, "too large"),
    ],
)
def test_parse_area_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_area(text)
    assert "\n" not in str(caught.value)


def test_parse_area_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="decimal string"):
        parse_area(70.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hundredths", "text"), [(88000, "880.00"), (1, "0.01"), (0, "0.00"), (-150, "-1.50")]
)
def test_format_area(hundredths: int, text: str) -> None:
    assert format_area(hundredths) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_area_round_trips(hundredths: int) -> None:
    assert parse_area(format_area(hundredths)) == hundredths


# --- what is still missing --------------------------------------------------------------------------------


def test_missing_for_participation_example() -> None:
    missing = missing_for_participation(Measure(12, 90000), Measure(6, 48200))
    assert missing == Measure(2, 11800)
    assert (missing.headcount, format_area(missing.area)) == (2, "118.00")


@pytest.mark.parametrize(
    ("total", "participating", "needed"),
    [
        (3, 2, 0),
        (3, 1, 1),
        (3, 0, 2),
        (4, 2, 1),
        (4, 3, 0),
        (5, 3, 1),
        (9, 5, 1),
        (10, 0, 7),
        (0, 0, 0),
        (6, 6, 0),
    ],
)
def test_missing_for_participation_rounds_up(total: int, participating: int, needed: int) -> None:
    assert missing_for_participation(Measure(total, total), Measure(participating, participating)) == Measure(
        needed, needed
    )


@given(st.integers(min_value=1, max_value=10**9), st.data())
def test_missing_for_participation_is_the_least_that_reaches_two_thirds(
    total: int, data: st.DataObject
) -> None:
    participating = data.draw(st.integers(min_value=0, max_value=total))
    needed = missing_for_participation(Measure(total, total), Measure(participating, participating)).area
    assert 3 * (participating + needed) >= 2 * total
    assert needed == 0 or 3 * (participating + needed - 1) < 2 * total


# --- properties -------------------------------------------------------------------------------------------

OWNER_IDS = ["p0", "p1", "p2", "p3", "p4", "p5"]
CHOICE_VALUES: list[Choice] = ["agree", "oppose", "abstain", "spoiled"]


@st.composite
def votes(draw: st.DrawFn) -> tuple[int, list[Flat], list[Ballot], Settings, frozenset[str]]:
    """Small electorates with shared owner sets, co-owners, developer stock and stray ballots."""
    flats: list[Flat] = []
    for i in range(draw(st.integers(min_value=1, max_value=10))):
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            flats.append(Flat(f"u{i}", draw(st.integers(0, 20000)), frozenset(), developer_unsold=True))
            continue
        owners = draw(st.frozensets(st.sampled_from(OWNER_IDS), min_size=1, max_size=3))
        designated = draw(st.none() | st.sampled_from(sorted(owners)))
        flats.append(Flat(f"u{i}", draw(st.integers(0, 20000)), owners, designated_voter=designated))
    units = [flat.unit for flat in flats] + ["elsewhere"]
    ballot = st.builds(
        Ballot,
        unit=st.sampled_from(units),
        voter=st.sampled_from([*OWNER_IDS, "developer", "tenant"]),
        choice=st.sampled_from(CHOICE_VALUES),
    )
    # Most flats get a ballot from someone entitled to cast it, leaning to agree, so that every outcome
    # comes up; stray ballots (strangers, unknown units, other co-owners) are mixed in.
    ballots: list[Ballot] = []
    for flat in flats:
        if draw(st.integers(min_value=0, max_value=3)) > 0:
            voter = draw(st.sampled_from(sorted(flat.owners) or ["developer"]))
            choice = draw(st.sampled_from(["agree", "agree", "agree", *CHOICE_VALUES]))
            ballots.append(Ballot(flat.unit, voter, choice))
    ballots = draw(st.permutations(ballots + draw(st.lists(ballot, max_size=8))))
    settings = Settings(
        spoiled_ballots=draw(st.sampled_from(["participate", "exclude"])), silent_majority=draw(st.booleans())
    )
    served = draw(st.frozensets(st.sampled_from(units)))
    return draw(st.integers(min_value=1, max_value=9)), flats, ballots, settings, served


def valid_voter(flat: Flat) -> str:
    if flat.designated_voter is not None:
        return flat.designated_voter
    return "developer" if flat.developer_unsold else min(flat.owners)


@given(votes(), st.data())
def test_one_more_agreeing_entity_never_undoes_a_pass(
    vote: tuple[int, list[Flat], list[Ballot], Settings, frozenset[str]], data: st.DataObject
) -> None:
    matter, flats, ballots, settings, served = vote
    entity = data.draw(st.sampled_from(voting_entities(flats)))
    # Replace everything said for this entity by one valid "agree" ballot: its choice becomes agree.
    flat_of = {flat.unit: flat for flat in flats}
    changed = [b for b in ballots if b.unit not in entity.units]
    changed.append(Ballot(entity.units[0], valid_voter(flat_of[entity.units[0]]), "agree"))
    before = tally(matter, flats, ballots, settings, served)
    after = tally(matter, flats, changed, settings, served)
    if before.outcome == "passed":
        assert after.outcome == "passed"
    if before.adjusted is not None and before.adjusted.outcome == "passed":
        assert after.adjusted is not None and after.adjusted.outcome == "passed"
    assert after.agreeing.headcount >= before.agreeing.headcount


def scaled(measure: Measure, k: int) -> Measure:
    return Measure(measure.headcount, measure.area * k)


@given(votes(), st.integers(min_value=1, max_value=10**6))
def test_scaling_every_area_leaves_the_outcome_unchanged(
    vote: tuple[int, list[Flat], list[Ballot], Settings, frozenset[str]], k: int
) -> None:
    matter, flats, ballots, settings, served = vote
    before = tally(matter, flats, ballots, settings, served)
    after = tally(matter, [replace(flat, area=flat.area * k) for flat in flats], ballots, settings, served)
    for old, new in [(before, after), (before.adjusted, after.adjusted)]:
        if old is None or new is None:
            assert old is new
            continue
        assert (new.outcome, new.checks, new.invalid_ballots) == (
            old.outcome,
            old.checks,
            old.invalid_ballots,
        )
        assert new.totals == scaled(old.totals, k)
        assert new.participating == scaled(old.participating, k)
        assert new.agreeing == scaled(old.agreeing, k)
        assert new.opposing == scaled(old.opposing, k)


@given(votes(), st.data())
def test_ballot_and_flat_order_do_not_matter(
    vote: tuple[int, list[Flat], list[Ballot], Settings, frozenset[str]], data: st.DataObject
) -> None:
    matter, flats, ballots, settings, served = vote
    expected = tally(matter, flats, ballots, settings, served)
    shuffled_ballots = data.draw(st.permutations(ballots))
    shuffled_flats = data.draw(st.permutations(flats))
    assert tally(matter, flats, shuffled_ballots, settings, served) == expected
    assert tally(matter, shuffled_flats, shuffled_ballots, settings, served) == expected
