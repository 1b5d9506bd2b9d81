"""Read, validate, compare and write the register template (房屋与业主登记表)."""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from community.safetext import csv_cell, csv_value

__all__ = [
    "COLUMNS",
    "COLUMN_BY_ALIAS",
    "SHEET_TITLE",
    "AreaSource",
    "Column",
    "FlatKey",
    "FlatRow",
    "IdentityKey",
    "PersonRecord",
    "PersonRef",
    "Problem",
    "RegisterDiff",
    "Usage",
    "diff_register",
    "format_area",
    "load_register",
    "normalise_header",
    "parse_rows",
    "people",
    "read_csv",
    "read_register",
    "read_xlsx",
    "template_csv",
    "template_xlsx",
    "write_csv",
    "write_xlsx",
]

AreaSource = Literal["registered", "surveyed", "contract"]
Usage = Literal["residential", "commercial", "parking"]
FlatKey = tuple[str, str, str, str]
"""(compound, building, unit, room): a flat's identity in the register."""
IdentityKey = tuple[str, str, str]
"""("id", name, id_suffix) | ("phone", name, phone) | ("name", name, compound)."""
ParamValue = str | int


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """One column of the template: its Chinese header, English alias and whether it must be present."""

    chinese: str
    alias: str
    required: bool
    meaning: str


COLUMNS: Final[tuple[Column, ...]] = (
    Column("小区", "compound", True, "compound (小区) name; created if new"),
    Column("楼栋", "building", True, "building name or number, e.g. 3 or 3号楼"),
    Column("单元", "unit", True, "stairwell unit, e.g. 2"),
    Column("楼层", "floor", True, "integer, 1 = ground floor (negative for basements)"),
    Column("房号", "room", True, "room number, e.g. 301; unique within its stairwell unit"),
    Column("专有面积", "area", True, "exclusive area in m², > 0, at most two decimals"),
    Column(
        "面积来源", "area_source", False, "登记 registered / 实测 surveyed / 合同 contract (default 登记)"
    ),
    Column("用途", "usage", False, "住宅 residential (default) / 商业 commercial / 车位 parking"),
    # Required as a column; its value may be empty on developer-held unsold rows.
    Column("业主", "owners", True, "owner names, separated by 、 or ; (required unless developer-held)"),
    Column("证件尾号", "owner_ids", False, "last four characters of each owner's ID document, same order"),
    Column("联系电话", "phones", False, "mobile numbers, same order as owners"),
    Column("指定投票人", "designated_voter", False, "for co-owned flats: which owner votes"),
    Column("开发商未售", "developer_unsold", False, "是/否 (yes/no; default no)"),
    Column("租户", "tenants", False, "names of tenants or other residents, separated by 、 or ;"),
)
COLUMN_BY_ALIAS: Final[dict[str, Column]] = {c.alias: c for c in COLUMNS}
_REQUIRED: Final[tuple[str, ...]] = tuple(c.alias for c in COLUMNS if c.required)
SHEET_TITLE: Final = "房屋与业主登记表"

_HEADER_LOOKUP: Final[dict[str, str]] = {
    **{c.chinese: c.alias for c in COLUMNS},
    **{c.alias: c.alias for c in COLUMNS},
}


def normalise_header(header: str) -> str | None:
    """Map a header cell (Chinese name or alias, any case, padded) to its alias, or None if unknown."""
    text = unicodedata.normalize("NFKC", header).strip()
    found = _HEADER_LOOKUP.get(text)
    if found is None:
        # Aliases are case-insensitive; "Owner IDs" and "owner-ids" are the same typo-free intent.
        found = _HEADER_LOOKUP.get(re.sub(r"[\s\-]+", "_", text.lower()))
    return found


def _column_letter(position: int) -> str:
    """Spreadsheet letter for a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------- problems

_MESSAGES: Final[dict[str, str]] = {
    "empty_file": "The file is empty.",
    "no_data_rows": "The register has a header but no flats.",
    "not_utf8": (
        "The file is not UTF-8 text (first invalid byte at offset {byte_offset}; "
        "its encoding looks like {likely_encoding}). Save it as “CSV UTF-8”."
    ),
    "unreadable_file": "The file could not be read as {format}: {reason}",
    "unsupported_format": "{format} files are not supported; save the sheet as .xlsx or “CSV UTF-8”.",
    "missing_column": "The required column {header} ({column}) is missing.",
    "unknown_column": "Unknown column “{header}” (column {column_letter}); check it against the template.",
    "duplicate_column": (
        "Column {header} ({column}) appears twice: “{first}” in column {first_letter} "
        "and “{second}” in column {column_letter}."
    ),
    "unnamed_column": "Column {column_letter} has values but no header.",
    "required_value_missing": "A value is required.",
    "area_not_number": "Area “{value}” is not a number of m².",
    "area_too_many_decimals": "Area “{value}” has more than two decimals.",
    "area_not_positive": "Area “{value}” must be greater than 0.",
    "area_too_large": "Area “{value}” is larger than {max} m².",
    "floor_not_integer": "Floor “{value}” is not a whole number (basements are negative, e.g. -1).",
    "floor_out_of_range": "Floor “{value}” is outside {min}..{max}.",
    "duplicate_room": "Room {room} of building {building}, unit {unit} in {compound} is already on line {first_line}.",
    "owners_required": "At least one owner is required unless the flat is developer-held and unsold (开发商未售 = 是).",
    "ids_count_mismatch": (
        "{ids} ID suffixes for {owners} owners; give one per owner in the same order "
        "(leave a position empty when unknown)."
    ),
    "phones_count_mismatch": (
        "{phones} phone numbers for {owners} owners; give one per owner in the same order "
        "(leave a position empty when unknown)."
    ),
    "bad_id_suffix": "ID suffix “{value}” (owner {position}) must be the last 4 letters or digits of the ID document.",
    "bad_phone": "Phone “{value}” (owner {position}) is not an 11-digit mainland mobile number.",
    "duplicate_owner": "Owner “{name}” is listed twice on this flat.",
    "unknown_designated_voter": "Designated voter “{value}” is not one of the owners ({owners}).",
    "bad_area_source": "Area source “{value}” must be one of {allowed}.",
    "bad_usage": "Usage “{value}” must be one of {allowed}.",
    "bad_developer_unsold": "Developer-unsold “{value}” must be one of {allowed}.",
    "bad_list_separator": "“{value}” contains a comma; separate entries with 、 or ;.",
}


@dataclass(frozen=True)
class Problem:
    """One reason a register cannot be imported; `code` + `params` are what the web layer translates."""

    line: int | None  # 1 = header row, 2 = first data row; None when not tied to a row
    column: str | None  # column alias, e.g. "area"; None when not tied to a known column
    code: str
    params: dict[str, ParamValue] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        """Translation-catalogue key for this problem."""
        return f"roster.{self.code}"

    def english(self) -> str:
        """Default English text, including where the problem is."""
        template = _MESSAGES.get(self.code, self.code)
        try:
            text = template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            text = f"{template} {self.params}"
        where: list[str] = []
        if self.line is not None:
            where.append(f"Line {self.line}")
        if self.column is not None and self.column in COLUMN_BY_ALIAS:
            where.append(f"{COLUMN_BY_ALIAS[self.column].chinese} ({self.column})")
        return f"{', '.join(where)}: {text}" if where else text


def _problem(line: int | None, column: str | None, code: str, /, **params: ParamValue) -> Problem:
    return Problem(line, column, code, dict(params))


# --------------------------------------------------------------------------- rows and people


@dataclass(frozen=True)
class PersonRef:
    """An owner as written on one row."""

    name: str
    id_suffix: str | None = None
    phone: str | None = None

    def identity_key(self, compound: str) -> IdentityKey:
        """Name + ID suffix when given, else name + phone, else name within the compound."""
        if self.id_suffix:
            return ("id", self.name, self.id_suffix)
        if self.phone:
            return ("phone", self.name, self.phone)
        return ("name", self.name, compound)


@dataclass(frozen=True)
class FlatRow:
    """One validated flat of the register; `line` is its source line (0 for snapshots from the database)."""

    line: int
    compound: str
    building: str
    unit: str
    floor: int
    room: str
    area: int  # hundredths of m²
    area_source: AreaSource
    usage: Usage
    owners: tuple[PersonRef, ...]
    designated_voter: str | None
    developer_unsold: bool
    tenants: tuple[str, ...]

    @property
    def key(self) -> FlatKey:
        """Where the flat is: (compound, building, unit, room)."""
        return (self.compound, self.building, self.unit, self.room)


@dataclass(frozen=True)
class PersonRecord:
    """One person across the register and every flat they own."""

    key: IdentityKey
    name: str
    id_suffix: str | None
    phones: tuple[str, ...]
    flats: tuple[FlatKey, ...]


def people(rows: Iterable[FlatRow]) -> dict[IdentityKey, PersonRecord]:
    """Group owners across rows by identity, listing each person's flats in register order."""
    flats: dict[IdentityKey, list[FlatKey]] = {}
    phones: dict[IdentityKey, list[str]] = {}
    first: dict[IdentityKey, PersonRef] = {}
    for row in rows:
        for owner in row.owners:
            key = owner.identity_key(row.compound)
            if key not in first:
                first[key] = owner
                flats[key] = []
                phones[key] = []
            if row.key not in flats[key]:
                flats[key].append(row.key)
            if owner.phone and owner.phone not in phones[key]:
                phones[key].append(owner.phone)
    return {
        key: PersonRecord(key, ref.name, ref.id_suffix, tuple(phones[key]), tuple(flats[key]))
        for key, ref in first.items()
    }


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
_AREA_SOURCE_ZH: Final[dict[AreaSource, str]] = {"registered": "登记", "surveyed": "实测", "contract": "合同"}
_USAGE_ZH: Final[dict[Usage, str]] = {"residential": "住宅", "commercial": "商业", "parking": "车位"}

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


def format_area(hundredths: int) -> str:
    """Integer hundredths of m² as the template writes them, e.g. 7050 → "70.50"."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


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


def parse_rows(raw_rows: Sequence[Mapping[str, str | None]]) -> tuple[list[FlatRow], list[Problem]]:
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
            missing = [alias for alias in _REQUIRED if alias not in seen]
        values = {alias: "" if (value := raw[key]) is None else value.strip() for key, alias in pairs}
        if not any(values.values()):
            continue
        data_rows += 1
        for alias in missing:
            if alias not in reported_missing:
                reported_missing.add(alias)
                problems.append(
                    _problem(1, alias, "missing_column", column=alias, header=COLUMN_BY_ALIAS[alias].chinese)
                )
        row = _parse_row(index + 2, values, first_line_of, problems)
        if row is not None:
            rows.append(row)

    if data_rows == 0:
        problems.append(_problem(None, None, "no_data_rows"))
    if problems:
        # Import is all-or-nothing: never hand back a partial register.
        rows = []
    problems.sort(key=lambda p: 0 if p.line is None else p.line)
    return rows, problems


def _required_missing(line: int, alias: str) -> Problem:
    return _problem(
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
            problems.append(_problem(line, "floor", "floor_not_integer", value=floor_text))
        else:
            floor = int(normal)
            low, high = _FLOOR_RANGE
            if not low <= floor <= high:
                problems.append(
                    _problem(line, "floor", "floor_out_of_range", value=floor_text, min=low, max=high)
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
            problems.append(_problem(line, "area", parsed, value=area_text, max=format_area(_MAX_AREA)))
        else:
            problems.append(_problem(line, "area", str(parsed), value=area_text))

    area_source: AreaSource = "registered"
    if text := get("area_source", ""):
        found_source = _AREA_SOURCES.get(text) or _AREA_SOURCES.get(_nfkc(text).lower())
        if found_source is None:
            problems.append(
                _problem(
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
                _problem(
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
                _problem(
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
                problems.append(_problem(line, alias, "bad_list_separator", value=text))

    names = _split_names(owners_text) if owners_text else []
    if not names and developer_unsold is False and "owners" in values and "owners" not in comma_in:
        problems.append(_problem(line, "owners", "owners_required"))

    ids: list[str | None] = [None] * len(names)
    if ids_text and "owners" not in comma_in and "owner_ids" not in comma_in:
        parts = _split_positions(ids_text)
        if len(parts) != len(names):
            problems.append(
                _problem(line, "owner_ids", "ids_count_mismatch", owners=len(names), ids=len(parts))
            )
        else:
            for position, part in enumerate(parts, start=1):
                if part:
                    suffix = _nfkc(part).upper()
                    if _ID_SUFFIX_RE.fullmatch(suffix) is None:
                        problems.append(
                            _problem(line, "owner_ids", "bad_id_suffix", value=part, position=position)
                        )
                    else:
                        ids[position - 1] = suffix

    phones: list[str | None] = [None] * len(names)
    if phones_text and "owners" not in comma_in and "phones" not in comma_in:
        parts = _split_positions(phones_text)
        if len(parts) != len(names):
            problems.append(
                _problem(line, "phones", "phones_count_mismatch", owners=len(names), phones=len(parts))
            )
        else:
            for position, part in enumerate(parts, start=1):
                if part:
                    phone = _normalise_phone(part)
                    if phone is None:
                        problems.append(_problem(line, "phones", "bad_phone", value=part, position=position))
                    else:
                        phones[position - 1] = phone

    owners = tuple(map(PersonRef, names, ids, phones))
    if len(owners) > 1:
        seen_people: set[IdentityKey] = set()
        for owner in owners:
            identity = owner.identity_key(compound)
            if identity in seen_people:
                problems.append(_problem(line, "owners", "duplicate_owner", name=owner.name))
            seen_people.add(identity)

    designated_voter = get("designated_voter", "") or None
    if designated_voter is not None and designated_voter not in names:
        problems.append(
            _problem(
                line,
                "designated_voter",
                "unknown_designated_voter",
                value=designated_voter,
                owners="、".join(names),
            )
        )

    tenants = tuple(_split_names(tenants_text)) if tenants_text else ()

    if compound and building and unit and room:
        flat_key = (compound, building, unit, room)
        first_line = first_line_of.setdefault(flat_key, line)
        if first_line != line:
            problems.append(
                _problem(
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


# --------------------------------------------------------------------------- reading files

_FATAL_CODES: Final = frozenset({"empty_file", "not_utf8", "unreadable_file", "unsupported_format"})


def _rows_from_table(table: Iterable[Sequence[str]]) -> tuple[list[dict[str, str]], list[Problem]]:
    """Turn a header row + data rows into alias-keyed dicts, reporting header problems."""
    iterator = iter(table)
    header = next(iterator, None)
    if header is None or not any(cell.strip() for cell in header):
        return [], [_problem(None, None, "empty_file")]

    problems: list[Problem] = []
    positions: list[tuple[int, str]] = []  # (0-based index, alias)
    first_at: dict[str, tuple[int, str]] = {}
    unnamed: set[int] = set()
    for index, cell in enumerate(header):
        letter = _column_letter(index + 1)
        if not cell.strip():
            unnamed.add(index)
            continue
        alias = normalise_header(cell)
        if alias is None:
            problems.append(_problem(1, None, "unknown_column", header=cell.strip(), column_letter=letter))
        elif alias in first_at:
            first_index, first_header = first_at[alias]
            problems.append(
                _problem(
                    1,
                    alias,
                    "duplicate_column",
                    column=alias,
                    header=COLUMN_BY_ALIAS[alias].chinese,
                    first=first_header,
                    first_letter=_column_letter(first_index + 1),
                    second=cell.strip(),
                    column_letter=letter,
                )
            )
        else:
            first_at[alias] = (index, cell.strip())
            positions.append((index, alias))
    for alias in _REQUIRED:
        if alias not in first_at:
            problems.append(
                _problem(1, alias, "missing_column", column=alias, header=COLUMN_BY_ALIAS[alias].chinese)
            )

    width = len(header)
    rows: list[dict[str, str]] = []
    reported_unnamed: set[int] = set()
    for line, cells in enumerate(iterator, start=2):
        count = len(cells)
        rows.append({alias: cells[index] if index < count else "" for index, alias in positions})
        # Cells under a blank header (or beyond the header) are data the import would silently drop.
        if count > width or unnamed:
            for index in range(count):
                if (
                    (index >= width or index in unnamed)
                    and index not in reported_unnamed
                    and cells[index].strip()
                ):
                    reported_unnamed.add(index)
                    problems.append(
                        _problem(line, None, "unnamed_column", column_letter=_column_letter(index + 1))
                    )
    while rows and not any(value.strip() for value in rows[-1].values()):
        rows.pop()
    return rows, problems


def read_csv(data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read a UTF-8 CSV (with or without BOM) into alias-keyed rows plus header/encoding problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [
            _problem(
                data.count(b"\n", 0, exc.start) + 1,
                None,
                "not_utf8",
                byte_offset=exc.start,
                likely_encoding=_guess_encoding(data),
            )
        ]
    if not text.strip():
        return [], [_problem(None, None, "empty_file")]
    try:
        # A cell this program wrote as '=… (so no spreadsheet runs it as a formula) reads back as =….
        table = [[csv_value(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        return [], [_problem(None, None, "unreadable_file", format="CSV", reason=str(exc))]
    return _rows_from_table(table)


def _guess_encoding(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "unknown"
    return "GB18030/GBK"


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed: 70.5 → "70.5", 3.0 → "3", never "3.0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        # repr is the shortest round-tripping text, so 70.55 stored as 70.549999999999997 reads back as 70.55.
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read the first sheet of an XLSX workbook into alias-keyed rows plus header problems."""
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    try:
        # openpyxl warns about features it drops (data-validation extensions, default styles);
        # none of them matter for reading values, and the warnings would fail strict test runs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    return [], [_problem(None, None, "empty_file")]
                sheet = workbook.worksheets[0]
                # Some generators write a wrong <dimension>; without a reset, read-only mode truncates to it.
                sheet.reset_dimensions()
                table = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl raises many unrelated types on malformed archives
        return [], [
            _problem(None, None, "unreadable_file", format="XLSX", reason=f"{type(exc).__name__}: {exc}")
        ]
    return _rows_from_table(table)


def read_register(filename: str, data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read CSV or XLSX, choosing by content first (a renamed file still works), then by extension."""
    lower = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        return [], [_problem(None, None, "unsupported_format", format="XLS")]
    if lower.endswith((".xlsx", ".xlsm")):
        if not data:
            return [], [_problem(None, None, "empty_file")]
        return [], [_problem(None, None, "unreadable_file", format="XLSX", reason="not a ZIP archive")]
    return read_csv(data)


def load_register(filename: str, data: bytes) -> tuple[list[FlatRow], list[Problem]]:
    """Read and validate a register file; rows come back only when there is no problem at all."""
    raw_rows, problems = read_register(filename, data)
    if any(p.code in _FATAL_CODES for p in problems):
        return [], problems
    rows, row_problems = parse_rows(raw_rows)
    # Both the reader and parse_rows notice a missing column; list it once.
    problems = problems + [p for p in row_problems if p.code != "missing_column" or p not in problems]
    problems.sort(key=lambda p: 0 if p.line is None else p.line)
    return (rows if not problems else []), problems


# --------------------------------------------------------------------------- diff

_COMPARED: Final[tuple[str, ...]] = (
    "floor",
    "area",
    "area_source",
    "usage",
    "owners",
    "designated_voter",
    "developer_unsold",
    "tenants",
)


@dataclass(frozen=True)
class RegisterDiff:
    """What importing a register would do to the current one."""

    added: list[FlatRow]
    changed: list[tuple[FlatRow, FlatRow, list[str]]]  # (old, new, changed field names)
    removed: list[FlatRow]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        """True when the import would change nothing."""
        return not (self.added or self.changed or self.removed)


def _comparable(row: FlatRow, name: str) -> object:
    value: object = getattr(row, name)
    # The order owners and tenants are listed in carries no meaning; the database may not keep it.
    if name == "owners":
        return sorted((o.name, o.id_suffix or "", o.phone or "") for o in row.owners)
    if name == "tenants":
        return sorted(row.tenants)
    return value


def diff_register(current: Sequence[FlatRow], new: Sequence[FlatRow]) -> RegisterDiff:
    """Compare flats keyed by (compound, building, unit, room); `line` is ignored."""
    old_by_key = {row.key: row for row in current}
    new_keys = {row.key for row in new}
    added: list[FlatRow] = []
    changed: list[tuple[FlatRow, FlatRow, list[str]]] = []
    unchanged = 0
    for row in new:
        old = old_by_key.get(row.key)
        if old is None:
            added.append(row)
            continue
        fields = [name for name in _COMPARED if _comparable(old, name) != _comparable(row, name)]
        if fields:
            changed.append((old, row, fields))
        else:
            unchanged += 1
    removed = [row for row in current if row.key not in new_keys]
    return RegisterDiff(added, changed, removed, unchanged)


# --------------------------------------------------------------------------- writing


def _row_cells(row: FlatRow) -> list[str]:
    owner_ids = (
        "、".join(o.id_suffix or "" for o in row.owners) if any(o.id_suffix for o in row.owners) else ""
    )
    phones = "、".join(o.phone or "" for o in row.owners) if any(o.phone for o in row.owners) else ""
    return [
        row.compound,
        row.building,
        row.unit,
        str(row.floor),
        row.room,
        format_area(row.area),
        _AREA_SOURCE_ZH[row.area_source],
        _USAGE_ZH[row.usage],
        "、".join(o.name for o in row.owners),
        owner_ids,
        phones,
        row.designated_voter or "",
        "是" if row.developer_unsold else "否",
        "、".join(row.tenants),
    ]


def write_csv(rows: Sequence[FlatRow]) -> bytes:
    """The register as UTF-8 CSV with BOM (so Excel detects the encoding), Chinese headers, template order."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.chinese for c in COLUMNS])
    # Cells are data, never formulas, and carry no control characters, whatever the register holds.
    writer.writerows([csv_cell(cell) for cell in _row_cells(row)] for row in rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_FLOOR_INDEX: Final = 3
_AREA_INDEX: Final = 5


def write_xlsx(rows: Sequence[FlatRow]) -> bytes:
    """The register as an XLSX workbook: one sheet named 房屋与业主登记表, bold header, fitted columns."""
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped, unused-ignore]

    headers = [c.chinese for c in COLUMNS]
    widths = [_display_width(h) for h in headers]
    # The normal (not write-only) workbook is used because it records the sheet's <dimension>;
    # without it openpyxl's read-only reader scans the whole sheet twice when the file comes back.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(headers)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold

    formula_like: list[tuple[int, int]] = []
    for row_number, row in enumerate(rows, start=2):
        texts = _row_cells(row)
        if ILLEGAL_CHARACTERS_RE.search("".join(texts)):
            texts = [ILLEGAL_CHARACTERS_RE.sub("", text) for text in texts]
        if row_number <= 2001:  # a sample is enough to size columns
            for index, text in enumerate(texts):
                widths[index] = max(widths[index], _display_width(text))
        # Floor and area are numbers so Excel can sort and sum them; everything else stays text,
        # so room "0301" and phone numbers keep their digits.
        out: list[object] = [text or None for text in texts]
        out[_FLOOR_INDEX] = row.floor
        out[_AREA_INDEX] = Decimal(texts[_AREA_INDEX])
        sheet.append(out)
        sheet.cell(row_number, _AREA_INDEX + 1).number_format = "0.00"
        formula_like.extend((row_number, i + 1) for i, text in enumerate(texts) if text.startswith("="))
    # A name that starts with "=" must stay text, not turn into a formula.
    for row_number, column in formula_like:
        sheet.cell(row_number, column).data_type = "s"

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_column_letter(index)].width = min(max(width + 2, 8), 40)
    sheet.freeze_panes = "A2"
    # Drop-downs help people typing new rows; they do not block other spellings the reader accepts.
    for alias, choices in (
        ("area_source", "登记,实测,合同"),
        ("usage", "住宅,商业,车位"),
        ("developer_unsold", "是,否"),
    ):
        letter = _column_letter(next(i for i, c in enumerate(COLUMNS, start=1) if c.alias == alias))
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}1048576")
        sheet.add_data_validation(validation)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- downloadable template

_EXAMPLE_ROWS: Final[tuple[FlatRow, ...]] = (
    FlatRow(
        line=0,
        compound="阳光花园",
        building="3号楼",
        unit="2",
        floor=3,
        room="301",
        area=8950,
        area_source="registered",
        usage="residential",
        owners=(PersonRef("张伟", "1234", "13800138000"), PersonRef("李娜", "567X", "13900139000")),
        designated_voter="张伟",
        developer_unsold=False,
        tenants=("王芳",),
    ),
    FlatRow(
        line=0,
        compound="阳光花园",
        building="3号楼",
        unit="2",
        floor=3,
        room="302",
        area=9012,
        area_source="surveyed",
        usage="residential",
        owners=(),
        designated_voter=None,
        developer_unsold=True,
        tenants=(),
    ),
)


def template_csv() -> bytes:
    """Empty template for download: headers plus two example rows (co-owned flat, developer-held flat)."""
    return write_csv(_EXAMPLE_ROWS)


def template_xlsx() -> bytes:
    """XLSX version of `template_csv`."""
    return write_xlsx(_EXAMPLE_ROWS)
