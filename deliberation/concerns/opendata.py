"""Open data of residents' concerns as CSV (docs/concerns-csv.md), pure: exactly the documented columns, a
UTF-8 byte-order mark so that Excel opens it, no personal data, neighbour disputes only as rows that can be
counted (no id, no building, no unit, nothing else that could point at a household)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from community.safetext import csv_cell
from deliberation.concerns.core import PRIVATE_KINDS
from deliberation.concerns.figures import hours_text

COLUMNS = (
    "id", "opened_on", "type", "building", "unit", "channel", "status", "handler_kind", "first_response_hours",
    "closed_on", "reopened", "rating",
)  # fmt: skip
STREET_COLUMNS = ("community", *COLUMNS)
BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Row:
    id: int
    community: str  # the community's slug
    opened_at: datetime
    kind: str
    building: str
    unit: str
    channel: str
    status: str
    handler_kind: str
    first_response_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    rating: str


def _day(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d") if moment is not None else ""


def cells(row: Row, zone: tzinfo) -> list[str]:
    """One row's cells in COLUMNS order."""
    if row.kind in PRIVATE_KINDS:
        # Counted, dated and with its state, nothing more: no id to follow, no place, no handling details.
        return ["", _day(row.opened_at, zone), row.kind, "", "", "", row.status, "", "", "", "", ""]
    minutes = (
        int((row.first_response_at - row.opened_at).total_seconds() // 60) if row.first_response_at is not None else None
    )
    return [
        str(row.id),
        _day(row.opened_at, zone),
        row.kind,
        csv_cell(row.building),
        csv_cell(row.unit),
        row.channel,
        row.status,
        row.handler_kind,
        hours_text(minutes) if minutes is not None else "",
        _day(row.closed_at, zone),
        str(row.reopen_count),
        row.rating,
    ]


def ordered(rows: Iterable[Row]) -> list[Row]:
    """Concerns by id; neighbour disputes after them by date, so their place in the file reveals no id."""
    rows = list(rows)
    public = sorted((r for r in rows if r.kind not in PRIVATE_KINDS), key=lambda r: (r.community, r.id))
    private = sorted((r for r in rows if r.kind in PRIVATE_KINDS), key=lambda r: (r.community, r.opened_at))
    return public + private


def write(rows: Iterable[Row], zone: tzinfo, with_community: bool = False) -> bytes:
    """The whole file: BOM, header, rows (CRLF line ends, as RFC 4180 and Excel expect)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STREET_COLUMNS if with_community else COLUMNS)
    for row in ordered(rows):
        line = cells(row, zone)
        writer.writerow([csv_cell(row.community), *line] if with_community else line)
    return out.getvalue().encode("utf-8")
