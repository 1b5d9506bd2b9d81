"""Rules of procedure (deliberation.procedure.rules, votes.periods): notice periods, what a notice states, when a
session may start, venue clashes, minimum voting periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deliberation.procedure.rules import (
    Booking,
    NoticeFacts,
    Procedure,
    clashes,
    is_placeholder_place,
    notice_problems,
    parse_procedure,
    procedure_to_json,
    start_problem,
)
from votes.periods import close_problem, parse_periods, window_problem

TZ = "Asia/Shanghai"
# 1 December 2026, 10:00 in Shanghai.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def facts(kind="owners", days=15, venue="社区议事厅", items=1, hour=11):
    """A meeting `days` calendar days after NOW, at `hour`:00 UTC (19:00 in Shanghai)."""
    return NoticeFacts(kind, NOW.replace(hour=hour) + timedelta(days=days), venue, items)


def messages(problems):
    return [p.message for p in problems]


def test_owners_meetings_need_fifteen_days_by_default_counted_in_calendar_days():
    procedure = Procedure()
    assert procedure.days_for("owners") == 15 and procedure.days_for("owners_interim") == 15
    assert procedure.days_for("bench") == 0
    assert notice_problems(facts(days=15), NOW, procedure, TZ) == []
    two_days = notice_problems(facts(days=2), NOW, procedure, TZ)
    assert len(two_days) == 1 and "at least {needed} days" in two_days[0].message
    assert two_days[0].params == {"needed": 15, "have": 2, "earliest": "2026-12-16"}
    # Days are counted in the community's time zone: 23:00 in Shanghai on the 14th day is still too early,
    # 07:00 in Shanghai on the 15th day (23:00 UTC the day before) is in time.
    assert notice_problems(facts(days=14, hour=15), NOW, procedure, TZ)
    assert notice_problems(facts(days=14, hour=23), NOW, procedure, TZ) == []
    # A bench consultation has no period unless the community sets one.
    assert notice_problems(facts("bench", days=1), NOW, procedure, TZ) == []
    strict, errors = parse_procedure({"notice_days_bench": "3"})
    assert not errors and notice_problems(facts("bench", days=2), NOW, strict, TZ)


def test_a_notice_states_time_place_and_topics():
    procedure = Procedure()
    for place in ("", "待定", " 待定。", "TBD", "另行通知"):
        assert is_placeholder_place(place) or not place.strip()
        found = messages(notice_problems(facts("bench", venue=place), NOW, procedure, TZ))
        assert any("place of the meeting" in m for m in found), place
    assert not is_placeholder_place("3号楼活动室")
    no_time = NoticeFacts("bench", None, "议事厅", 0)
    found = messages(notice_problems(no_time, NOW, procedure, TZ))
    assert any("time of the meeting" in m for m in found) and any("agenda item" in m for m in found)
    past = NoticeFacts("bench", NOW - timedelta(hours=1), "议事厅", 1)
    assert any("has passed" in m for m in messages(notice_problems(past, NOW, procedure, TZ)))


def test_a_supplementary_notice_must_leave_the_period_too():
    procedure = Procedure()
    # The item added 20 days before an owners' meeting is in time; 3 days before it is not.
    assert notice_problems(facts(days=20, venue=""), NOW, procedure, TZ, supplementary=True) == []
    late = notice_problems(facts(days=3), NOW, procedure, TZ, supplementary=True)
    assert len(late) == 1 and "later meeting" in late[0].message
    # A bench consultation in session may take an item on the spot.
    assert notice_problems(facts("bench", days=0, hour=1), NOW, procedure, TZ, supplementary=True) == []


def test_settings_parse_with_defaults_and_field_errors():
    procedure, errors = parse_procedure({"notice_days_owners": "20", "start_grace_minutes": "30"})
    assert not errors and procedure.days_for("owners") == 20 and procedure.start_grace_minutes == 30
    stored = procedure_to_json(procedure)
    assert parse_procedure(stored)[0] == procedure
    _procedure, errors = parse_procedure({"notice_days_owners": "91", "notice_days_bench": "x", "start_grace_minutes": "-1"})
    assert set(errors) == {"notice_days_owners", "notice_days_bench", "start_grace_minutes"}


def test_a_session_starts_at_the_noticed_time_less_the_grace():
    starts = NOW + timedelta(hours=42)
    early = start_problem(starts, NOW, 15)
    assert early is not None and early.params["earliest"] == starts - timedelta(minutes=15)
    assert start_problem(starts, starts - timedelta(minutes=15), 15) is None
    assert start_problem(starts, starts - timedelta(minutes=16), 15) is not None
    assert start_problem(starts, starts + timedelta(hours=1), 0) is None
    assert start_problem(None, NOW, 15) is None


def test_venue_bookings_clash_when_they_overlap():
    evening = NOW.replace(hour=11)
    first = Booking(1, "板凳会", evening, evening + timedelta(hours=1))
    no_end = Booking(2, "协调会", evening + timedelta(minutes=30))  # taken to last two hours
    later = Booking(3, "听证会", evening + timedelta(hours=1))  # starts when the first ends: no clash with it
    assert clashes(first, [first, no_end, later]) == [no_end]
    assert clashes(later, [first, no_end]) == [no_end]
    assert clashes(Booking(4, "x", evening + timedelta(hours=2, minutes=30)), [first, no_end, later]) == [later]


def test_votes_stay_open_a_minimum_period_per_matter():
    periods, errors = parse_periods({})
    assert not errors
    assert periods.minimum("owners", 7) == timedelta(days=7) and periods.minimum("poll", None) == timedelta(0)
    short = window_problem(periods, "owners", 7, None, NOW + timedelta(days=2), NOW)
    assert short is not None and short.params == {"days": 7, "earliest": NOW + timedelta(days=7)}
    assert window_problem(periods, "owners", 7, None, NOW + timedelta(days=7), NOW) is None
    # A scheduled vote's period runs from its opening.
    opens = NOW + timedelta(days=3)
    assert window_problem(periods, "owners", 5, opens, opens + timedelta(days=6), NOW) is not None
    assert window_problem(periods, "owners", 5, None, None, NOW) is None  # closed by hand: checked at the close
    assert window_problem(periods, "poll", None, None, NOW + timedelta(minutes=5), NOW) is None
    early = close_problem(periods, "owners", 7, NOW, NOW + timedelta(days=6))
    assert early is not None and early.params["earliest"] == NOW + timedelta(days=7)
    assert close_problem(periods, "owners", 7, NOW, NOW + timedelta(days=7)) is None
    custom, errors = parse_periods({"min_voting_days_matter_4": "14", "min_voting_days_poll": "2"})
    assert not errors and custom.minimum("owners", 4) == timedelta(days=14) and custom.minimum("owners", 7) == timedelta(days=7)
    assert custom.minimum("poll", None) == timedelta(days=2)
    _custom, errors = parse_periods({"min_voting_days_matter_1": "91", "min_voting_days_residents": "一"})
    assert set(errors) == {"min_voting_days_matter_1", "min_voting_days_residents"}
