"""Pure text and number rules for what comes in and goes out: ids that fit the database, dates a form may name,
control characters refused on input, XML and CSV kept well-formed and harmless on output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

# PostgreSQL `integer` (Serial ids and the foreign keys to them); SQLite's 64-bit integer is wider.
MAX_ID = 2**31 - 1
MIN_INT = -(2**31)

# The years a date typed into a form may name. Outside them it is a slip of the keyboard, and year 1 or 9999 cannot
# even be moved into another time zone or a day on by Python's datetime (OverflowError: a 500 when the form is sent,
# or, stored, on every page that shows it).
FIRST_YEAR, LAST_YEAR = 1900, 2999

# C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates; the two non-characters XML forbids.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Characters XML 1.0 cannot carry at all, not even as character references (C1 controls are allowed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")


def int_in_range(value: int) -> bool:
    """Whether `value` fits the database's integer (and so may name a row)."""
    return MIN_INT <= value <= MAX_ID


def parse_id(text: object) -> int | None:
    """An id typed in a form, query or channel name: ASCII digits within range, else None."""
    value = str(text if text is not None else "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if int_in_range(number) else None


def out_of_range(text: str) -> bool:
    """Whether `text` is an integer (as Litestar would parse it) too large for the database."""
    value = text.strip()
    return bool(_INTEGER.fullmatch(value)) and not int_in_range(int(value))


def form_date(text: str) -> date | None:
    """A yyyy-mm-dd date typed into a form (a date input sends that form); None when it is not one, or its year is
    outside FIRST_YEAR..LAST_YEAR."""
    text = text.strip()
    if not _DATE.fullmatch(text):  # fromisoformat also takes "20261224" and week dates ("2026-W49-1")
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def form_datetime(text: str, timezone: str) -> datetime | None:
    """A datetime-local value ("2026-12-01T19:30") read in `timezone` (unless it names its own offset); None when it
    is not one, or its year is outside FIRST_YEAR..LAST_YEAR."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def xml_text(text: str) -> str:
    """`text` without the characters an XML 1.0 document cannot contain (escaping cannot save those)."""
    return _NOT_XML.sub("", text)


def csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text: no control characters (tab, LF, CR stay), and a leading
    = + - @ behind a single quote, so it is never run as a formula."""
    cleaned = _CONTROL.sub("", text)
    return "'" + cleaned if cleaned.startswith(FORMULA_STARTS) else cleaned


def csv_value(text: str) -> str:
    """The reverse of `csv_cell` for a register read back in: the quote added in front of a formula-like
    cell is not part of the value."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def form_list(form: Mapping[str, Any], name: str) -> list[str]:
    """Every value of a multi-valued form field (checkboxes): from Litestar's form data or a plain mapping."""
    getall = getattr(form, "getall", None)
    if getall is not None:
        try:
            return [str(v) for v in getall(name)]
        except KeyError:
            return []
    value = form.get(name)
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []
