"""Pure rules of deliberation: lifecycle and agenda lock, who may do what, the edit window, the queue, attendance."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from community.safetext import form_datetime
from deliberation import attendance_rules, rules, uploads
from deliberation.attendance_rules import FlatPlace
from deliberation.rules import AccessFacts, RuleError
from deliberation.text import excerpt, render_markdown

T0 = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)


def test_lifecycle_runs_one_way():
    assert rules.next_status("draft", "publish_notice") == "noticed"
    assert rules.next_status("noticed", "start") == "in_session"
    assert rules.next_status("in_session", "close") == "closed"
    for status, action in [("draft", "start"), ("draft", "close"), ("noticed", "publish_notice"), ("noticed", "close"),
                           ("in_session", "start"), ("closed", "close"), ("closed", "start")]:
        with pytest.raises(RuleError):
            rules.next_status(status, action)
    with pytest.raises(RuleError):
        rules.next_status("draft", "reopen")


def test_agenda_locks_at_the_notice():
    assert rules.agenda_editable("draft")
    for status in ("noticed", "in_session", "closed"):
        assert not rules.agenda_editable(status)
    # After the notice an item comes only with a new notice, and not at all once closed.
    assert [rules.item_needs_new_notice(s) for s in rules.MEETING_STATUSES] == [False, True, True, False]
    assert rules.details_editable("draft") and not rules.details_editable("noticed")
    assert rules.people_editable("in_session") and not rules.people_editable("closed")
    assert [rules.comments_open(s) for s in rules.MEETING_STATUSES] == [False, True, True, False]


def facts(**changes) -> AccessFacts:
    base = dict(account_id=7, is_site_admin=False, roles=frozenset(), status="in_session", facilitator_id=1,
                recorder_id=2, attached=False, verified=False)
    return AccessFacts(**{**base, **changes})


def test_access_of_residents():
    tenant = rules.access(facts(attached=True))
    assert tenant.view and tenant.comment and tenant.raise_hand and not tenant.check_in and not tenant.control
    verified = rules.access(facts(attached=True, verified=True))
    assert verified.check_in
    outsider = rules.access(facts())
    assert not (outsider.view or outsider.comment or outsider.check_in or outsider.raise_hand)
    draft = rules.access(facts(attached=True, verified=True, status="draft"))
    assert not draft.view and not draft.comment and not draft.check_in
    closed = rules.access(facts(attached=True, verified=True, status="closed"))
    assert closed.view and not closed.comment and not closed.check_in and not closed.raise_hand


def test_access_of_staff_and_the_meetings_own_people():
    organiser = rules.access(facts(roles=frozenset({"facilitator"}), status="draft"))
    assert organiser.view and organiser.control and organiser.record
    grid = rules.access(facts(roles=frozenset({"grid_worker"})))
    assert grid.view and grid.comment and not grid.control and not grid.record
    own_facilitator = rules.access(facts(account_id=1))
    assert own_facilitator.control and own_facilitator.view
    own_recorder = rules.access(facts(account_id=2, roles=frozenset({"recorder"})))
    assert own_recorder.record and not own_recorder.control
    admin = rules.access(facts(is_site_admin=True))
    assert admin.control


def test_edit_window_is_ten_minutes_for_the_author_only():
    assert rules.can_edit_comment(7, 7, T0, T0 + timedelta(minutes=10), hidden=False)
    assert not rules.can_edit_comment(7, 7, T0, T0 + timedelta(minutes=10, seconds=1), hidden=False)
    assert not rules.can_edit_comment(7, 8, T0, T0, hidden=False)
    assert not rules.can_edit_comment(7, 7, T0, T0, hidden=True)
    assert not rules.can_edit_comment(None, 7, T0, T0, hidden=False)


def test_comment_rules():
    assert rules.validate_comment("support", "好", is_reply=False) == {}
    assert set(rules.validate_comment("", "好", is_reply=False)) == {"position"}
    assert rules.validate_comment("", "好", is_reply=True) == {}
    assert set(rules.validate_comment("support", "   ", is_reply=False)) == {"body"}
    assert set(rules.validate_comment("support", "字" * 2001, is_reply=False)) == {"body"}
    assert not rules.over_comment_limit(rules.COMMENT_LIMIT - 1)
    assert rules.over_comment_limit(rules.COMMENT_LIMIT)
    assert rules.validate_hide_reason("") and rules.validate_hide_reason("x" * 301)
    assert rules.validate_hide_reason("含有隐私") == {}


def meeting_form(**changes) -> rules.MeetingForm:
    base = dict(kind="bench", title="加装电梯", scope_kind="building", scope_ids=(3,), starts_at=T0, ends_at=None,
                speaking_limit_minutes=3)
    return rules.MeetingForm(**{**base, **changes})


def test_meeting_form_rules():
    assert rules.validate_meeting(meeting_form(), frozenset({3})) == {}
    assert set(rules.validate_meeting(meeting_form(kind="party"), frozenset({3}))) == {"kind"}
    assert set(rules.validate_meeting(meeting_form(scope_ids=()), frozenset({3}))) == {"scope_ids"}
    assert set(rules.validate_meeting(meeting_form(scope_ids=(9,)), frozenset({3}))) == {"scope_ids"}
    assert rules.validate_meeting(meeting_form(scope_kind="community", scope_ids=()), frozenset()) == {}
    assert set(rules.validate_meeting(meeting_form(ends_at=T0), frozenset({3}))) == {"ends_at"}
    assert set(rules.validate_meeting(meeting_form(starts_at=None), frozenset({3}))) == {"starts_at"}
    assert set(rules.validate_meeting(meeting_form(speaking_limit_minutes=0), frozenset({3}))) == {"speaking_limit"}
    assert set(rules.validate_meeting(meeting_form(speaking_limit_minutes=61), frozenset({3}))) == {"speaking_limit"}


def test_local_times_are_read_in_the_community_time_zone():
    moment = form_datetime("2026-12-01T19:30", "Asia/Shanghai")
    assert moment == T0
    assert rules.local_input_value(T0, "Asia/Shanghai") == "2026-12-01T19:30"
    assert form_datetime("tomorrow", "Asia/Shanghai") is None
    assert form_datetime("", "Asia/Shanghai") is None


def test_moving_items():
    assert rules.moved([1, 2, 3], 3, "up") == [1, 3, 2]
    assert rules.moved([1, 2, 3], 1, "up") == [1, 2, 3]
    assert rules.moved([1, 2, 3], 3, "down") == [1, 2, 3]
    assert rules.moved([1, 2, 3], 9, "down") == [1, 2, 3]


@given(st.lists(st.integers(), unique=True, min_size=1), st.data())
def test_moving_keeps_every_item_once(order, data):
    item = data.draw(st.sampled_from(order))
    direction = data.draw(st.sampled_from(["up", "down"]))
    assert sorted(rules.moved(order, item, direction)) == sorted(order)


def test_speaking_timer():
    assert rules.spoken_seconds(0, None, T0) == 0
    assert rules.spoken_seconds(40, T0, T0 + timedelta(seconds=95)) == 135
    assert rules.spoken_seconds(40, T0 + timedelta(seconds=5), T0) == 40  # clocks never make it go back
    assert rules.format_clock(0) == "0:00"
    assert rules.format_clock(185) == "3:05"
    assert rules.format_clock(3725) == "1:02:05"


def place(flat: int, unit: int, area: int) -> FlatPlace:
    return FlatPlace(flat_id=flat, unit_id=unit, building_id=10, compound_id=100, area=area, unit_label=f"{unit}单元")


def test_attendance_counts_households_and_area_per_unit():
    flats = [place(1, 1, 8550), place(2, 1, 9000), place(3, 2, 12025), place(4, 2, 6000)]
    summary = attendance_rules.attendance_summary(flats, [1, 3, 99])
    assert summary.total == attendance_rules.Count(households_present=2, households=4, area_present=20575, area=35575)
    assert summary.total.household_percent == 50
    assert summary.total.area_percent == 57  # 20575/35575 = 57.8…%, rounded down
    assert [(u.unit_label, u.count.households_present, u.count.households) for u in summary.units] == [
        ("1单元", 1, 2), ("2单元", 1, 2)]
    empty = attendance_rules.attendance_summary([], [])
    assert empty.total.household_percent == 0 and empty.total.area_percent == 0


def test_scope_covers_flats():
    p = FlatPlace(flat_id=1, unit_id=5, building_id=6, compound_id=7, area=100)
    assert attendance_rules.in_scope(p, "community", [])
    assert attendance_rules.in_scope(p, "compound", [7]) and not attendance_rules.in_scope(p, "compound", [8])
    assert attendance_rules.in_scope(p, "building", [6]) and not attendance_rules.in_scope(p, "building", [5])
    assert attendance_rules.in_scope(p, "stairwell_unit", [5]) and not attendance_rules.in_scope(p, "stairwell_unit", [6])
    assert not attendance_rules.in_scope(p, "elsewhere", [5])


def test_markdown_is_sanitised():
    html = str(render_markdown("# 标题\n\n**重要** <script>alert(1)</script> [链接](javascript:alert(1)) "
                               "[好链接](https://example.org) <img src=x onerror=alert(1)>\n\n- 一\n- 二"))
    assert "<h3>标题</h3>" in html and "<strong>重要</strong>" in html
    assert "<script" not in html and "javascript:" not in html.replace("[链接](javascript:alert(1))", "")
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer">好链接</a>' in html
    assert "<li>一</li>" in html
    assert excerpt("# 标题\n**粗体**说明", 6) == "标题 粗体…"


def _image(fmt: str, size=(2000, 1000)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_uploads_are_sniffed_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_UPLOAD_DIR", str(tmp_path))
    assert uploads.sniff(b"%PDF-1.7 ...") == "application/pdf"
    assert uploads.sniff(_image("PNG")) == "image/png"
    assert uploads.sniff(_image("WEBP")) == "image/webp"
    assert uploads.sniff(b"GIF89a....") is None
    assert uploads.sniff(b"<html>") is None
    stored = uploads.store(_image("PNG"))
    assert stored.content_type == "image/png" and (stored.width, stored.height) == (1600, 800)
    assert uploads.path_of(stored.stored_name).exists() and uploads.path_of(stored.stored_name, thumb=True).exists()
    small = uploads.store(_image("JPEG", (800, 600)))
    assert (small.width, small.height) == (800, 600)  # never enlarged
    with pytest.raises(uploads.UploadRefused):
        uploads.store(b"\xff\xd8\xff" + b"not really a jpeg")
    with pytest.raises(uploads.UploadRefused):
        uploads.store(b"")
    uploads.remove(stored.stored_name)
    assert not uploads.path_of(stored.stored_name).exists()
