"""The register template (房屋与业主登记表): its columns, rows, problems and the diff between two registers.

Reading a file is `community.roster.files`, validating its rows `community.roster.parsing`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Final, Literal

__all__ = [
    "AreaSource",
    "COLUMNS",
    "COLUMN_BY_ALIAS",
    "Column",
    "FlatKey",
    "FlatRow",
    "IdentityKey",
    "ParamValue",
    "PersonRecord",
    "PersonRef",
    "Problem",
    "REQUIRED",
    "RegisterDiff",
    "SHEET_TITLE",
    "Usage",
    "column_letter",
    "diff_register",
    "format_area",
    "normalise_header",
    "people",
    "problem",
    "same_content",
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
REQUIRED: Final[tuple[str, ...]] = tuple(c.alias for c in COLUMNS if c.required)
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


def column_letter(position: int) -> str:
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


def problem(line: int | None, column: str | None, code: str, /, **params: ParamValue) -> Problem:
    return Problem(line, column, code, dict(params))


# --------------------------------------------------------------------------- rows and people


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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

    # Where the flat is: (compound, building, unit, room). Made once: an import of 100,000 flats asks for it
    # close to a million times.
    key: FlatKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.compound, self.building, self.unit, self.room))


@dataclass(frozen=True, slots=True)
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


def format_area(hundredths: int) -> str:
    """Integer hundredths of m² as the template writes them, e.g. 7050 → "70.50"."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


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


_fields: Final = attrgetter(*_COMPARED)


def same_content(one: FlatRow, other: FlatRow) -> bool:
    """The same flat saying the same, field for field and in the same order; the line is not content."""
    return one.key == other.key and _fields(one) == _fields(other)


def _comparable(row: FlatRow, name: str) -> object:
    value: object = getattr(row, name)
    # The order owners and tenants are listed in carries no meaning; the database may not keep it.
    if name == "owners":
        return sorted((o.name, o.id_suffix or "", o.phone or "") for o in row.owners)
    if name == "tenants":
        return sorted(row.tenants)
    return value


def diff_register(current: Sequence[FlatRow] | Mapping[FlatKey, FlatRow], new: Sequence[FlatRow]) -> RegisterDiff:
    """Compare flats keyed by (compound, building, unit, room); `line` is ignored. `current` may be given by key
    already (a register's 100,000 flats are not indexed a second time)."""
    old_by_key = current if isinstance(current, Mapping) else {row.key: row for row in current}
    new_keys = {row.key for row in new}
    added: list[FlatRow] = []
    changed: list[tuple[FlatRow, FlatRow, list[str]]] = []
    unchanged = 0
    for row in new:
        old = old_by_key.get(row.key)
        if old is None:
            added.append(row)
            continue
        if _fields(old) == _fields(row):  # the common case, compared in C; order-blind comparison otherwise
            unchanged += 1
            continue
        fields = [name for name in _COMPARED if _comparable(old, name) != _comparable(row, name)]
        if fields:
            changed.append((old, row, fields))
        else:
            unchanged += 1
    removed = [row for row in old_by_key.values() if row.key not in new_keys]
    return RegisterDiff(added, changed, removed, unchanged)


