"""The `yishi.vote-record/1` format: strict parsing, the exact result shape, round trips and differences."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from votes.record import (
    SCHEMA,
    RecordError,
    VoteRecord,
    parse_record,
    record_to_json,
    result_to_json,
    tally_record,
)
from votes.record_compare import result_differences
from votes.rules import Ballot, Flat, Settings

SPEC_EXAMPLE: dict[str, Any] = {
    "schema": "yishi.vote-record/1",
    "vote": {"id": "v-42", "title": "3号楼2单元加装电梯", "matter": 7},
    "settings": {"spoiled_ballots": "participate", "silent_majority": False},
    "electorate": [
        {"unit": "3-2-101", "area": "70.00", "owners": ["p12", "p13"], "designated_voter": "p12"},
        {"unit": "3-2-601", "area": "90.00", "owners": ["p40"]},
        {"unit": "3-2-602", "area": "90.00", "owners": [], "developer_unsold": True},
    ],
    "ballots": [
        {"unit": "3-2-101", "voter": "p12", "choice": "agree", "channel": "online"},
        {"unit": "3-2-601", "voter": "p40", "choice": "abstain", "channel": "paper", "proxy": "x7"},
    ],
    "served": ["3-2-101", "3-2-601", "3-2-602"],
}


def spec_example() -> dict[str, Any]:
    return copy.deepcopy(SPEC_EXAMPLE)


def twelve_households(silent_majority: bool = False) -> dict[str, Any]:
    """A stairwell that reproduces the format's first published sample output: 9 of 12 agree, 670.00 of 880.00 m²."""
    electorate = [{"unit": f"{i:03d}", "area": "75.00", "owners": [f"p{i}"]} for i in range(1, 9)]
    electorate += [{"unit": f"{i:03d}", "area": "70.00", "owners": [f"p{i}"]} for i in range(9, 13)]
    choices = ["agree"] * 9 + ["oppose"] * 3
    ballots = [{"unit": f"{i:03d}", "voter": f"p{i}", "choice": c} for i, c in enumerate(choices, start=1)]
    return {
        "schema": SCHEMA,
        "vote": {"id": "v-7", "title": "elevator", "matter": 7},
        "settings": {"spoiled_ballots": "participate", "silent_majority": silent_majority},
        "electorate": electorate,
        "ballots": ballots,
    }


SPEC_OUTPUT = {
    "outcome": "passed",
    "thresholds": {"participation": "2/3", "approval": "3/4"},
    "totals": {"headcount": 12, "area": "880.00"},
    "participating": {"headcount": 12, "area": "880.00"},
    "agreeing": {"headcount": 9, "area": "670.00"},
    "checks": {
        "participation_headcount": True,
        "participation_area": True,
        "approval_headcount": True,
        "approval_area": True,
    },
    "invalid_ballots": 0,
    "adjusted": None,
}
RESULT_KEYS = [
    "outcome",
    "thresholds",
    "totals",
    "participating",
    "agreeing",
    "checks",
    "invalid_ballots",
    "adjusted",
]


def test_parses_the_spec_example() -> None:
    record = parse_record(spec_example())
    assert record.matter == 7
    assert (record.vote_id, record.title) == ("v-42", "3号楼2单元加装电梯")
    assert record.settings == Settings()
    assert record.flats[0] == Flat("3-2-101", 7000, frozenset({"p12", "p13"}), designated_voter="p12")
    assert record.flats[2] == Flat("3-2-602", 9000, frozenset(), developer_unsold=True)
    assert record.ballots[1] == Ballot("3-2-601", "p40", "abstain", channel="paper", proxy="x7")
    assert record.served == frozenset({"3-2-101", "3-2-601", "3-2-602"})


def test_parses_json_text_like_the_decoded_object() -> None:
    assert parse_record(json.dumps(SPEC_EXAMPLE)) == parse_record(spec_example())


def test_counts_the_spec_example() -> None:
    output = result_to_json(tally_record(parse_record(spec_example())))
    # 2 of 3 entities take part, but 160.00 of 250.00 m² is less than 2/3.
    assert output["outcome"] == "no_quorum"
    assert output["totals"] == {"headcount": 3, "area": "250.00"}
    assert output["participating"] == {"headcount": 2, "area": "160.00"}
    assert output["agreeing"] == {"headcount": 1, "area": "70.00"}


def test_reproduces_the_spec_output_exactly() -> None:
    output = result_to_json(tally_record(parse_record(twelve_households())))
    assert output == SPEC_OUTPUT
    assert list(output) == RESULT_KEYS
    assert list(output["thresholds"]) == ["participation", "approval"]  # type: ignore[call-overload]
    assert list(output["checks"]) == list(SPEC_OUTPUT["checks"])  # type: ignore[call-overload]
    assert json.loads(json.dumps(output)) == output


def test_adjusted_has_the_same_shape_without_adjusted() -> None:
    record = twelve_households(silent_majority=True)
    output = result_to_json(tally_record(parse_record(record)))
    adjusted = output["adjusted"]
    assert isinstance(adjusted, dict)
    assert list(adjusted) == RESULT_KEYS[:-1]
    assert adjusted == {key: value for key, value in SPEC_OUTPUT.items() if key != "adjusted"}


def test_majority_threshold_is_written_as_more_than_half() -> None:
    record = twelve_households()
    record["vote"]["matter"] = 3
    output = result_to_json(tally_record(parse_record(record)))
    assert output["thresholds"] == {"participation": "2/3", "approval": ">1/2"}


def test_defaults_for_optional_keys() -> None:
    record = spec_example()
    del record["settings"], record["served"], record["vote"]["id"], record["vote"]["title"]
    parsed = parse_record(record)
    assert parsed.settings == Settings("participate", False)
    assert parsed.served == frozenset()
    assert parsed.vote_id is None and parsed.title is None


def test_ballots_nobody_may_cast_are_invalid_not_malformed() -> None:
    record = spec_example()
    record["ballots"] += [
        {"unit": "9-9-999", "voter": "p12", "choice": "agree"},
        {"unit": "3-2-101", "voter": "p13", "choice": "oppose"},
        {"unit": "3-2-602", "voter": "developer", "choice": "oppose"},
    ]
    output = result_to_json(tally_record(parse_record(record)))
    assert output["invalid_ballots"] == 2
    assert output["participating"] == {"headcount": 3, "area": "250.00"}


def test_served_units_outside_the_electorate_are_ignored() -> None:
    record = spec_example()
    record["served"].append("9-9-999")
    assert "9-9-999" in parse_record(record).served


Mutation = Callable[[dict[str, Any]], object]


def _set(path: str, value: object) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = record
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(record: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = record
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


MALFORMED: list[tuple[str, Mutation, str]] = [
    ("unknown schema", _set("schema", "yishi.vote-record/2"), 'unknown schema "yishi.vote-record/2"'),
    ("schema not a string", _set("schema", 1), "unknown schema 1"),
    (
        "more than two decimals",
        _set("electorate/1/area", "90.001"),
        'area "90.001" has more than two decimals',
    ),
    ("negative area", _set("electorate/1/area", "-90.00"), 'area "-90.00" is negative'),
    ("area as a number", _set("electorate/1/area", 90.0), "area must be a decimal string"),
    ("area not a number", _set("electorate/1/area", "ninety"), "not a decimal number"),
    ("duplicate unit", _set("electorate/1/unit", "3-2-101"), 'duplicate unit "3-2-101"'),
    ("matter 0", _set("vote/matter", 0), "vote.matter must be an Art. 278 item from 1 to 9, got 0"),
    ("matter 10", _set("vote/matter", 10), "got 10"),
    ("matter as a string", _set("vote/matter", "7"), 'got "7"'),
    ("matter as a boolean", _set("vote/matter", True), "got true"),
    ("matter as a float", _set("vote/matter", 7.0), "got 7.0"),
    ("unknown choice", _set("ballots/0/choice", "yes"), 'unknown choice "yes"'),
    ("missing schema", _drop("schema"), 'missing key "schema"'),
    ("missing vote", _drop("vote"), 'missing key "vote"'),
    ("missing matter", _drop("vote/matter"), 'missing key "matter" in vote'),
    ("missing electorate", _drop("electorate"), 'missing key "electorate"'),
    ("missing ballots", _drop("ballots"), 'missing key "ballots"'),
    ("missing unit", _drop("electorate/0/unit"), 'missing key "unit" in electorate[0]'),
    ("missing area", _drop("electorate/0/area"), 'missing key "area" in electorate[0] (unit "3-2-101")'),
    ("missing owners", _drop("electorate/1/owners"), 'missing key "owners"'),
    ("missing voter", _drop("ballots/1/voter"), 'missing key "voter" in ballots[1]'),
    ("missing choice", _drop("ballots/1/choice"), 'missing key "choice"'),
    ("vote not an object", _set("vote", [7]), "vote must be a JSON object"),
    ("settings not an object", _set("settings", "exclude"), "settings must be a JSON object"),
    ("electorate not a list", _set("electorate", {}), "electorate must be a JSON array"),
    ("ballots not a list", _set("ballots", None), "ballots must be a JSON array"),
    ("entry not an object", _set("electorate/0", "3-2-101"), "electorate[0] must be a JSON object"),
    ("owners not a list", _set("electorate/1/owners", "p40"), "owners must be a JSON array"),
    ("owner not a string", _set("electorate/1/owners", [40]), "owners must be a non-empty string"),
    ("unit not a string", _set("electorate/1/unit", 601), "unit must be a non-empty string"),
    ("empty unit", _set("ballots/0/unit", ""), "unit must be a non-empty string"),
    ("voter not a string", _set("ballots/0/voter", 12), "voter must be a non-empty string"),
    ("channel not a string", _set("ballots/0/channel", 1), "channel must be a non-empty string"),
    ("developer flag not boolean", _set("electorate/2/developer_unsold", "yes"), "must be true or false"),
    ("silent_majority not boolean", _set("settings/silent_majority", "false"), "must be true or false"),
    ("choice as an array", _set("ballots/0/choice", ["agree"]), 'unknown choice ["agree"]'),
    ("spoiled setting as an object", _set("settings/spoiled_ballots", {}), "unknown value {}"),
    ("unknown spoiled setting", _set("settings/spoiled_ballots", "ignore"), 'unknown value "ignore"'),
    ("unknown top-level key", _set("servd", []), 'unknown key "servd" in the record'),
    ("unknown settings key", _set("settings/silent_majorty", True), 'unknown key "silent_majorty"'),
    ("unknown flat key", _set("electorate/0/designated_votr", "p13"), 'unknown key "designated_votr"'),
    ("unknown ballot key", _set("ballots/0/weight", 2), 'unknown key "weight"'),
    ("ownerless flat", _set("electorate/1/owners", []), "owners is empty"),
    ("owner listed twice", _set("electorate/1/owners", ["p40", "p40"]), "same owner twice"),
    ("designated non-owner", _set("electorate/0/designated_voter", "p99"), '"p99" is not one of its owners'),
    ("served not a list", _set("served", "3-2-101"), "served must be a JSON array"),
    ("served entry not a string", _set("served", [1]), "served must be a non-empty string"),
    (
        "two ballots of one voter for one unit",
        lambda r: r["ballots"].append({"unit": "3-2-601", "voter": "p40", "choice": "agree"}),
        'ballots[2] (unit "3-2-601"): voter "p40" already has a ballot for this unit in ballots[1]',
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [(m, msg) for _, m, msg in MALFORMED], ids=[n for n, _, _ in MALFORMED]
)
def test_malformed_records_are_refused_with_one_line_naming_the_problem(
    mutate: Mutation, message: str
) -> None:
    record = spec_example()
    mutate(record)
    with pytest.raises(RecordError) as caught:
        parse_record(record)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"schema": "yishi.vote-record/1", "schema": "x"}', 'duplicate key "schema"'),
        ('{"vote": {"matter": NaN}}', "NaN is not a JSON number"),
        ("[" * 100000 + "]" * 100000, "not valid JSON"),
    ],
)
def test_bad_json_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(RecordError, match=message) as caught:
        parse_record(text)
    assert "\n" not in str(caught.value)


def test_non_object_record_is_refused() -> None:
    with pytest.raises(RecordError, match="must be a JSON object"):
        parse_record([])  # type: ignore[arg-type]


def test_messages_quote_values_on_one_line() -> None:
    record = spec_example()
    record["electorate"][1]["unit"] = "3-2-601\nfake"
    record["electorate"][1]["area"] = "1.234"
    with pytest.raises(RecordError) as caught:
        parse_record(record)
    assert (
        str(caught.value) == 'electorate[1] (unit "3-2-601\\nfake"): area "1.234" has more than two decimals'
    )


def test_record_to_json_round_trips() -> None:
    record = VoteRecord(
        matter=8,
        settings=Settings(spoiled_ballots="exclude", silent_majority=True),
        flats=(
            Flat("A-101", 7005, frozenset({"p2", "p1"}), designated_voter="p1"),
            Flat("A-102", 1, frozenset({"p3"})),
            Flat("A-103", 9000, frozenset(), developer_unsold=True),
        ),
        ballots=(
            Ballot("A-101", "p1", "agree", channel="online"),
            Ballot("A-103", "developer", "spoiled", proxy="x1"),
        ),
        served=frozenset({"A-102", "A-103"}),
        vote_id="v-1",
        title="改变公共部分用途",
    )
    written = record_to_json(record)
    assert written["schema"] == SCHEMA
    assert written["electorate"][0] == {  # type: ignore[index]
        "unit": "A-101",
        "area": "70.05",
        "owners": ["p1", "p2"],
        "designated_voter": "p1",
    }
    text = json.dumps(written, ensure_ascii=False)
    assert parse_record(text) == record
    assert parse_record(json.loads(text)) == record


def test_record_to_json_of_a_parsed_record_counts_the_same() -> None:
    record = parse_record(spec_example())
    assert tally_record(parse_record(record_to_json(record))) == tally_record(record)


def test_result_differences_empty_when_equal() -> None:
    assert result_differences(copy.deepcopy(SPEC_OUTPUT), SPEC_OUTPUT) == []


def test_result_differences_one_line_per_leaf() -> None:
    stored = copy.deepcopy(SPEC_OUTPUT)
    stored["agreeing"]["headcount"] = 10  # type: ignore[index]
    stored["outcome"] = "rejected"
    del stored["checks"]["approval_area"]  # type: ignore[attr-defined]
    stored["extra"] = 1
    assert result_differences(stored, SPEC_OUTPUT) == [
        'outcome: stored "rejected", recomputed "passed"',
        "agreeing.headcount: stored 10, recomputed 9",
        "checks.approval_area: stored (missing), recomputed true",
        "extra: stored 1, recomputed (missing)",
    ]


def test_result_differences_are_type_exact() -> None:
    # JSON 1 is not JSON true, though Python says True == 1.
    stored = copy.deepcopy(SPEC_OUTPUT)
    stored["checks"]["approval_area"] = 1  # type: ignore[index]
    stored["invalid_ballots"] = 0.0
    assert result_differences(stored, SPEC_OUTPUT) == [
        "checks.approval_area: stored 1, recomputed true",
        "invalid_ballots: stored 0.0, recomputed 0",
    ]


def test_result_differences_between_null_and_an_adjusted_result() -> None:
    recomputed = dict(SPEC_OUTPUT, adjusted={"outcome": "passed"})
    assert result_differences(SPEC_OUTPUT, recomputed) == [
        'adjusted: stored null, recomputed {"outcome": "passed"}'
    ]
