"""`yishi tally` and `yishi recount`: exit statuses 0/1/2, JSON on stdout, one error line on stderr."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from votes.record import SCHEMA, parse_record, result_to_json, tally_record
from votes.tally_cli import recount_main, tally_main


def stairwell(silent_majority: bool = False) -> dict[str, Any]:
    """Six households, four agree, one abstains, one silent: passes an item-3 vote."""
    electorate = [{"unit": f"2-{i}01", "area": "80.00", "owners": [f"p{i}"]} for i in range(1, 7)]
    choices = ["agree", "agree", "agree", "agree", "abstain"]
    ballots = [{"unit": f"2-{i}01", "voter": f"p{i}", "choice": c} for i, c in enumerate(choices, start=1)]
    return {
        "schema": SCHEMA,
        "vote": {"id": "v-1", "title": "选举业委会", "matter": 3},
        "settings": {"spoiled_ballots": "participate", "silent_majority": silent_majority},
        "electorate": electorate,
        "ballots": ballots,
        "served": ["2-601"],
    }


def published(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "result": result_to_json(tally_record(parse_record(record)))}


def write(tmp_path: Path, data: object, name: str = "record.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def assert_one_error_line(err: str, command: str, problem: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1
    assert err.startswith(f"yishi {command}: error: ")
    assert problem in err


# --- tally ------------------------------------------------------------------------------------------------


def test_tally_prints_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = stairwell()
    assert tally_main([write(tmp_path, record)]) == 0
    out, err = capsys.readouterr()
    expected = result_to_json(tally_record(parse_record(record)))
    assert out == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(out)["outcome"] == "passed"
    assert err == ""


def test_tally_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(stairwell(silent_majority=True))))
    assert tally_main(["-"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["adjusted"]["participating"] == {"headcount": 6, "area": "480.00"}


def test_tally_accepts_a_byte_order_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(stairwell()).encode())
    assert tally_main([str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "passed"


def _with(change: dict[str, Any]) -> dict[str, Any]:
    record = stairwell()
    record["electorate"][0].update(change)
    return record


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ({**stairwell(), "schema": "yishi.vote-record/9"}, 'unknown schema "yishi.vote-record/9"'),
        (_with({"area": "80.005"}), "more than two decimals"),
        (_with({"area": "-80.00"}), "is negative"),
        (_with({"unit": "2-201"}), 'duplicate unit "2-201"'),
        ({**stairwell(), "vote": {"matter": 10}}, "from 1 to 9"),
        (
            {**stairwell(), "ballots": [{"unit": "2-101", "voter": "p1", "choice": "maybe"}]},
            'unknown choice "maybe"',
        ),
        ({**stairwell(), "settings": {"spoiled_ballots": "count"}}, 'unknown value "count"'),
    ],
    ids=["bad-json", "schema", "decimals", "negative", "duplicate", "matter", "choice", "setting"],
)
def test_tally_malformed_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, problem: str
) -> None:
    assert tally_main([write(tmp_path, content)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "tally", problem)


def test_tally_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tally_main([str(tmp_path / "absent.json")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "tally", "absent.json")


def test_tally_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tally_main([str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "tally", "cannot read")


def test_tally_non_utf8_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(stairwell(), ensure_ascii=False).encode("gbk"))
    assert tally_main([str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "tally", "not UTF-8")


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"]])
def test_tally_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert tally_main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "tally", "usage: yishi tally FILE")


# --- recount ----------------------------------------------------------------------------------------------


def test_recount_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert recount_main([write(tmp_path, published(stairwell()))]) == 0
    out, err = capsys.readouterr()
    assert out == "recount: result matches (outcome passed)\n"
    assert err == ""


def test_recount_matches_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(published(stairwell(silent_majority=True)))))
    assert recount_main(["-"]) == 0
    assert capsys.readouterr().out == "recount: result matches (outcome passed)\n"


def test_recount_reports_each_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = published(stairwell())
    record["result"]["agreeing"]["headcount"] = 5
    record["result"]["invalid_ballots"] = 1
    assert recount_main([write(tmp_path, record)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "recount: result differs (2 differences)",
        "agreeing.headcount: stored 5, recomputed 4",
        "invalid_ballots: stored 1, recomputed 0",
    ]
    assert err == ""


def test_recount_notices_a_changed_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The stored result was computed without the silent-majority clause; the record now claims it was on.
    record = published(stairwell())
    record["settings"]["silent_majority"] = True
    assert recount_main([write(tmp_path, record)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "recount: result differs (1 difference)"
    assert lines[1].startswith('adjusted: stored null, recomputed {"outcome": "passed"')


def test_recount_notices_a_changed_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = published(stairwell())
    record["ballots"] = record["ballots"][:3]  # 3 of 6 take part: no quorum
    assert recount_main([write(tmp_path, record)]) == 1
    out = capsys.readouterr().out
    assert 'outcome: stored "passed", recomputed "no_quorum"' in out.splitlines()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (stairwell(), 'no "result"'),
        ({**stairwell(), "result": "passed"}, '"result" must be a JSON object'),
        ({**published(stairwell()), "vote": {"matter": 0}}, "from 1 to 9"),
        ("[1, 2", "not valid JSON"),
    ],
    ids=["no-result", "result-not-object", "malformed", "bad-json"],
)
def test_recount_malformed_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, problem: str
) -> None:
    assert recount_main([write(tmp_path, content)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "recount", problem)


def test_recount_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert recount_main([str(tmp_path / "absent.json")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_one_error_line(err, "recount", "No such file")
