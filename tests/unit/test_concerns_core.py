"""The pure rules of residents' concerns: states, ratings, flags, who sees what, the figures against values
computed by hand, the street's ranking, and the open-data file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deliberation.concerns import core, figures, opendata
from deliberation.concerns.figures import Facts, Rate
from deliberation.concerns.standing import Place, Standing

TZ = ZoneInfo("Asia/Shanghai")
SETTINGS = core.Settings()


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


# --- States and ratings -----------------------------------------------------------------------------------------


def test_the_states_of_a_concern():
    assert core.next_status("received", "assign") == "assigned"
    assert core.next_status("received", "answer") is None  # dispatched first
    assert core.next_status("assigned", "progress") == "in_progress"
    assert core.next_status("in_progress", "answer") == "answered"
    assert core.next_status("answered", "rate_good") == "closed"
    assert core.next_status("answered", "rate_bad") == "reopened"
    assert core.next_status("reopened", "answer") == "answered"
    assert core.next_status("reopened", "assign") == "assigned"
    for action in core.TRANSITIONS:
        assert core.next_status("closed", action) is None
    with pytest.raises(ValueError, match="closed"):
        core.require_transition("closed", "progress")
    with pytest.raises(ValueError, match="present state"):
        core.require_transition("answered", "progress")


def check(**changes: object) -> core.RatingCheck:
    values: dict[str, object] = {"status": "answered", "answers": 1, "rated_answers": frozenset(), "is_reporter": True,
                                 "may_record_for_reporter": False, "on_behalf": False}
    return core.RatingCheck(**{**values, **changes})  # type: ignore[arg-type]


def test_who_may_rate_and_when():
    assert core.rating_refusal(check()) is None
    assert core.rating_refusal(check(is_reporter=False)) == core.NOT_REPORTER
    assert core.rating_refusal(check(is_reporter=False, may_record_for_reporter=True)) == core.NOT_REPORTER
    assert core.rating_refusal(check(is_reporter=False, may_record_for_reporter=True, on_behalf=True)) is None
    assert core.rating_refusal(check(on_behalf=True)) == core.NOT_REPORTER  # the reporter does not rate "for" themselves
    assert core.rating_refusal(check(rated_answers=frozenset({1}))) == core.ALREADY_RATED
    assert core.rating_refusal(check(status="closed", rated_answers=frozenset({1}))) == core.ALREADY_RATED
    assert core.rating_refusal(check(status="in_progress", answers=0)) == core.NOT_ANSWERED
    assert core.rating_refusal(check(status="reopened", answers=1, rated_answers=frozenset({1}))) == core.ALREADY_RATED
    assert core.rating_refusal(check(status="reopened", answers=1)) == core.NOT_ANSWERED
    assert core.rating_refusal(check(answers=2, rated_answers=frozenset({1}))) is None  # a new answer, a new rating


def test_after_a_rating():
    assert core.after_rating("satisfied", 0, SETTINGS) == ("closed", 0, False)
    assert core.after_rating("basically_satisfied", 1, SETTINGS) == ("closed", 1, False)
    assert core.after_rating("not_satisfied", 0, SETTINGS) == ("reopened", 1, False)
    assert core.after_rating("not_satisfied", 1, SETTINGS) == ("reopened", 2, True)  # twice: to the street
    assert core.after_rating("not_satisfied", 0, core.Settings(escalate_after=1)) == ("reopened", 1, True)


def test_an_unrated_answer_closes_after_the_communitys_days():
    answered = datetime(2026, 5, 1, 8, tzinfo=UTC)
    assert not core.auto_close_due("answered", answered, SETTINGS, answered + timedelta(days=7, seconds=-1))
    assert core.auto_close_due("answered", answered, SETTINGS, answered + timedelta(days=7))
    assert not core.auto_close_due("closed", answered, SETTINGS, answered + timedelta(days=30))
    assert not core.auto_close_due("reopened", answered, SETTINGS, answered + timedelta(days=30))
    assert core.auto_close_due("answered", answered, core.Settings(auto_close_days=2), answered + timedelta(days=2))


def test_settings_parse_and_refuse():
    assert core.parse_settings({}) == (core.Settings(), {})
    settings, errors = core.parse_settings({"auto_close_days": "10", "red_hours": "0", "yellow_days": "x", "escalate_after": "3"})
    assert settings == core.Settings(auto_close_days=10, escalate_after=3)
    assert set(errors) == {"red_hours", "yellow_days"}
    assert core.settings_to_json(core.Settings()) == {"auto_close_days": 7, "red_hours": 24, "yellow_days": 3, "escalate_after": 2}


def test_what_may_be_typed():
    assert core.validate_intake("repair", True, "", "灯坏了", 0) == {}
    errors = core.validate_intake("x", False, "长" * 201, " ", 4)
    assert errors == {"kind": core.NO_KIND, "place": core.NO_PLACE, "place_note": core.NOTE_TOO_LONG,
                      "text": core.NO_TEXT, "photos": core.TOO_MANY_PHOTOS}
    assert core.validate_intake("repair", True, "", "长" * 2001, 3) == {"text": core.TEXT_TOO_LONG}
    assert core.validate_on_behalf("phone", "", "") == {}
    assert core.validate_on_behalf("app", "名" * 101, "12ab") == {
        "channel": core.NO_CHANNEL, "reporter_name": core.NAME_TOO_LONG, "reporter_phone": core.BAD_PHONE}
    assert core.clean_phone("+86 138-0000 1234") == "13800001234"
    today = datetime(2026, 5, 1).date()
    assert core.validate_dispatch("staff", True, "", today, today) == {}
    assert core.validate_dispatch("staff", False, "", today, today) == {"handler": core.HANDLER_OUTSIDE}
    assert core.validate_dispatch("property", False, " ", None, today) == {"handler_name": core.NO_HANDLER_NAME, "due_on": core.NO_DUE}
    assert core.validate_dispatch("", False, "", today - timedelta(days=1), today) == {"handler": core.NO_HANDLER, "due_on": core.DUE_PAST}
    assert core.validate_rating("great", "好" * 501, True, "") == {
        "rating": core.NO_RATING, "comment": core.COMMENT_TOO_LONG, "heard_by": core.NO_HEARD_BY}


# --- Flags ------------------------------------------------------------------------------------------------------


def test_red_yellow_and_overdue():
    opened = datetime(2026, 5, 1, 8, tzinfo=UTC)
    fresh = core.Timing("received", opened, None, None, None)
    assert not core.flags(fresh, SETTINGS, opened + timedelta(hours=23, minutes=59)).any
    assert core.flags(fresh, SETTINGS, opened + timedelta(hours=24)).red
    assert not core.flags(fresh, core.Settings(red_hours=48), opened + timedelta(hours=30)).red
    dispatched = core.Timing("assigned", opened, opened + timedelta(hours=2), opened + timedelta(hours=2),
                             opened + timedelta(days=5))  # fmt: skip
    assert not core.flags(dispatched, SETTINGS, opened + timedelta(days=3, hours=1)).yellow
    yellow = core.flags(dispatched, SETTINGS, opened + timedelta(days=3, hours=2))
    assert yellow.yellow and not yellow.red and not yellow.overdue
    late = core.flags(dispatched, SETTINGS, opened + timedelta(days=5))
    assert late.overdue and late.yellow
    answered = core.Timing("answered", opened, opened, opened, opened + timedelta(days=1))
    assert not core.flags(answered, SETTINGS, opened + timedelta(days=30)).any  # waiting for the resident
    closed = core.Timing("closed", opened, None, None, opened)
    assert not core.flags(closed, SETTINGS, opened + timedelta(days=30)).any


# --- Who sees what ----------------------------------------------------------------------------------------------


def test_standing_by_role_and_scope():
    in_scope = Place(1, building_id=10, compound_id=100, reporter_id=7, handler_id=None, escalated=False)
    elsewhere = Place(1, building_id=20, compound_id=200, reporter_id=8, handler_id=None, escalated=False)
    common = Place(1, building_id=None, compound_id=100, reporter_id=None, handler_id=None, escalated=False)
    handed = Place(1, building_id=20, compound_id=200, reporter_id=None, handler_id=5, escalated=False)
    escalated = Place(1, building_id=20, compound_id=200, reporter_id=None, handler_id=None, escalated=True)
    foreign = Place(2, building_id=10, compound_id=100, reporter_id=7, handler_id=None, escalated=True)

    grid = Standing(1, 5, roles=frozenset({"grid_worker"}), buildings=frozenset({10}), compounds=frozenset({100}))
    assert [grid.sees(p) for p in (in_scope, elsewhere, common, handed, escalated, foreign)] == [True, False, True, True, False, False]
    assert grid.handles(in_scope) and grid.handles(handed) and not grid.handles(elsewhere) and not grid.dispatcher
    assert grid.may_record_at(10, 100) and grid.may_record_at(None, 100) and not grid.may_record_at(20, 200)

    facilitator = Standing(1, 6, roles=frozenset({"facilitator"}), buildings=None)
    assert all(facilitator.sees(p) for p in (in_scope, elsewhere, common, handed, escalated))
    assert not facilitator.sees(foreign) and facilitator.dispatcher and facilitator.handles(elsewhere)
    recorder = Standing(1, 9, roles=frozenset({"recorder"}), buildings=None)
    assert recorder.sees(elsewhere) and not recorder.handles(elsewhere) and not recorder.dispatcher

    street = Standing(1, 11, street_staff=True)
    assert [street.sees(p) for p in (in_scope, escalated, foreign)] == [False, True, False]
    assert street.handles(escalated) and not street.dispatcher

    reporter = Standing(1, 7)
    assert reporter.sees(in_scope) and reporter.is_reporter(in_scope) and not reporter.sees_as_staff(in_scope)
    assert not reporter.sees(elsewhere) and not reporter.handles(in_scope) and not reporter.sees(foreign)
    admin = Standing(2, 99, is_site_admin=True, buildings=None)
    assert admin.sees(foreign) and admin.dispatcher


# --- Figures, by hand -------------------------------------------------------------------------------------------


def facts() -> list[Facts]:
    """Six concerns received in May 2026 (Shanghai time) and two just outside it."""
    a = local(5, 3, 10)
    b = local(5, 5, 9)
    c = local(5, 10, 8)
    d = local(5, 20, 9)
    h = local(5, 15, 8)
    return [
        Facts(1, "repair", "app", "1", "closed", a, a + timedelta(hours=2), a + timedelta(hours=30), a + timedelta(hours=30),
              local(5, 7), a + timedelta(days=3), 0, "satisfied"),
        Facts(2, "repair", "phone", "1", "closed", b, b + timedelta(hours=30), b + timedelta(hours=50), local(5, 12),
              local(5, 8), local(5, 13), 1, "satisfied"),
        Facts(3, "parking", "app", "", "in_progress", c, c + timedelta(hours=1), None, None, local(5, 12)),
        Facts(4, "neighbour_dispute", "visit", "2", "answered", d, d + timedelta(hours=5), d + timedelta(hours=48),
              d + timedelta(hours=48), local(5, 26)),
        Facts(5, "other", "box", "2", "received", local(5, 31, 23, 30)),
        Facts(6, "repair", "app", "1", "received", local(6, 1, 0, 10)),  # June
        Facts(7, "repair", "app", "1", "received", local(4, 30, 23, 59)),  # April
        Facts(8, "elderly", "phone", "1", "closed", h, h + timedelta(hours=3), h + timedelta(hours=20),
              h + timedelta(hours=20), local(5, 21), h + timedelta(days=2), 0, "basically_satisfied"),
    ]


def test_month_figures_match_the_hand_count():
    now = datetime(2026, 6, 10, tzinfo=UTC)
    f = figures.month_figures(facts(), 2026, 5, TZ, SETTINGS, now)
    assert f.label == "2026-05" and f.received == 6
    assert f.by_kind == (("repair", 2), ("parking", 1), ("neighbour_dispute", 1), ("elderly", 1), ("other", 1))
    assert f.by_channel == (("app", 2), ("phone", 2), ("box", 1), ("visit", 1))
    assert len(f.by_day) == 31 and f.by_day[2] == 1 and f.by_day[30] == 1 and sum(f.by_day) == 6
    # First responses: 2 h, 30 h, 1 h, 5 h, 3 h → median 3 h.
    assert f.median_first_response_minutes == 180 and f.median_first_response_hours == "3.0"
    assert f.response == Rate(4, 6)  # No. 2 answered after 30 h; No. 5 never, and its 24 h are over
    assert f.answered_on_time == Rate(4, 5)  # No. 3 is past its due date without an answer
    assert f.first_handling == Rate(2, 3)  # closed: 1, 2, 8; No. 2 was reopened
    assert f.satisfaction == Rate(3, 3)
    assert f.resolution == Rate(3, 4)  # answered: 1, 2, 4, 8; closed on a good rating: 1, 2, 8
    assert f.on_time_closure == Rate(2, 5)  # due: 1, 2, 3, 4, 8; No. 2's last answer came after its due date
    assert (f.open_now, f.overdue, f.escalated) == (2, 1, 0)
    assert [r.percent for r in (f.response, f.answered_on_time, f.first_handling, f.on_time_closure)] == ["67%", "80%", "67%", "40%"]
    assert Rate(0, 0).percent == "—" and Rate(1, 8).percent == "13%" and Rate(1, 200).percent == "1%"


def test_figures_judge_only_what_can_be_judged_yet():
    opened = local(5, 31, 20)
    young = [Facts(1, "repair", "app", "1", "received", opened)]
    early = figures.month_figures(young, 2026, 5, TZ, SETTINGS, opened + timedelta(hours=2))
    assert early.response == Rate(0, 0) and early.median_first_response_hours == "—"
    later = figures.month_figures(young, 2026, 5, TZ, SETTINGS, opened + timedelta(hours=25))
    assert later.response == Rate(0, 1)


def test_the_heat_table_keeps_disputes_private_when_public():
    may = [f for f in facts() if local(5, 1) <= f.opened_at < local(6, 1)]
    staff = figures.heat_table(may, ["1", "2", "3"], include_private=True)
    assert staff.rows == ("1", "2", "") and staff.count("1", "repair") == 2 and staff.count("2", "neighbour_dispute") == 1
    assert staff.peak == 2
    public = figures.heat_table(may, ["1", "2", "3"], include_private=False)
    assert "neighbour_dispute" not in public.kinds and public.count("2", "neighbour_dispute") == 0
    assert public.rows == ("1", "2", "")


def test_months():
    assert figures.parse_month("2026-05") == (2026, 5)
    for bad in ("2026-13", "26-05", "2026/05", "２０２６-05", ""):
        assert figures.parse_month(bad) is None
    assert figures.previous_month(2026, 1) == (2025, 12)
    start, end = figures.month_bounds(2026, 12, TZ)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert figures.median_minutes([4, 1, 3, 2]) == 2 and figures.median_minutes([]) is None
    assert figures.hours_text(0) == "0.0" and figures.hours_text(93) == "1.6" and figures.hours_text(87) == "1.5"


def test_the_street_ranks_its_communities():
    def month(response: Rate, resolution: Rate, satisfaction: Rate, closure: Rate) -> figures.MonthFigures:
        empty = Rate(0, 0)
        return figures.MonthFigures(2026, 5, 1, (), (), (), None, empty, empty, satisfaction, response, resolution, closure, 0, 0, 0)

    ranked = figures.ranking([
        ("a", "甲社区", month(Rate(9, 10), Rate(1, 2), Rate(8, 10), Rate(1, 1))),
        ("b", "乙社区", month(Rate(10, 10), Rate(3, 4), Rate(8, 10), Rate(0, 1))),
        ("c", "丙社区", month(Rate(0, 0), Rate(0, 0), Rate(0, 0), Rate(0, 0))),
    ])
    assert [r.slug for r in ranked] == ["b", "a", "c"]
    b, a, c = ranked
    assert b.ranks == {"response": 1, "resolution": 1, "satisfaction": 1, "on_time_closure": 2} and b.overall == 1
    assert a.ranks == {"response": 2, "resolution": 2, "satisfaction": 1, "on_time_closure": 1} and a.overall == 2
    assert c.ranks == {"response": 3, "resolution": 3, "satisfaction": 3, "on_time_closure": 3} and c.overall == 3
    assert figures.hot_topics(facts(), 2) == [("repair", 4), ("parking", 1)]


# --- Open data --------------------------------------------------------------------------------------------------


def row(**changes: object) -> opendata.Row:
    values: dict[str, object] = {
        "id": 12, "community": "xfl", "opened_at": datetime(2026, 5, 3, 17, 30, tzinfo=UTC), "kind": "repair",
        "building": "1", "unit": "2", "channel": "app", "status": "closed", "handler_kind": "staff",
        "first_response_at": datetime(2026, 5, 3, 19, 6, tzinfo=UTC), "closed_at": datetime(2026, 5, 6, 2, tzinfo=UTC),
        "reopen_count": 1, "rating": "satisfied",
    }
    return opendata.Row(**{**values, **changes})  # type: ignore[arg-type]


def test_the_open_data_file():
    body = opendata.write([row(), row(id=3, kind="neighbour_dispute", building="2", unit="1"),
                           row(id=5, building="=HYPERLINK(1)", first_response_at=None, closed_at=None, rating="")], TZ)
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "id,opened_on,type,building,unit,channel,status,handler_kind,first_response_hours,closed_on,reopened,rating"
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["5", "2026-05-04", "repair", "'=HYPERLINK(1)", "2", "app", "closed", "staff", "", "", "1", ""]
    assert rows[2] == ["12", "2026-05-04", "repair", "1", "2", "app", "closed", "staff", "1.6", "2026-05-06", "1", "satisfied"]
    assert rows[3] == ["", "2026-05-04", "neighbour_dispute", "", "", "", "closed", "", "", "", "", ""]  # only counted
    street = opendata.write([row(), row(community="ak", id=1)], TZ, with_community=True).decode("utf-8-sig").splitlines()
    assert street[0].startswith("community,id,opened_on,") and street[1].startswith("ak,1,") and street[2].startswith("xfl,12,")
