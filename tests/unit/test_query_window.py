"""The query window after a close (votes.queries): its days, its end, who may lodge when, when the result may be
final; and the record's optional history, which counting ignores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from votes import queries
from votes.projects.lifecycle import notice_end
from votes.record import RecordError, parse_record, result_to_json, tally_record

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)  # Thursday 3 December, 10:00
END = datetime(2026, 12, 11, 0, 0, tzinfo=SHANGHAI)  # 7 days: 4 December to the end of 10 December


def test_the_window_is_counted_like_a_public_notice() -> None:
    assert queries.window_end(CLOSED, 7, SHANGHAI) == END
    assert queries.last_day(END, SHANGHAI).isoformat() == "2026-12-10"
    for days in (1, 7, 15, 30):
        for moment in (CLOSED, CLOSED.replace(hour=0), CLOSED.replace(hour=23, minute=59)):
            assert queries.window_end(moment, days, SHANGHAI) == notice_end(moment, days, SHANGHAI)
    # A close late in the evening (UTC already the next day in Shanghai terms is irrelevant: local days count).
    late = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai on 3 December
    assert queries.window_end(late, 7, SHANGHAI) == END
    assert queries.window_end(CLOSED, 0, SHANGHAI) is None  # no window: final at once
    with pytest.raises(ValueError):
        queries.window_end(CLOSED, -1, SHANGHAI)


def test_queries_are_lodged_to_the_last_second_of_the_last_day_and_not_after() -> None:
    assert queries.may_lodge("preliminary", END, CLOSED)
    assert queries.may_lodge("preliminary", END, END - timedelta(seconds=1))
    assert not queries.may_lodge("preliminary", END, END)  # the first moment of the first day after
    assert not queries.may_lodge("final", END, CLOSED)
    assert not queries.may_lodge("preliminary", None, CLOSED)
    assert queries.may_correct("preliminary") and not queries.may_correct("final")


def test_the_final_result_waits_for_the_window_and_every_answer() -> None:
    last = END - timedelta(seconds=1)
    problem = queries.why_not_final("preliminary", last, END, 0, SHANGHAI)
    assert problem is not None and problem.message == queries.WINDOW_RUNS
    assert problem.params["day"].isoformat() == "2026-12-10"
    assert not queries.may_finalise("preliminary", last, END, 0)
    problem = queries.why_not_final("preliminary", END, END, 2, SHANGHAI)
    assert problem is not None and problem.message == queries.QUERIES_OPEN and problem.params == {"n": 2}
    assert not queries.may_finalise("preliminary", END, END, 1)
    assert queries.why_not_final("preliminary", END, END, 0, SHANGHAI) is None
    assert queries.may_finalise("preliminary", END, END, 0)
    assert queries.may_finalise("preliminary", CLOSED, None, 0)  # no window
    final = queries.why_not_final("final", END, END, 0, SHANGHAI)
    assert final is not None and final.message == queries.ALREADY_FINAL
    assert not queries.may_finalise("final", END, END, 0)


def test_window_days_per_kind_of_vote() -> None:
    windows, errors = queries.parse_windows({})
    assert errors == {} and windows.days == {"owners": 7, "residents": 0, "poll": 0}
    windows, errors = queries.parse_windows({"query_days_owners": "30", "query_days_residents": "0", "query_days_poll": "3"})
    assert errors == {} and windows.for_kind("owners") == 30 and windows.for_kind("poll") == 3
    assert windows.for_kind("unknown") == 0
    _windows, errors = queries.parse_windows({"query_days_owners": "0", "query_days_poll": "31", "query_days_residents": "２"})
    assert set(errors) == {"query_days_owners", "query_days_poll", "query_days_residents"}
    assert errors["query_days_owners"] == "Enter a whole number of days from 1 to 30."
    assert errors["query_days_poll"] == "Enter a whole number of days from 0 to 30."
    stored, errors = queries.parse_windows({"owners": 5, "poll": True})
    assert stored.days["owners"] == 5 and "query_days_poll" in errors


def test_the_outcome_a_result_states() -> None:
    assert queries.outcome_of({"outcome": "no_quorum", "adjusted": {"outcome": "passed"}}) == "passed"
    assert queries.outcome_of({"outcome": "rejected", "adjusted": None}) == "rejected"
    assert queries.outcome_of(None) == "" and queries.outcome_of({"options": []}) == ""


RECORD = {
    "schema": "yishi.vote-record/1",
    "vote": {"matter": 5},
    "electorate": [{"unit": "U001", "area": "70.00", "owners": ["P001"]}, {"unit": "U002", "area": "90.00", "owners": ["P002"]}],
    "ballots": [{"unit": "U001", "voter": "P001", "choice": "agree"}, {"unit": "U002", "voter": "P002", "choice": "agree"}],
}


def test_the_history_is_read_and_never_counted() -> None:
    plain = result_to_json(tally_record(parse_record(RECORD)))
    history = [{"event": "preliminary", "at": "2026-12-03T02:00:00+00:00", "outcome": "passed"},
               {"event": "correction", "number": 1, "kind": "add_ballot", "reason": "箱底漏计"},
               {"event": "final", "at": "2026-12-11T00:00:00+00:00"}]  # fmt: skip
    with_history = parse_record(json.dumps({**RECORD, "history": history}, ensure_ascii=False))
    assert result_to_json(tally_record(with_history)) == plain
    for wrong, message in (({}, "history must be a JSON array"), ([1], r"history\[0\] must be a JSON object")):
        with pytest.raises(RecordError, match=message):
            parse_record({**RECORD, "history": wrong})
