"""Dates and times typed into forms (community.safetext.form_date, form_datetime): what is a date, which years are
taken, and that every date taken can be moved into any time zone and a year on without overflowing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.safetext import FIRST_YEAR, LAST_YEAR, form_date, form_datetime

SHANGHAI = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        (" 2026-12-01 ", date(2026, 12, 1)),
        (f"{FIRST_YEAR}-01-01", date(FIRST_YEAR, 1, 1)),
        (f"{LAST_YEAR}-12-31", date(LAST_YEAR, 12, 31)),
        (f"{FIRST_YEAR - 1}-12-31", None),
        (f"{LAST_YEAR + 1}-01-01", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("20261201", None),  # fromisoformat's basic form: not what a date input sends
        ("2026-W49-1", None),
        ("", None),
        ("abc", None),
    ],
)
def test_form_date(text: str, expected: date | None) -> None:
    assert form_date(text) == expected


def test_form_datetime_reads_the_community_time_zone_and_refuses_implausible_years() -> None:
    assert form_datetime("2026-12-01T19:30", SHANGHAI) == datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    assert form_datetime("2026-12-01T19:30+00:00", SHANGHAI) == datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    for text in ("", "  ", "2026-02-30T10:00", "2026-12-01T25:61", "0001-01-01T00:00", "9999-12-31T23:59",
                 f"{FIRST_YEAR - 1}-12-31T23:59", f"{LAST_YEAR + 1}-01-01T00:00", "NaN"):  # fmt: skip
        assert form_datetime(text, SHANGHAI) is None, text


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
       st.sampled_from([SHANGHAI, "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"]))  # fmt: skip
def test_a_time_taken_moves_to_any_zone_and_a_year_on(moment: datetime, zone: str) -> None:
    taken = form_datetime(moment.isoformat(timespec="minutes"), zone)
    if taken is None:
        assert not FIRST_YEAR <= moment.year <= LAST_YEAR
        return
    for other in (UTC, ZoneInfo(SHANGHAI), ZoneInfo("Etc/GMT-14"), timezone(timedelta(hours=-12))):
        (taken.astimezone(other) + timedelta(days=366)).astimezone(UTC)
        (taken.astimezone(other) - timedelta(days=366)).astimezone(UTC)
