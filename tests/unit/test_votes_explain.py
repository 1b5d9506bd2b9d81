"""The result in plain words: the sentence, the four checks at their boundaries, the silent-majority clause."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from votes.explain import ballot_problems, explain
from votes.explanation import Explanation, percent, percent_against
from votes.record import result_to_json
from votes.rules import Ballot, Choice, Flat, Settings, tally
from votes.settings import VoteSettings

ELEVATOR = 7  # needs >= 3/4
COMMITTEE = 3  # needs > 1/2


def flats(areas: Sequence[int]) -> list[Flat]:
    return [Flat(f"u{i}", area, frozenset({f"o{i}"})) for i, area in enumerate(areas)]


def explained(
    choices: Sequence[Choice | None],
    areas: Sequence[int] | None = None,
    matter: int = COMMITTEE,
    settings: VoteSettings = VoteSettings(),
    served: frozenset[str] = frozenset(),
) -> Explanation:
    """Count solo entities with the real rules, store the result as the close does, then explain it."""
    electorate = flats(areas if areas is not None else [10000] * len(choices))
    ballots = [Ballot(f"u{i}", f"o{i}", c) for i, c in enumerate(choices) if c is not None]
    result = tally(matter, electorate, ballots, Settings(settings.spoiled_ballots, settings.silent_majority), served)
    detail: dict[str, object] = {
        "opposing": {"headcount": result.opposing.headcount, "area": "0.00"},
        "abstaining": {"headcount": result.abstaining.headcount, "area": "0.00"},
        "ballot_problems": ballot_problems(electorate, ballots),
    }
    if result.adjusted is not None:
        detail["adjusted_opposing"] = {"headcount": result.adjusted.opposing.headcount, "area": "0.00"}
    return explain(result_to_json(result), detail, settings)


def english(explanation: Explanation, which: str = "standing") -> str:
    """The plain sentence as the English page shows it."""
    reading = getattr(explanation, which)
    return " ".join(m.text % m.values for m in reading.messages)


def statuses(explanation: Explanation, which: str = "standing") -> dict[str, str]:
    reading = getattr(explanation, which)
    return {check.key: check.status for check in reading.checks}


def test_the_example_sentence_of_a_passed_vote() -> None:
    stored = {
        "outcome": "passed",
        "thresholds": {"participation": "2/3", "approval": "3/4"},
        "totals": {"headcount": 26, "area": "1000.00"},
        "participating": {"headcount": 18, "area": "712.00"},
        "agreeing": {"headcount": 15, "area": "598.08"},
        "checks": {"participation_headcount": True, "participation_area": True, "approval_headcount": True,
                   "approval_area": True},
        "invalid_ballots": 0,
        "adjusted": None,
    }
    ex = explain(stored, None, VoteSettings())
    (sentence,) = ex.standing.sentences
    assert ex.standing.verdict.text == "Passed."
    assert sentence.text.startswith("%(part)s of %(total)s households took part")
    assert sentence.text.endswith("reaching 3/4.")
    assert sentence.values == {"part": "18", "total": "26", "part_area": "71.2%", "agree": "15", "agree_area": "84.0%"}
    assert english(ex) == (
        "Passed. 18 of 26 households took part (71.2% of the area); of them 15 agreed (84.0% of the area), "
        "reaching 3/4."
    )
    rows = {c.key: (c.fraction, c.percent, c.needed, c.status) for c in ex.standing.checks}
    assert rows == {
        "participation_headcount": ("18/26", "69.2%", "≥ 2/3", "met"),
        "participation_area": ("712.00/1000.00", "71.2%", "≥ 2/3", "met"),
        "approval_headcount": ("15/18", "83.3%", "≥ 3/4", "met"),
        "approval_area": ("598.08/712.00", "84.0%", "≥ 3/4", "met"),
    }
    assert ex.adjusted is None and ex.readings == (ex.strict,) and ex.strict.kind == "result"


def test_exactly_two_thirds_participation_is_met() -> None:
    ex = explained(["agree", "agree", None])
    assert ex.standing.outcome == "passed"
    assert statuses(ex)["participation_headcount"] == "met" and statuses(ex)["participation_area"] == "met"
    check = ex.standing.checks[0]
    assert (check.fraction, check.percent) == ("2/3", "66.7%")


def test_just_under_two_thirds_is_not_met_and_names_the_failed_check() -> None:
    # 2 of 3 households, but with 6666 of 10000 hundredths of area: the area check alone fails.
    ex = explained(["agree", "agree", None], areas=[3333, 3333, 3334])
    reading = ex.standing
    assert reading.outcome == "no_quorum" and reading.failed == ("participation_area",)
    assert reading.checks[1].percent == "66.66%"  # one decimal would show 66.7% beside "not met"
    assert english(ex) == (
        "No valid decision: the households that took part hold less than two thirds of the floor area. "
        "2 of 3 households took part (66.66% of the area)."
    )
    assert statuses(ex)["approval_headcount"] == "not_reached" and statuses(ex)["approval_area"] == "not_reached"


def test_exactly_half_approval_under_more_than_half_is_not_met() -> None:
    ex = explained(["agree", "agree", "oppose", "oppose"], matter=COMMITTEE)
    reading = ex.standing
    assert reading.outcome == "rejected"
    assert statuses(ex) == {"participation_headcount": "met", "participation_area": "met",
                            "approval_headcount": "not_met", "approval_area": "not_met"}
    approval = reading.checks[2]
    assert (approval.fraction, approval.percent, approval.needed) == ("2/4", "50.0%", "> 1/2")
    assert english(ex) == (
        "Rejected. 4 of 4 households took part (100.0% of the area); of them 2 agreed (50.0% of the area). "
        "Neither the agreeing households nor their floor area were more than half."
    )


def test_exactly_three_quarters_is_met_and_a_failed_area_alone_is_named() -> None:
    assert explained(["agree", "agree", "agree", "oppose"], matter=ELEVATOR).standing.outcome == "passed"
    ex = explained(["agree", "agree", "agree", "oppose"], areas=[100, 100, 100, 10000], matter=ELEVATOR)
    assert ex.standing.failed == ("approval_area",)
    assert ex.standing.sentences[1].text == "The agreeing households hold less than 3/4 of the floor area that took part."


def test_zero_participants() -> None:
    ex = explained([None, None, None])
    reading = ex.standing
    assert reading.outcome == "no_quorum"
    assert statuses(ex) == {"participation_headcount": "not_met", "participation_area": "not_met",
                            "approval_headcount": "not_reached", "approval_area": "not_reached"}
    assert [c.percent for c in reading.checks] == ["0.0%", "0.0%", "—", "—"]
    assert english(ex).startswith("No valid decision: fewer than two thirds of the households took part, and")
    assert reading.sentences[1].values == {"part": "0", "total": "3", "part_area": "0.0%"}
    assert ex.spoiled.total == 0 and ex.invalid.total == 0


def test_approval_is_never_green_when_participation_failed() -> None:
    # One of five agrees: the raw approval checks hold (1/1), but they are not reached.
    ex = explained(["agree", None, None, None, None])
    assert [c.met for c in ex.standing.checks] == [False, False, False, False]
    assert ex.standing.not_reached and ex.standing.failed == ("participation_headcount", "participation_area")


def test_silent_majority_shows_both_results_and_the_adjusted_one_stands() -> None:
    # 2 of 4 agree (no quorum); the two others were served: counted with the majority, the vote passes.
    ex = explained(
        ["agree", "agree", None, None], settings=VoteSettings(silent_majority=True), served=frozenset({"u2", "u3"})
    )
    assert ex.adjusted is not None
    assert (ex.strict.kind, ex.strict.outcome) == ("strict", "no_quorum")
    assert (ex.adjusted.kind, ex.adjusted.outcome) == ("adjusted", "passed")
    assert ex.standing is ex.adjusted and ex.readings == (ex.adjusted, ex.strict)
    assert ex.strict.heading == "Strict result" and ex.adjusted.heading == "Adjusted result (silent-majority clause)"
    assert "are counted as taking part" in ex.adjusted.sentences[0].text
    assert ex.adjusted.sentences[0].values["part"] == "4"
    assert "households took part" in ex.strict.sentences[1].text
    assert ex.notes[0].values == {"n": "2"} and "counted as agreeing" in ex.notes[0].text
    assert ex.stands_note is not None and ex.comparison_note is not None


def test_silent_majority_without_a_majority_adds_nobody() -> None:
    ex = explained(["agree", "oppose", None, None], settings=VoteSettings(silent_majority=True),
                   served=frozenset({"u2", "u3"}))
    assert ex.adjusted is not None and ex.adjusted.outcome == ex.strict.outcome == "no_quorum"
    assert ex.notes[0].text.startswith("Those who voted had no majority")


def test_spoiled_and_invalid_ballots_with_their_reasons() -> None:
    electorate = [
        Flat("a", 100, frozenset({"x", "y"})),
        Flat("b", 100, frozenset({"z"})),
        Flat("c", 100, frozenset({"p", "q"}), designated_voter="q"),
        Flat("d", 100, frozenset({"r", "s"})),
    ]
    ballots = [
        Ballot("a", "x", "agree"), Ballot("a", "y", "oppose"),  # co-owners differ
        Ballot("b", "z", "spoiled"),  # unreadable
        Ballot("b", "intruder", "agree"),  # not an owner
        Ballot("c", "p", "agree"),  # not the designated voter
        Ballot("zz", "x", "agree"),  # outside the electorate
        Ballot("d", "r", "spoiled"),  # marked spoiled by the paper desk: a co-owner's ballot differed
    ]
    spoil = ballot_problems(electorate, ballots, differed_units=frozenset({"d"}))
    assert spoil == {"spoiled": {"differed": 2, "unreadable": 1},
                     "invalid": {"not_owner": 1, "not_designated": 1, "outside": 1}}
    # The reasons follow the count itself: "a" is spoiled in the tally, so it is spoiled here, whatever the
    # co-owner rule (under "first" a second co-owner's ballot is refused and never stored).
    assert ballot_problems(electorate, ballots)["spoiled"] == {"differed": 1, "unreadable": 2}

    stored = result_to_json(tally(COMMITTEE, electorate, ballots, Settings()))
    ex = explain(stored, {"ballot_problems": spoil}, VoteSettings(conflict="spoil"))
    assert (ex.spoiled.total, ex.spoiled.reasons) == (3, (("differed", 2), ("unreadable", 1)))
    assert ex.spoiled.lines == (("the household's ballots differed", 2), ("ballot unreadable", 1))
    assert (ex.invalid.total, ex.invalid.reasons) == (3, (("not_owner", 1), ("not_designated", 1), ("outside", 1)))
    assert ex.spoiled_participate


def test_an_older_result_without_reasons_still_gives_the_totals() -> None:
    stored = result_to_json(tally(COMMITTEE, flats([100, 100, 100]), [Ballot("u0", "o0", "spoiled"),
                                                                      Ballot("u1", "o1", "agree"),
                                                                      Ballot("u9", "o9", "agree")], Settings()))
    ex = explain(stored, {"opposing": {"headcount": 0, "area": "0.00"}, "abstaining": {"headcount": 0, "area": "0.00"}},
                 VoteSettings())
    assert (ex.invalid.total, ex.invalid.reasons) == (1, (("unrecorded", 1),))
    assert (ex.spoiled.total, ex.spoiled.reasons) == (1, (("unrecorded", 1),))
    # With spoiled ballots excluded (or no detail at all) the number of spoiled households is not known.
    assert not explain(stored, None, VoteSettings(spoiled_ballots="exclude")).spoiled.known


def test_the_settings_that_applied() -> None:
    ex = explain(result_to_json(tally(COMMITTEE, flats([100]), [], Settings())), None,
                 VoteSettings(spoiled_ballots="exclude", allow_change=True, conflict="spoil", parking="include"))
    assert ex.settings == (
        ("Spoiled ballots (households)", "Do not count as taking part"),
        ("Silent-majority clause", "Not applied"),
        ("Changing a ballot", "Allowed until the close"),
        ("Co-owners without a designated voter", "Differing ballots spoil the household's ballot"),
        ("Parking spaces", "Part of owners' votes"),
    )


@pytest.mark.parametrize(
    ("part", "whole", "decimals", "shown"),
    [(1, 8, 1, "12.5%"), (1, 16, 1, "6.3%"), (2, 3, 1, "66.7%"), (1, 3, 1, "33.3%"), (5, 5, 1, "100.0%"),
     (0, 7, 1, "0.0%"), (1, 0, 1, "—"), (1, 200, 0, "1%")],
)
def test_percent_rounds_half_up_from_integers(part: int, whole: int, decimals: int, shown: str) -> None:
    assert percent(part, whole, decimals) == shown


@pytest.mark.parametrize(
    ("part", "whole", "threshold", "met", "shown"),
    [
        (2, 3, "2/3", True, "66.7%"),
        (6666, 10000, "2/3", False, "66.66%"),
        (3, 4, "3/4", True, "75.0%"),
        (7499, 10000, "3/4", False, "74.99%"),
        (1, 2, ">1/2", False, "50.0%"),
        (5001, 10000, ">1/2", True, "50.01%"),
        (100001, 200000, ">1/2", True, "50.001%"),
        (1333333, 2000000, "2/3", False, "66.66665%"),
    ],
)
def test_a_rounded_percentage_never_crosses_its_threshold(part: int, whole: int, threshold: str, met: bool,
                                                          shown: str) -> None:
    assert percent_against(part, whole, threshold, met) == shown  # type: ignore[arg-type]
