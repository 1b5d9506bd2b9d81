"""Time reading + validating a 10,000-flat register as CSV and XLSX (median of 3 runs)."""

from __future__ import annotations

import io
import re
import statistics
import time
import zipfile
from collections.abc import Callable

from community.roster.files import load_register, write_csv, write_xlsx
from community.roster.template import FlatRow, PersonRef

FLATS = 10_000
RUNS = 3


def make_rows(count: int = FLATS) -> list[FlatRow]:
    """A realistic register: co-owners with IDs and phones, a few developer-held flats and tenants."""
    rows: list[FlatRow] = []
    for n in range(count):
        building, rest = divmod(n, 1000)
        unit, rest = divmod(rest, 200)
        floor, room = divmod(rest, 4)
        unsold = n % 97 == 0
        owners = (
            ()
            if unsold
            else tuple(
                PersonRef(f"业主{n}-{k}", f"{(n * 7 + k) % 10000:04d}", f"138{(n * 3 + k) % 10**8:08d}")
                for k in range(1 + n % 2)
            )
        )
        rows.append(
            FlatRow(
                line=n + 2,
                compound="阳光花园",
                building=f"{building + 1}号楼",
                unit=str(unit + 1),
                floor=floor + 1,
                room=f"{floor + 1}{room + 1:02d}",
                area=6000 + n % 9000,
                area_source="registered",
                usage="residential",
                owners=owners,
                designated_voter=owners[0].name if len(owners) > 1 else None,
                developer_unsold=unsold,
                tenants=("租户甲",) if n % 5 == 0 else (),
            )
        )
    return rows


_INLINE = re.compile(
    r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>'
)


def excel_style(data: bytes) -> bytes:
    """Rewrite openpyxl's inline strings as a shared-string table, the way Excel and WPS save files."""
    strings: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        index = strings.setdefault(match.group(3), len(strings))
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{index}</v></c>'

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            text = source.read(name).decode("utf-8")
            if name == "xl/worksheets/sheet1.xml":
                text = _INLINE.sub(shared, text)
            elif name == "[Content_Types].xml":
                text = text.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif name == "xl/_rels/workbook.xml.rels":
                text = text.replace(
                    "</Relationships>",
                    '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(name, text)
        items = "".join(f"<si><t>{s}</t></si>" for s in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'uniqueCount="{len(strings)}">{items}</sst>',
        )
    return out.getvalue()


def median(action: Callable[[], object]) -> tuple[float, float]:
    """Median wall-clock and CPU seconds; CPU time is less disturbed by other processes on the machine."""
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    rows = make_rows()
    xlsx = write_xlsx(rows)
    files = {
        "CSV (UTF-8 BOM)": ("register.csv", write_csv(rows)),
        "XLSX (openpyxl-written, inline strings)": ("register.xlsx", xlsx),
        "XLSX (Excel-style shared strings)": ("register.xlsx", excel_style(xlsx)),
    }
    print(f"{FLATS} flats, median of {RUNS} runs (wall / CPU)")
    for label, (name, data) in files.items():
        parsed, problems = load_register(name, data)
        assert not problems and parsed == rows, problems[:3]
        wall, cpu = median(lambda name=name, data=data: load_register(name, data))
        print(
            f"  read+parse {label:42} {len(data) / 1e6:5.2f} MB  {wall * 1000:7.1f} ms / {cpu * 1000:7.1f} ms"
        )
    for label, writer in (("write_csv", write_csv), ("write_xlsx", write_xlsx)):
        wall, cpu = median(lambda writer=writer: writer(rows))
        print(f"  {label:53} {'':8}  {wall * 1000:7.1f} ms / {cpu * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
