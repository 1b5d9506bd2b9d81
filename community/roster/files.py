"""Read and write the register as CSV and XLSX files, and the template people download to fill in."""

from __future__ import annotations

import csv
import io
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Final

from community.roster.cells import cell_text as _cell_text
from community.roster.cells import guess_encoding as _guess_encoding
from community.roster.parsing import parse_rows
from community.roster.template import (
    COLUMN_BY_ALIAS,
    COLUMNS,
    REQUIRED,
    SHEET_TITLE,
    AreaSource,
    FlatRow,
    PersonRef,
    Problem,
    Usage,
    column_letter,
    format_area,
    normalise_header,
    problem,
)
from community.safetext import csv_cell, csv_value

__all__ = [
    "load_register",
    "read_csv",
    "read_register",
    "read_xlsx",
    "template_csv",
    "template_xlsx",
    "write_csv",
    "write_xlsx",
]

# --------------------------------------------------------------------------- reading files

_FATAL_CODES: Final = frozenset({"empty_file", "not_utf8", "unreadable_file", "unsupported_format"})


def _rows_from_table(table: Iterable[Sequence[str]], problems: list[Problem]) -> Iterator[dict[str, str]]:
    """A header row + data rows as alias-keyed dicts, one at a time: the header's problems are added to
    `problems` now, those of the data rows (cells under no header) as the rows are read. A 100,000-row register
    is never held as a table and as dicts at once."""
    iterator = iter(table)
    header = next(iterator, None)
    if _fatal(problems):
        return iter(())
    if header is None or not any(cell.strip() for cell in header):
        problems.append(problem(None, None, "empty_file"))
        return iter(())

    positions: list[tuple[int, str]] = []  # (0-based index, alias)
    first_at: dict[str, tuple[int, str]] = {}
    unnamed: set[int] = set()
    for index, cell in enumerate(header):
        letter = column_letter(index + 1)
        if not cell.strip():
            unnamed.add(index)
            continue
        alias = normalise_header(cell)
        if alias is None:
            problems.append(problem(1, None, "unknown_column", header=cell.strip(), column_letter=letter))
        elif alias in first_at:
            first_index, first_header = first_at[alias]
            problems.append(
                problem(
                    1,
                    alias,
                    "duplicate_column",
                    column=alias,
                    header=COLUMN_BY_ALIAS[alias].chinese,
                    first=first_header,
                    first_letter=column_letter(first_index + 1),
                    second=cell.strip(),
                    column_letter=letter,
                )
            )
        else:
            first_at[alias] = (index, cell.strip())
            positions.append((index, alias))
    for alias in REQUIRED:
        if alias not in first_at:
            problems.append(
                problem(1, alias, "missing_column", column=alias, header=COLUMN_BY_ALIAS[alias].chinese)
            )

    return _data_rows(iterator, positions, unnamed, len(header), problems)


def _data_rows(
    iterator: Iterator[Sequence[str]],
    positions: list[tuple[int, str]],
    unnamed: set[int],
    width: int,
    problems: list[Problem],
) -> Iterator[dict[str, str]]:
    reported_unnamed: set[int] = set()
    for line, cells in enumerate(iterator, start=2):
        count = len(cells)
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
                        problem(line, None, "unnamed_column", column_letter=column_letter(index + 1))
                    )
        yield {alias: cells[index] if index < count else "" for index, alias in positions}


def _fatal(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.code in _FATAL_CODES]


def _listed(table: Iterator[Sequence[str]] | None, problems: list[Problem]) -> tuple[list[dict[str, str]], list[Problem]]:
    """All the rows at once (trailing blank rows dropped), or only the fatal problems when there is one."""
    rows = list(_rows_from_table(table, problems)) if table is not None else []
    if _fatal(problems):
        return [], _fatal(problems)
    while rows and not any(value.strip() for value in rows[-1].values()):
        rows.pop()
    return rows, problems


def _csv_table(data: bytes, problems: list[Problem]) -> Iterator[list[str]] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            problem(
                data.count(b"\n", 0, exc.start) + 1,
                None,
                "not_utf8",
                byte_offset=exc.start,
                likely_encoding=_guess_encoding(data),
            )
        )
        return None
    if not text.strip():
        problems.append(problem(None, None, "empty_file"))
        return None
    return _csv_cells(io.StringIO(text, newline=""), problems)


def _csv_cells(stream: io.StringIO, problems: list[Problem]) -> Iterator[list[str]]:
    try:
        for row in csv.reader(stream):
            # A cell this program wrote as '=… (so no spreadsheet runs it as a formula) reads back as =….
            yield [csv_value(cell) for cell in row]
    except csv.Error as exc:
        problems.append(problem(None, None, "unreadable_file", format="CSV", reason=str(exc)))


def read_csv(data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read a UTF-8 CSV (with or without BOM) into alias-keyed rows plus header/encoding problems."""
    problems: list[Problem] = []
    return _listed(_csv_table(data, problems), problems)


def _xlsx_cells(data: bytes, problems: list[Problem]) -> Iterator[list[str]]:
    """The first sheet's rows as cell texts, read as they are used; a file openpyxl cannot read adds a problem."""
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    try:
        # openpyxl warns about features it drops (data-validation extensions, default styles);
        # none of them matter for reading values, and the warnings would fail strict test runs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    problems.append(problem(None, None, "empty_file"))
                    return
                sheet = workbook.worksheets[0]
                # Some generators write a wrong <dimension>; without a reset, read-only mode truncates to it.
                sheet.reset_dimensions()
                for row in sheet.iter_rows(values_only=True):
                    yield [_cell_text(value) for value in row]
            finally:
                workbook.close()
    except Exception as exc:  # openpyxl raises many unrelated types on malformed archives
        problems.append(
            problem(None, None, "unreadable_file", format="XLSX", reason=f"{type(exc).__name__}: {exc}")
        )


def read_xlsx(data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read the first sheet of an XLSX workbook into alias-keyed rows plus header problems."""
    problems: list[Problem] = []
    return _listed(_xlsx_cells(data, problems), problems)


def _table(filename: str, data: bytes, problems: list[Problem]) -> Iterator[list[str]] | None:
    """CSV or XLSX, chosen by content first (a renamed file still works), then by extension."""
    lower = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_cells(data, problems)
    if data.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        problems.append(problem(None, None, "unsupported_format", format="XLS"))
        return None
    if lower.endswith((".xlsx", ".xlsm")):
        if not data:
            problems.append(problem(None, None, "empty_file"))
        else:
            problems.append(problem(None, None, "unreadable_file", format="XLSX", reason="not a ZIP archive"))
        return None
    return _csv_table(data, problems)


def read_register(filename: str, data: bytes) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read CSV or XLSX, choosing by content first (a renamed file still works), then by extension."""
    problems: list[Problem] = []
    return _listed(_table(filename, data, problems), problems)


def load_register(filename: str, data: bytes) -> tuple[list[FlatRow], list[Problem]]:
    """Read and validate a register file; rows come back only when there is no problem at all.

    The file is read a row at a time into parse_rows: only the parsed rows are ever held, not the table."""
    problems: list[Problem] = []
    table = _table(filename, data, problems)
    raw_rows = _rows_from_table(table, problems) if table is not None else iter(())
    if _fatal(problems):
        return [], _fatal(problems)
    rows, row_problems = parse_rows(raw_rows)
    if _fatal(problems):  # the file turned out unreadable part way through
        return [], _fatal(problems)
    # Both the reader and parse_rows notice a missing column; list it once.
    problems = problems + [p for p in row_problems if p.code != "missing_column" or p not in problems]
    problems.sort(key=lambda p: 0 if p.line is None else p.line)
    return (rows if not problems else []), problems


_AREA_SOURCE_ZH: Final[dict[AreaSource, str]] = {"registered": "登记", "surveyed": "实测", "contract": "合同"}
_USAGE_ZH: Final[dict[Usage, str]] = {"residential": "住宅", "commercial": "商业", "parking": "车位"}

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
        sheet.column_dimensions[column_letter(index)].width = min(max(width + 2, 8), 40)
    sheet.freeze_panes = "A2"
    # Drop-downs help people typing new rows; they do not block other spellings the reader accepts.
    for alias, choices in (
        ("area_source", "登记,实测,合同"),
        ("usage", "住宅,商业,车位"),
        ("developer_unsold", "是,否"),
    ):
        letter = column_letter(next(i for i, c in enumerate(COLUMNS, start=1) if c.alias == alias))
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
