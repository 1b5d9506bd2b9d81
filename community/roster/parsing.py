"""Validate the register's rows: every cell of the template checked, every problem collected."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Final

from community.roster.template import (
    COLUMN_BY_ALIAS,
    REQUIRED,
    AreaSource,
    FlatKey,
    FlatRow,
    IdentityKey,
    PersonRef,
    Problem,
    Usage,
    format_area,
    normalise_header,
    problem,
)

__all__ = ["parse_rows"]

# --------------------------------------------------------------------------- value parsing

_AREA_SOURCES: Final[dict[str, AreaSource]] = {
    "登记": "registered",
    "registered": "registered",
    "实测": "surveyed",
    "surveyed": "surveyed",
    "合同": "contract",
    "contract": "contract",
}
_USAGES: Final[dict[str, Usage]] = {
    "住宅": "residential",
    "residential": "residential",
    "商业": "commercial",
    "commercial": "commercial",
    "车位": "parking",
    "parking": "parking",
}
_YES_NO: Final[dict[str, bool]] = {
    "是": True,
    "否": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}

_LIST_SEPARATOR: Final = re.compile(r"[、;；]")
# ASCII digits only: after NFKC, anything else (Arabic-Indic digits, superscripts) is a typo, not a number.
_AREA_RE: Final = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
_FLOOR_RE: Final = re.compile(r"[+-]?[0-9]+")
_PHONE_STRIP: Final = re.compile(r"[\s\-]+")
_PHONE_RE: Final = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_ID_SUFFIX_RE: Final = re.compile(r"[0-9A-Z]{4}")
# Guards against unit slips (cm², a lost decimal point) and keeps values inside a 32-bit column.
_MAX_AREA: Final = 1_000_000_00
_FLOOR_RANGE: Final = (-50, 300)


def _nfkc(text: str) -> str:
    # Full-width digits and letters (７０．５, １３８…) are common from Chinese input methods.
    return unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text


def _parse_area(text: str) -> int | str:
    """Exact integer hundredths, or the problem code."""
    match = _AREA_RE.fullmatch(_nfkc(text))
    if match is None:
        return "area_not_number"
    sign, whole, decimals = match.group(1), match.group(2), match.group(3) or ""
    if not whole and not decimals:
        return "area_not_number"
    # 70.500 is still two decimals; only significant digits count.
    decimals = decimals.rstrip("0")
    if len(decimals) > 2:
        return "area_too_many_decimals"
    value = int(whole or "0") * 100 + int(decimals.ljust(2, "0"))
    if sign == "-":
        value = -value
    if value <= 0:
        return "area_not_positive"
    if value > _MAX_AREA:
        return "area_too_large"
    return value


def _split_names(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATOR.split(text) if part.strip()]


def _split_positions(text: str) -> list[str]:
    # Positions matter (one per owner, in order), so an empty slot stays as "".
    return [part.strip() for part in _LIST_SEPARATOR.split(text)]


def _normalise_phone(text: str) -> str | None:
    match = _PHONE_RE.fullmatch(_PHONE_STRIP.sub("", _nfkc(text)))
    return match.group(1) if match else None


# --------------------------------------------------------------------------- parse_rows

_LIST_COLUMNS: Final = ("owners", "owner_ids", "phones", "tenants")
_TEXT_REQUIRED: Final = ("compound", "building", "unit", "room")
_SHARED: Final = ("compound", "building", "unit", "room")


def parse_rows(raw_rows: Iterable[Mapping[str, str | None]]) -> tuple[list[FlatRow], list[Problem]]:
    """Validate raw rows (keys: alias or Chinese header; row i is line i + 2) and collect every problem.

    Rows are returned only when there is no problem at all (import is all-or-nothing).
    All-blank rows are skipped but still count for line numbers.
    """
    problems: list[Problem] = []
    rows: list[FlatRow] = []
    first_line_of: dict[FlatKey, int] = {}
    reported_missing: set[str] = set()
    data_rows = 0
    last_keys: tuple[str, ...] | None = None
    pairs: list[tuple[str, str]] = []
    missing: list[str] = []
    shared: dict[str, str] = {}

    for index, raw in enumerate(raw_rows):
        keys = tuple(raw)
        # Rows from one file share their keys; map headers to aliases once, not per row.
        if keys != last_keys:
            last_keys = keys
            pairs = []
            seen: set[str] = set()
            for key in keys:
                alias = normalise_header(key)
                if alias is not None and alias not in seen:
                    seen.add(alias)
                    pairs.append((key, alias))
            missing = [alias for alias in REQUIRED if alias not in seen]
        values = {alias: "" if (value := raw[key]) is None else value.strip() for key, alias in pairs}
        if not any(values.values()):
            continue
        # A compound, building or unit name (and a room number) repeats on thousands of rows: one string each.
        for alias in _SHARED:
            if (text := values.get(alias)) is not None:
                values[alias] = shared.setdefault(text, text)
        data_rows += 1
        for alias in missing:
            if alias not in reported_missing:
                reported_missing.add(alias)
                problems.append(
                    problem(1, alias, "missing_column", column=alias, header=COLUMN_BY_ALIAS[alias].chinese)
                )
        row = _parse_row(index + 2, values, first_line_of, problems)
        if row is not None:
            rows.append(row)

    if data_rows == 0:
        problems.append(problem(None, None, "no_data_rows"))
    if problems:
        # Import is all-or-nothing: never hand back a partial register.
        rows = []
    problems.sort(key=lambda p: 0 if p.line is None else p.line)
    return rows, problems


def _required_missing(line: int, alias: str) -> Problem:
    return problem(
        line, alias, "required_value_missing", column=alias, header=COLUMN_BY_ALIAS[alias].chinese
    )


def _parse_row(
    line: int, values: Mapping[str, str], first_line_of: dict[FlatKey, int], out: list[Problem]
) -> FlatRow | None:
    """Validate one row, appending its problems to `out`; the row only when it has none."""
    problems: list[Problem] = []
    get = values.get

    compound = get("compound", "")
    building = get("building", "")
    unit = get("unit", "")
    room = get("room", "")
    if not (compound and building and unit and room):
        for alias in _TEXT_REQUIRED:
            if not get(alias, "x"):  # a missing column is reported once, not per row
                problems.append(_required_missing(line, alias))

    floor = 0
    floor_text = get("floor", "")
    if not floor_text:
        if "floor" in values:
            problems.append(_required_missing(line, "floor"))
    else:
        normal = floor_text if floor_text.isascii() else _nfkc(floor_text)
        if _FLOOR_RE.fullmatch(normal) is None:
            problems.append(problem(line, "floor", "floor_not_integer", value=floor_text))
        else:
            floor = int(normal)
            low, high = _FLOOR_RANGE
            if not low <= floor <= high:
                problems.append(
                    problem(line, "floor", "floor_out_of_range", value=floor_text, min=low, max=high)
                )

    area = 0
    area_text = get("area", "")
    if not area_text:
        if "area" in values:
            problems.append(_required_missing(line, "area"))
    else:
        parsed = _parse_area(area_text)
        if isinstance(parsed, int):
            area = parsed
        elif parsed == "area_too_large":
            problems.append(problem(line, "area", parsed, value=area_text, max=format_area(_MAX_AREA)))
        else:
            problems.append(problem(line, "area", str(parsed), value=area_text))

    area_source: AreaSource = "registered"
    if text := get("area_source", ""):
        found_source = _AREA_SOURCES.get(text) or _AREA_SOURCES.get(_nfkc(text).lower())
        if found_source is None:
            problems.append(
                problem(
                    line,
                    "area_source",
                    "bad_area_source",
                    value=text,
                    allowed="登记/实测/合同 (registered/surveyed/contract)",
                )
            )
        else:
            area_source = found_source

    usage: Usage = "residential"
    if text := get("usage", ""):
        found_usage = _USAGES.get(text) or _USAGES.get(_nfkc(text).lower())
        if found_usage is None:
            problems.append(
                problem(
                    line,
                    "usage",
                    "bad_usage",
                    value=text,
                    allowed="住宅/商业/车位 (residential/commercial/parking)",
                )
            )
        else:
            usage = found_usage

    developer_unsold: bool | None = False
    if text := get("developer_unsold", ""):
        developer_unsold = _YES_NO.get(text)
        if developer_unsold is None:
            developer_unsold = _YES_NO.get(_nfkc(text).lower())
        if developer_unsold is None:
            problems.append(
                problem(
                    line, "developer_unsold", "bad_developer_unsold", value=text, allowed="是/否 (yes/no)"
                )
            )

    # Commas are the most common slip (中文逗号 from the input method) and would silently merge two owners.
    owners_text = get("owners", "")
    ids_text = get("owner_ids", "")
    phones_text = get("phones", "")
    tenants_text = get("tenants", "")
    comma_in: set[str] = set()
    joined = owners_text + ids_text + phones_text + tenants_text
    if "," in joined or "，" in joined:
        for alias, text in zip(
            _LIST_COLUMNS, (owners_text, ids_text, phones_text, tenants_text), strict=True
        ):
            if "," in text or "，" in text:
                comma_in.add(alias)
                problems.append(problem(line, alias, "bad_list_separator", value=text))

    names = _split_names(owners_text) if owners_text else []
    if not names and developer_unsold is False and "owners" in values and "owners" not in comma_in:
        problems.append(problem(line, "owners", "owners_required"))

    ids: list[str | None] = [None] * len(names)
    if ids_text and "owners" not in comma_in and "owner_ids" not in comma_in:
        parts = _split_positions(ids_text)
        if len(parts) != len(names):
            problems.append(
                problem(line, "owner_ids", "ids_count_mismatch", owners=len(names), ids=len(parts))
            )
        else:
            for position, part in enumerate(parts, start=1):
                if part:
                    suffix = _nfkc(part).upper()
                    if _ID_SUFFIX_RE.fullmatch(suffix) is None:
                        problems.append(
                            problem(line, "owner_ids", "bad_id_suffix", value=part, position=position)
                        )
                    else:
                        ids[position - 1] = sys.intern(suffix)  # 10,000 of them: one string each

    phones: list[str | None] = [None] * len(names)
    if phones_text and "owners" not in comma_in and "phones" not in comma_in:
        parts = _split_positions(phones_text)
        if len(parts) != len(names):
            problems.append(
                problem(line, "phones", "phones_count_mismatch", owners=len(names), phones=len(parts))
            )
        else:
            for position, part in enumerate(parts, start=1):
                if part:
                    phone = _normalise_phone(part)
                    if phone is None:
                        problems.append(problem(line, "phones", "bad_phone", value=part, position=position))
                    else:
                        phones[position - 1] = phone

    owners = tuple(map(PersonRef, names, ids, phones))
    if len(owners) > 1:
        seen_people: set[IdentityKey] = set()
        for owner in owners:
            identity = owner.identity_key(compound)
            if identity in seen_people:
                problems.append(problem(line, "owners", "duplicate_owner", name=owner.name))
            seen_people.add(identity)

    designated_voter = get("designated_voter", "") or None
    if designated_voter is not None and designated_voter not in names:
        problems.append(
            problem(
                line,
                "designated_voter",
                "unknown_designated_voter",
                value=designated_voter,
                owners="、".join(names),
            )
        )
    elif designated_voter is not None:
        designated_voter = names[names.index(designated_voter)]  # the owner's own string, not a second one

    tenants = tuple(_split_names(tenants_text)) if tenants_text else ()

    if compound and building and unit and room:
        flat_key = (compound, building, unit, room)
        first_line = first_line_of.setdefault(flat_key, line)
        if first_line != line:
            problems.append(
                problem(
                    line,
                    "room",
                    "duplicate_room",
                    compound=compound,
                    building=building,
                    unit=unit,
                    room=room,
                    first_line=first_line,
                )
            )

    if problems or developer_unsold is None:
        out.extend(problems)
        return None
    return FlatRow(
        line,
        compound,
        building,
        unit,
        floor,
        room,
        area,
        area_source,
        usage,
        owners,
        designated_voter,
        developer_unsold,
        tenants,
    )


