"""Vote settings (built-in, community, per vote) and the vote's life cycle with an injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from votes.lifecycle import can_edit, due_transition, publish_target, window_errors, window_state
from votes.matters import describe_settings, threshold_sentence
from votes.settings import VoteSettings, builtin_defaults, effective, from_json, parse_overrides, to_json

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_builtin_defaults_follow_rules_md() -> None:
    owners = builtin_defaults("owners")
    assert owners == VoteSettings()
    assert owners.spoiled_ballots == "participate" and not owners.silent_majority and not owners.allow_change
    assert builtin_defaults("poll").allow_change is True


def test_layers_community_then_vote() -> None:
    community = {"proxy_limit": 5, "allow_change": True, "conflict": "spoil"}
    settings = effective("owners", community, {"proxy_limit": "2"})
    assert settings.proxy_limit == 2 and settings.allow_change and settings.conflict == "spoil"
    # Polls take the poll defaults, not the owners' community defaults.
    assert effective("poll", {"allow_change": False}, {}).allow_change is True
    # The silent-majority clause belongs to Art. 278 votes only.
    assert effective("residents", {"silent_majority": True}, {}).silent_majority is False


@pytest.mark.parametrize(
    "bad",
    [{"proxy_limit": "-1"}, {"proxy_limit": "100"}, {"proxy_limit": True}, {"spoiled_ballots": "maybe"}, {"show_live": "2"}],
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        parse_overrides(bad)


def test_empty_values_mean_the_default_and_json_round_trips() -> None:
    assert parse_overrides({"proxy_limit": "", "unknown": "x"}) == {}
    settings = VoteSettings(spoiled_ballots="exclude", proxy_limit=0, show_live=True)
    assert from_json(to_json(settings)) == settings


def test_settings_are_described_in_plain_words() -> None:
    lines = dict(describe_settings("owners", VoteSettings(silent_majority=True)))
    assert "Owners who do not vote" in lines and "majority" in lines["Owners who do not vote"]
    assert "Owners who do not vote" not in dict(describe_settings("poll", VoteSettings()))
    assert "three quarters" in threshold_sentence("owners", 7)
    assert "more than half" in threshold_sentence("owners", 3)


def test_transitions_and_window() -> None:
    assert due_transition("scheduled", NOW - HOUR, None, NOW) == "open"
    assert due_transition("scheduled", NOW + HOUR, None, NOW) is None
    assert due_transition("open", None, NOW, NOW) == "close"  # closing time reached exactly
    assert due_transition("open", None, NOW + HOUR, NOW) is None
    assert due_transition("draft", NOW - HOUR, NOW - HOUR, NOW) is None  # drafts wait for the facilitator
    assert window_state("open", None, NOW, NOW) == "closed"
    assert window_state("open", None, None, NOW) == "open"
    assert window_state("scheduled", NOW + HOUR, None, NOW) == "not_open"
    assert window_state("draft", None, None, NOW) == "draft"
    assert can_edit("draft") and can_edit("scheduled") and not can_edit("open") and not can_edit("closed")
    assert publish_target(None, NOW) == "open" and publish_target(NOW + HOUR, NOW) == "scheduled"
    assert window_errors(None, NOW - HOUR, NOW) == {"closes_at": "The closing time must be in the future."}
    assert window_errors(NOW + 2 * HOUR, NOW + HOUR, NOW) == {"closes_at": "The vote must close after it opens."}
    assert window_errors(NOW + HOUR, NOW + 2 * HOUR, NOW) == {}
