"""`yishi shares FILE`: JSON out and exit 0, or one error line on stderr and exit 2."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from votes.shares_cli import shares_main

GOOD: dict[str, Any] = {
    "schema": "yishi.cost-shares/1",
    "total": "1000.00",
    "subsidy": "100.00",
    "fixed": {"一单元101": "50.00"},
    "scheme": {"kind": "area"},
    "flats": [
        {"unit": "一单元101", "floor": 1, "area": "70.00"},
        {"unit": "201", "floor": 2, "area": "90.00"},
        {"unit": "301", "floor": 3, "area": "80.00"},
    ],
}
# 1000.00 − 100.00 − 50.00 = 850.00 shared over 170 m² = 5.00 per m²: 450.00 and 400.00.
GOOD_OUTPUT = {"shares": {"一单元101": "50.00", "201": "450.00", "301": "400.00"}, "total": "1000.00"}


def write(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "shares.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def assert_error(capsys: pytest.CaptureFixture[str], code: int, fragment: str) -> None:
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert err.startswith("yishi shares: error: ")
    assert fragment in err


def test_prints_shares_as_indented_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = shares_main([write(tmp_path, json.dumps(GOOD))])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert json.loads(out) == GOOD_OUTPUT
    assert out == json.dumps(GOOD_OUTPUT, indent=2, ensure_ascii=False) + "\n"
    assert "一单元101" in out  # not \u-escaped


def test_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(GOOD).encode())))
    code = shares_main(["-"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert json.loads(out) == GOOD_OUTPUT


def test_accepts_a_utf8_byte_order_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = shares_main([write(tmp_path, b"\xef\xbb\xbf" + json.dumps(GOOD).encode())])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == GOOD_OUTPUT


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = shares_main([str(tmp_path / "nope.json")])
    assert_error(capsys, code, "cannot read")


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_error(capsys, shares_main([str(tmp_path)]), "cannot read")


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"]])
def test_wrong_number_of_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert_error(capsys, shares_main(argv), "usage: yishi shares FILE")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{", "bad JSON"),
        ("", "bad JSON"),
        ('{"total": NaN}', "NaN is not allowed"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ("[" * 100_000 + "]" * 100_000, "bad JSON"),
        ('{"total": ' + "9" * 5000 + "}", "bad JSON"),
        (b"\xff\xfe{", "not UTF-8"),
    ],
)
def test_bad_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, fragment: str
) -> None:
    assert_error(capsys, shares_main([write(tmp_path, content)]), fragment)


def test_duplicate_fixed_unit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(GOOD).replace('"fixed": {', '"fixed": {"201": "1.00", "201": "2.00", ')
    assert_error(capsys, shares_main([write(tmp_path, text)]), "duplicate key '201'")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"schema": "other/1"}, "unknown schema"),
        ({"scheme": {"kind": "lottery"}}, "unknown scheme kind"),
        ({"total": "1000.001"}, "at most two decimals"),
        ({"total": "-1000.00"}, "negative"),
        ({"subsidy": "990.00"}, "exceed the total"),
        (
            {"scheme": {"kind": "floor_coefficients", "coefficients": {"1": "0"}}},
            "no coefficient for floor 2",
        ),
        (
            {
                "scheme": {"kind": "stairs"},
                "flats": [*GOOD["flats"][:1], {"unit": "102", "floor": 1, "area": "1"}],
            },
            "weight 0",
        ),
    ],
)
def test_malformed_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], fragment: str
) -> None:
    assert_error(capsys, shares_main([write(tmp_path, json.dumps({**GOOD, **changes}))]), fragment)


def test_duplicate_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {**GOOD, "flats": [*GOOD["flats"], {"unit": "201", "floor": 4, "area": "1"}]}
    assert_error(capsys, shares_main([write(tmp_path, json.dumps(data))]), "duplicate unit '201'")


def test_error_stays_on_one_line_when_input_holds_line_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {**GOOD, "schema": "a\nb\u2028c"}
    assert_error(capsys, shares_main([write(tmp_path, json.dumps(data))]), "unknown schema")
