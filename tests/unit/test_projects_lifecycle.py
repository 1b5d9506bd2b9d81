"""A project after its vote: notice period boundaries, objections, consents of occupied flats, matter defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from votes.projects import kinds
from votes.projects.lifecycle import (
    ConsentFact,
    ObjectionFact,
    RoundFacts,
    blocks_approval,
    days_left,
    last_day,
    may_lodge_online,
    may_start_new_round,
    notice_end,
    objection_status,
    project_state,
    received_in_time,
    terms_locked,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 22 November 2026, 23:30 in Shanghai: still the 22nd there, already the 22nd 15:30 in UTC.
CLOSED = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
ENDS = notice_end(CLOSED, 15, SHANGHAI)


def test_notice_period_follows_civil_code_day_counting():
    # Art. 201: the day of publication is not counted; Art. 203: the last day ends at 24:00.
    assert last_day(ENDS, SHANGHAI) == date(2026, 12, 7)
    assert ENDS == datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)


def test_notice_period_uses_the_communitys_day_not_utc():
    just_after_midnight_local = datetime(2026, 11, 22, 16, 5, tzinfo=UTC)  # 23 November 00:05 in Shanghai
    assert last_day(notice_end(just_after_midnight_local, 15, SHANGHAI), SHANGHAI) == date(2026, 12, 8)


def test_notice_countdown_and_boundaries():
    passed = RoundFacts("closed", "passed", ENDS)
    last_second = ENDS - timedelta(microseconds=1)
    assert project_state(passed, [], [], last_second).status == "notice"
    assert project_state(passed, [], [], ENDS).status == "approved"
    assert days_left(ENDS, datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI), SHANGHAI) == 0  # the last day
    assert days_left(ENDS, datetime(2026, 11, 22, 23, 45, tzinfo=SHANGHAI), SHANGHAI) == 15  # publication day
    assert days_left(ENDS, ENDS, SHANGHAI) == 0
    with pytest.raises(ValueError):
        notice_end(CLOSED, 0, SHANGHAI)


def test_paper_objections_count_if_received_from_publication_to_the_last_day():
    assert received_in_time(date(2026, 11, 22), CLOSED, ENDS, SHANGHAI)
    assert received_in_time(date(2026, 12, 7), CLOSED, ENDS, SHANGHAI)
    assert not received_in_time(date(2026, 12, 8), CLOSED, ENDS, SHANGHAI)
    assert not received_in_time(date(2026, 11, 21), CLOSED, ENDS, SHANGHAI)


def test_online_objections_only_while_the_notice_runs():
    passed = RoundFacts("closed", "passed", ENDS)
    during = ENDS - timedelta(days=1)
    assert may_lodge_online(project_state(passed, [], [], during), during)
    assert not may_lodge_online(project_state(passed, [], [], ENDS), ENDS)


def test_objection_status_follows_the_last_handling_step():
    assert objection_status([]) == "open"
    assert objection_status(["talks"]) == "in_progress"
    assert objection_status(["talks", "mediation", "resolved"]) == "resolved"
    assert objection_status(["talks", "unresolved"]) == "unresolved"
    assert objection_status(["resolved", "talks"]) == "in_progress"  # reopened
    assert [blocks_approval(s) for s in ("open", "in_progress", "unresolved", "resolved", "withdrawn")] == [
        True, True, True, False, False,
    ]  # fmt: skip


def test_approved_only_when_notice_over_objections_settled_and_every_occupied_flat_consented():
    after = ENDS + timedelta(hours=1)
    passed = RoundFacts("closed", "passed", ENDS)
    objections = [ObjectionFact(1, "resolved"), ObjectionFact(2, "unresolved"), ObjectionFact(3, "in_progress")]
    consents = [ConsentFact("3-2-101", "given"), ConsentFact("3-2-102", "pending"), ConsentFact("3-2-201", "refused")]
    state = project_state(passed, objections, consents, after)
    assert state.status == "pending"
    assert [(p.kind, p.number, p.unit) for p in state.pending] == [
        ("objection", 2, ""), ("objection", 3, ""), ("consent_missing", 0, "3-2-102"), ("consent_refused", 0, "3-2-201"),
    ]  # fmt: skip
    settled = [ObjectionFact(1, "resolved"), ObjectionFact(2, "withdrawn")]
    all_given = [ConsentFact("3-2-101", "given")]
    assert project_state(passed, settled, all_given, after).status == "approved"
    during = project_state(passed, settled, all_given, ENDS - timedelta(seconds=1))
    assert during.status == "notice" and [p.kind for p in during.pending] == ["notice_period"]


def test_states_before_and_without_a_pass():
    assert project_state(None, [], [], CLOSED).status == "draft"
    assert project_state(RoundFacts("draft", None), [], [], CLOSED).status == "draft"
    assert project_state(RoundFacts("open", None), [], [], CLOSED).status == "voting"
    assert project_state(RoundFacts("closed", None), [], [], CLOSED).status == "voting"  # closed, not counted yet
    assert project_state(RoundFacts("closed", "rejected"), [], [], CLOSED).status == "rejected"
    assert project_state(RoundFacts("closed", "no_quorum"), [], [], CLOSED).status == "no_decision"
    # A missing consent is shown even before the vote.
    assert project_state(None, [], [ConsentFact("1-1-101", "pending")], CLOSED).pending[0].kind == "consent_missing"


def test_terms_freeze_once_the_vote_opens_and_a_new_round_needs_a_closed_vote():
    assert not terms_locked([])
    assert not terms_locked(["draft"]) and not terms_locked(["scheduled"])
    assert terms_locked(["open"]) and terms_locked(["closed"])
    assert not may_start_new_round(["open"]) and may_start_new_round(["closed"])


def test_matter_defaults_follow_the_rules_with_a_reason():
    settings = kinds.ProjectSettings()
    elevator = kinds.matter_choice("elevator", settings, chosen=5)
    assert (elevator.matter, elevator.fixed) == (7, True)  # adding an elevator is always item 7
    assert "item 7" in elevator.reason
    assert kinds.matter_choice("insulation", settings, None).matter == 7
    assert kinds.matter_choice("insulation", kinds.ProjectSettings(insulation_matter=5), None).matter == 5
    roof = kinds.matter_choice("roof", settings, chosen=7)
    assert (roof.matter, roof.default, roof.overridden) == (7, 5, True)
    assert kinds.matter_choice("other", settings, chosen=3).matter == 9  # items 1–4 never fit works


def test_community_settings_parse_with_defaults_and_errors():
    assert kinds.parse_settings(None) == (kinds.ProjectSettings(15, 7), {})
    settings, errors = kinds.parse_settings({"notice_days": "30", "insulation_matter": "5"})
    assert settings == kinds.ProjectSettings(30, 5) and errors == {}
    _settings, errors = kinds.parse_settings({"notice_days": "0", "insulation_matter": "6"})
    assert set(errors) == {"notice_days", "insulation_matter"}
