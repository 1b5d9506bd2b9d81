"""Who may read, edit, sign and publish minutes; which sign-offs are due; what input is refused."""

from __future__ import annotations

from deliberation.minutes import rules


def facts(account: int, roles: set[str], admin: bool = False, published: bool = False) -> rules.Facts:
    return rules.Facts(account, admin, frozenset(roles), facilitator_id=1, recorder_id=2, published=published)


def test_the_named_recorder_and_facilitator_sign_only_for_themselves():
    assert rules.access(facts(1, {"facilitator"})).sign_as == ("facilitator",)
    assert rules.access(facts(2, {"recorder"})).sign_as == ("recorder",)
    # Another facilitator of the community edits and publishes, but signs for nobody.
    other = rules.access(facts(3, {"facilitator"}))
    assert other.edit and other.publish and other.sign_as == ()
    # A site administrator cannot sign on someone's behalf.
    assert rules.access(facts(9, set(), admin=True)).sign_as == ()


def test_staff_read_drafts_residents_do_not():
    assert rules.access(facts(4, {"grid_worker"})).view_draft
    assert not rules.access(facts(4, {"grid_worker"})).edit
    resident = rules.access(facts(5, set()))
    assert not resident.view_draft and not resident.edit and not resident.publish


def test_the_recorder_may_read_and_sign_but_not_edit():
    recorder = rules.access(facts(2, set()))
    assert recorder.view_draft and recorder.sign_as == ("recorder",) and not recorder.edit


def test_nothing_changes_once_published():
    done = rules.access(facts(1, {"facilitator"}, published=True))
    assert done.view_draft and not done.edit and not done.publish and done.sign_as == ()


def test_sign_offs_must_vouch_for_the_current_version():
    assert rules.missing_signoffs("minutes", {}, "h1") == ["recorder", "facilitator"]
    assert rules.missing_signoffs("minutes", {"recorder": "h1", "facilitator": "h0"}, "h1") == ["facilitator"]
    assert rules.missing_signoffs("minutes", {"recorder": "h1", "facilitator": "h1"}, "h1") == []
    assert rules.missing_signoffs("addendum", {"facilitator": "h1"}, "h1") == ["recorder"]
    assert rules.missing_signoffs("notice", {"facilitator": "h1"}, "h1") == []


def test_two_different_people_sign():
    eligible = {"facilitator": frozenset({1, 3}), "recorder": frozenset({1, 2, 3})}
    assert rules.validate_people(1, 2, eligible) == {}
    assert "recorder" in rules.validate_people(1, 1, eligible)
    assert "facilitator" in rules.validate_people(2, 3, eligible)
    assert "recorder" in rules.validate_people(1, None, eligible)
    assert "recorder" in rules.validate_people(1, 7, eligible)


def test_narrative_parts_and_limits():
    assert rules.narrative_parts("minutes", [4, 5]) == ("summary", "item-4", "item-5")
    assert rules.narrative_parts("addendum", [4]) == ("correction",)
    assert rules.narrative_parts("notice", []) == ("how_to_object", "summary")
    assert rules.validate_narrative("x" * 20000) == {}
    assert "text" in rules.validate_narrative("x" * 20001)


def test_notice_days():
    assert rules.parse_notice_days(" 15 ") == (15, {})
    for bad in ("2", "61", "", "十五", "１５", "7.5", "-3"):
        assert rules.parse_notice_days(bad)[0] is None, bad
