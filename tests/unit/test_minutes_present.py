"""What the minutes pages compute from published content: the four checks, countdowns, pseudonymised records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from deliberation.minutes.present import check_rows, countdown, percent_text
from votes.disclosure import pseudonymise as redact_record
from votes.record import parse_record, record_to_json, result_to_json, tally_record


def test_the_four_checks_with_exact_figures():
    result = {
        "outcome": "rejected",
        "thresholds": {"participation": "2/3", "approval": ">1/2"},
        "totals": {"headcount": 12, "area": "880.00"},
        "participating": {"headcount": 8, "area": "586.67"},
        "agreeing": {"headcount": 4, "area": "300.00"},
        "checks": {"participation_headcount": True, "participation_area": True, "approval_headcount": False, "approval_area": True},
    }
    rows = {row.key: row for row in check_rows(result)}
    assert (rows["participation_headcount"].part, rows["participation_headcount"].whole) == (8, 12)
    assert rows["participation_headcount"].fraction == "8/12"
    assert rows["participation_headcount"].percent == "66.67%"
    assert (rows["participation_area"].part, rows["participation_area"].whole) == (58667, 88000)
    assert rows["participation_area"].fraction == "586.67/880.00"
    assert rows["approval_headcount"].threshold == ">1/2" and rows["approval_headcount"].sign == ">"
    assert rows["approval_headcount"].ratio == "1/2" and not rows["approval_headcount"].passed
    assert rows["participation_area"].sign == "≥" and rows["participation_area"].ratio == "2/3"
    assert (rows["approval_area"].part, rows["approval_area"].whole) == (30000, 58667)


def test_percentages_round_half_up_and_never_divide_by_zero():
    assert percent_text(2, 3) == "66.67%"
    assert percent_text(1, 8) == "12.50%"
    assert percent_text(1, 200000) == "0.00%"
    assert percent_text(0, 0) == "—"


def test_countdown_rounds_down_and_ends():
    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    left = countdown(now + timedelta(days=3, hours=5, minutes=59), now)
    assert (left.days, left.hours, left.over) == (3, 5, False)
    assert countdown(now, now).over
    assert countdown(now - timedelta(seconds=1), now).over


RECORD = {
    "schema": "yishi.vote-record/1",
    "vote": {"id": "v-5", "title": "3号楼2单元加装电梯", "matter": 7},
    "settings": {"spoiled_ballots": "participate", "silent_majority": True},
    "electorate": [
        {"unit": "3-2-101", "area": "70.00", "owners": ["p12", "p13"], "designated_voter": "p12"},
        {"unit": "3-2-102", "area": "90.00", "owners": ["p40"]},
        {"unit": "3-2-201", "area": "90.00", "owners": ["p40"]},
        {"unit": "3-2-601", "area": "90.00", "owners": ["p41"]},
        {"unit": "3-2-602", "area": "90.00", "owners": [], "developer_unsold": True},
    ],
    "ballots": [
        {"unit": "3-2-101", "voter": "p12", "choice": "agree", "channel": "online"},
        {"unit": "3-2-102", "voter": "p40", "choice": "agree", "channel": "paper", "proxy": "x7"},
        {"unit": "3-2-601", "voter": "p41", "choice": "oppose", "channel": "online"},
        {"unit": "3-2-602", "voter": "developer", "choice": "agree"},
        {"unit": "3-2-999", "voter": "p99", "choice": "agree"},
    ],
    "served": ["3-2-201", "3-2-601"],
}


def _result(record: dict) -> dict:
    return result_to_json(tally_record(parse_record(record)))


def test_a_redacted_record_recounts_to_the_same_result_and_reveals_no_unit():
    redacted = redact_record(RECORD, "salt-1")
    assert _result(redacted) == _result(RECORD)
    text = str(redacted)
    for secret in ("3-2-101", "3-2-601", "p12", "p40", "x7", "p99"):
        assert secret not in text
    assert any(b["voter"] == "developer" for b in redacted["ballots"])
    # The same salt gives the same pseudonyms; another salt other ones.
    assert redact_record(RECORD, "salt-1") == redacted
    assert redact_record(RECORD, "salt-2") != redacted
    # Still a record `yishi recount` reads: it parses and writes back the same.
    parsed = parse_record(redacted)
    assert record_to_json(parsed)["electorate"] == redacted["electorate"]


units = st.lists(st.sampled_from([f"3-2-{f}0{r}" for f in range(1, 7) for r in (1, 2)]), min_size=1, max_size=12, unique=True)


@given(units, st.lists(st.sampled_from(["agree", "oppose", "abstain", "spoiled"]), min_size=12, max_size=12), st.text(max_size=8))
def test_redaction_never_changes_the_count(chosen, choices, salt):
    record = {
        "schema": "yishi.vote-record/1",
        "vote": {"matter": 7},
        "settings": {"spoiled_ballots": "participate", "silent_majority": False},
        "electorate": [{"unit": u, "area": "80.00", "owners": [f"o{i % 5}"]} for i, u in enumerate(chosen)],
        "ballots": [{"unit": u, "voter": f"o{i % 5}", "choice": choices[i]} for i, u in enumerate(chosen) if i % 3],
        "served": [],
    }
    assert _result(redact_record(record, salt)) == _result(record)
