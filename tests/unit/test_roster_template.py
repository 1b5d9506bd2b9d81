"""Register template: reading CSV/XLSX, validation problems, identity of people, diff and round trips."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from community.roster.files import (
    load_register,
    read_csv,
    read_register,
    read_xlsx,
    template_csv,
    template_xlsx,
    write_csv,
    write_xlsx,
)
from community.roster.parsing import parse_rows
from community.roster.template import (
    COLUMNS,
    SHEET_TITLE,
    FlatRow,
    PersonRef,
    Problem,
    diff_register,
    format_area,
    normalise_header,
    people,
)

HEADER = "小区,楼栋,单元,楼层,房号,专有面积,面积来源,用途,业主,证件尾号,联系电话,指定投票人,开发商未售,租户"
GOOD_ROWS = [
    "阳光花园,3号楼,2,3,301,89.50,登记,住宅,张伟、李娜,1234;567X,13800138000;139 0013 9000,李娜,否,王芳",
    "阳光花园,3号楼,2,3,302,90.12,实测,住宅,,,,,是,",
    "阳光花园,3,1,-1,B01,12.5,合同,车位,赵敏,,,,,",
]


def csv_bytes(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *lines]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def load(*lines: str, header: str = HEADER) -> tuple[list[FlatRow], list[Problem]]:
    return load_register("register.csv", csv_bytes(*lines, header=header))


def codes(problems: list[Problem]) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.column, p.code) for p in problems]


def flat(room: str = "301", **changes: object) -> FlatRow:
    base = FlatRow(
        line=0,
        compound="阳光花园",
        building="3号楼",
        unit="2",
        floor=3,
        room=room,
        area=8950,
        area_source="registered",
        usage="residential",
        owners=(PersonRef("张伟", "1234", None),),
        designated_voter=None,
        developer_unsold=False,
        tenants=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- headers


def test_good_file_parses() -> None:
    rows, problems = load(*GOOD_ROWS)
    assert problems == []
    first, unsold, parking = rows
    assert first.line == 2
    assert first.area == 8950
    assert first.owners == (
        PersonRef("张伟", "1234", "13800138000"),
        PersonRef("李娜", "567X", "13900139000"),
    )
    assert first.designated_voter == "李娜"
    assert first.tenants == ("王芳",)
    assert unsold.developer_unsold and unsold.owners == () and unsold.area_source == "surveyed"
    assert (parking.floor, parking.usage, parking.area_source, parking.area) == (
        -1,
        "parking",
        "contract",
        1250,
    )


def test_aliases_in_any_order_case_insensitive_and_padded() -> None:
    header = " Room ,AREA,owners,Compound,楼栋, unit ,floor,Developer_Unsold,owner-ids"
    rows, problems = load("301,70.5,张三,阳光花园,3,2,3,no,1234", header=header)
    assert problems == []
    assert rows[0].key == ("阳光花园", "3", "2", "301")
    assert rows[0].area == 7050
    assert rows[0].owners == (PersonRef("张三", "1234", None),)


def test_normalise_header() -> None:
    for column in COLUMNS:
        assert normalise_header(column.chinese) == column.alias
        assert normalise_header(f"  {column.alias.upper()} ") == column.alias
    assert normalise_header("面积") is None


@pytest.mark.parametrize("bom", [True, False])
def test_bom_or_no_bom(bom: bool) -> None:
    raw, problems = read_csv(csv_bytes(*GOOD_ROWS, bom=bom))
    assert problems == []
    assert raw[0]["compound"] == "阳光花园"
    assert len(raw) == 3


def test_unknown_column_is_an_error() -> None:
    rows, problems = load(
        "阳光花园,3,2,3,301,70,张三,x", header="小区,楼栋,单元,楼层,房号,专有面积,业主,备注"
    )
    assert [(p.line, p.code, p.params["header"], p.params["column_letter"]) for p in problems] == [
        (1, "unknown_column", "备注", "H")
    ]


def test_missing_required_column_is_reported_once() -> None:
    rows, problems = load(
        "阳光花园,3,2,3,301,张三", "阳光花园,3,2,3,302,李四", header="小区,楼栋,单元,楼层,房号,业主"
    )
    assert rows == []
    assert codes(problems) == [(1, "area", "missing_column")]
    assert "专有面积 (area)" in problems[0].english()


def test_duplicate_column() -> None:
    header = "小区,楼栋,单元,楼层,房号,专有面积,业主,owners"
    _, problems = read_csv(csv_bytes("阳光花园,3,2,3,301,70,张三,张三", header=header))
    assert codes(problems) == [(1, "owners", "duplicate_column")]
    assert problems[0].params["first_letter"] == "G"
    assert problems[0].params["column_letter"] == "H"


def test_values_under_a_blank_header_are_reported() -> None:
    header = "小区,楼栋,单元,楼层,房号,专有面积,业主,"
    _, problems = read_csv(
        csv_bytes("阳光花园,3,2,3,301,70,张三,", "阳光花园,3,2,3,302,70,李四,备注", header=header)
    )
    assert codes(problems) == [(3, None, "unnamed_column")]


def test_empty_file_and_header_only() -> None:
    assert codes(load_register("a.csv", b"")[1]) == [(None, None, "empty_file")]
    assert codes(load_register("a.csv", b"\xef\xbb\xbf\r\n")[1]) == [(None, None, "empty_file")]
    assert codes(load_register("a.csv", csv_bytes())[1]) == [(None, None, "no_data_rows")]


def test_non_utf8_is_reported() -> None:
    data = (HEADER + "\r\n" + GOOD_ROWS[0] + "\r\n").encode("gbk")
    rows, problems = load_register("register.csv", data)
    assert rows == []
    assert [p.code for p in problems] == ["not_utf8"]
    assert problems[0].line == 1
    assert problems[0].params["likely_encoding"] == "GB18030/GBK"
    assert "UTF-8" in problems[0].english()


def test_unreadable_and_unsupported_files() -> None:
    assert [p.code for p in load_register("a.xlsx", b"not a zip")[1]] == ["unreadable_file"]
    assert [p.code for p in load_register("a.xlsx", b"PK\x03\x04garbage")[1]] == ["unreadable_file"]
    assert [p.code for p in load_register("a.xls", b"\xd0\xcf\x11\xe0rest")[1]] == ["unsupported_format"]


# --------------------------------------------------------------------------- row validation

# (row as written, expected (column, code)); each row sits on line 2.
BAD_ROWS = [
    (",3,2,3,301,70,,,张三,,,,,", ("compound", "required_value_missing")),
    ("阳光花园,,2,3,301,70,,,张三,,,,,", ("building", "required_value_missing")),
    ("阳光花园,3,,3,301,70,,,张三,,,,,", ("unit", "required_value_missing")),
    ("阳光花园,3,2,,301,70,,,张三,,,,,", ("floor", "required_value_missing")),
    ("阳光花园,3,2,3,,70,,,张三,,,,,", ("room", "required_value_missing")),
    ("阳光花园,3,2,3,301,,,,张三,,,,,", ("area", "required_value_missing")),
    ("阳光花园,3,2,3,301,七十,,,张三,,,,,", ("area", "area_not_number")),
    ("阳光花园,3,2,3,301,70㎡,,,张三,,,,,", ("area", "area_not_number")),
    ("阳光花园,3,2,3,301,1e2,,,张三,,,,,", ("area", "area_not_number")),
    ("阳光花园,3,2,3,301,70.555,,,张三,,,,,", ("area", "area_too_many_decimals")),
    ("阳光花园,3,2,3,301,0,,,张三,,,,,", ("area", "area_not_positive")),
    ("阳光花园,3,2,3,301,0.00,,,张三,,,,,", ("area", "area_not_positive")),
    ("阳光花园,3,2,3,301,-70,,,张三,,,,,", ("area", "area_not_positive")),
    ("阳光花园,3,2,3,301,100000000,,,张三,,,,,", ("area", "area_too_large")),
    ("阳光花园,3,2,3.5,301,70,,,张三,,,,,", ("floor", "floor_not_integer")),
    ("阳光花园,3,2,三,301,70,,,张三,,,,,", ("floor", "floor_not_integer")),
    ("阳光花园,3,2,B1,301,70,,,张三,,,,,", ("floor", "floor_not_integer")),
    ("阳光花园,3,2,9999,301,70,,,张三,,,,,", ("floor", "floor_out_of_range")),
    ("阳光花园,3,2,3,301,70,估算,,张三,,,,,", ("area_source", "bad_area_source")),
    ("阳光花园,3,2,3,301,70,,办公,张三,,,,,", ("usage", "bad_usage")),
    ("阳光花园,3,2,3,301,70,,,张三,,,,也许,", ("developer_unsold", "bad_developer_unsold")),
    ("阳光花园,3,2,3,301,70,,,,,,,,", ("owners", "owners_required")),
    ("阳光花园,3,2,3,301,70,,,,,,,否,", ("owners", "owners_required")),
    ("阳光花园,3,2,3,301,70,,,张三、李四,1234,,,,", ("owner_ids", "ids_count_mismatch")),
    ("阳光花园,3,2,3,301,70,,,张三,1234;5678,,,,", ("owner_ids", "ids_count_mismatch")),
    ("阳光花园,3,2,3,301,70,,,张三,12345,,,,", ("owner_ids", "bad_id_suffix")),
    ("阳光花园,3,2,3,301,70,,,张三,12-4,,,,", ("owner_ids", "bad_id_suffix")),
    ("阳光花园,3,2,3,301,70,,,张三、李四,,13800138000,,,", ("phones", "phones_count_mismatch")),
    ("阳光花园,3,2,3,301,70,,,张三,,1380013800,,,", ("phones", "bad_phone")),
    ("阳光花园,3,2,3,301,70,,,张三,,12800138000,,,", ("phones", "bad_phone")),
    ("阳光花园,3,2,3,301,70,,,张三,,010-12345678,,,", ("phones", "bad_phone")),
    ("阳光花园,3,2,3,301,70,,,张三、李四,,,王五,,", ("designated_voter", "unknown_designated_voter")),
    ("阳光花园,3,2,3,302,70,,,,,,王五,是,", ("designated_voter", "unknown_designated_voter")),
    ("阳光花园,3,2,3,301,70,,,张三、张三,,,,,", ("owners", "duplicate_owner")),
    ('阳光花园,3,2,3,301,70,,,"张三，李四",,,,,', ("owners", "bad_list_separator")),
    ('阳光花园,3,2,3,301,70,,,张三,,,,,"王五,赵六"', ("tenants", "bad_list_separator")),
]


@pytest.mark.parametrize(
    ("line", "expected"), BAD_ROWS, ids=[f"{e[1]}-{i}" for i, (_, e) in enumerate(BAD_ROWS)]
)
def test_each_problem_with_line_and_column(line: str, expected: tuple[str, str]) -> None:
    # The bad row is third (line 4) so the line number is not trivially 2.
    rows, problems = load(GOOD_ROWS[0], GOOD_ROWS[1], line)
    assert rows == []
    assert codes(problems) == [(4, *expected)]
    problem = problems[0]
    text = problem.english()
    assert text.startswith("Line 4, ")
    assert "{" not in text
    assert problem.message_id == f"roster.{problem.code}"


def test_duplicate_room_names_the_first_line() -> None:
    rows, problems = load(
        "阳光花园,3号楼,2,3,301,70,,,张三,,,,,",
        "阳光花园,3号楼,1,3,301,70,,,李四,,,,,",  # other unit: fine
        "阳光花园,3,2,3,301,70,,,王五,,,,,",  # "3" is not "3号楼": fine
        "阳光花园, 3号楼 ,2,3, 301 ,70,,,赵六,,,,,",
    )
    assert codes(problems) == [(5, "room", "duplicate_room")]
    assert problems[0].params["first_line"] == 2
    assert "line 2" in problems[0].english()


def test_all_problems_are_collected_at_once() -> None:
    rows, problems = load(
        GOOD_ROWS[0],
        "阳光花园,3,2,x,301,abc,估算,,,,,,,",
        "",  # blank rows are skipped but keep their line number
        "阳光花园,3,2,3,302,70.123,,办公,张三,1,,李四,,",
        GOOD_ROWS[1].replace("302", "301"),
    )
    assert rows == []
    assert codes(problems) == [
        (3, "floor", "floor_not_integer"),
        (3, "area", "area_not_number"),
        (3, "area_source", "bad_area_source"),
        (3, "owners", "owners_required"),
        (5, "area", "area_too_many_decimals"),
        (5, "usage", "bad_usage"),
        (5, "owner_ids", "bad_id_suffix"),
        (5, "designated_voter", "unknown_designated_voter"),
        (6, "room", "duplicate_room"),
    ]


def test_header_and_row_problems_together() -> None:
    _, problems = load("阳光花园,3,2,3,301,0,x", header="小区,楼栋,单元,楼层,房号,专有面积,备注")
    assert codes(problems) == [
        (1, None, "unknown_column"),
        (1, "owners", "missing_column"),
        (2, "area", "area_not_positive"),
    ]


@pytest.mark.parametrize(
    ("text", "hundredths"),
    [
        ("70", 7000),
        ("70.5", 7050),
        ("70.50", 7050),
        ("70.500", 7050),
        ("0.01", 1),
        (".5", 50),
        ("７０．５", 7050),
    ],
)
def test_area_is_exact_hundredths(text: str, hundredths: int) -> None:
    rows, problems = load(f"阳光花园,3,2,3,301,{text},,,张三,,,,,")
    assert problems == []
    assert rows[0].area == hundredths


def test_area_has_no_float_error() -> None:
    # 0.29 * 100 == 28.999999999999996 in floats.
    rows, _ = load("阳光花园,3,2,3,301,0.29,,,张三,,,,,", "阳光花园,3,2,3,302,98765.43,,,张三,,,,,")
    assert [r.area for r in rows] == [29, 9876543]
    assert format_area(29) == "0.29"


def test_enum_spellings() -> None:
    rows, problems = load(
        "阳光花园,3,2,3,301,70,Surveyed,COMMERCIAL,张三,,,,N,",
        "阳光花园,3,2,3,302,70,contract,parking,,,,,Yes,",
        "阳光花园,3,2,3,303,70,registered,residential,,,,,true,",
        "阳光花园,3,2,3,304,70,,,,,,,1,",
        "阳光花园,3,2,3,305,70,,,张三,,,,0,",
    )
    assert problems == []
    assert [(r.area_source, r.usage, r.developer_unsold) for r in rows] == [
        ("surveyed", "commercial", False),
        ("contract", "parking", True),
        ("registered", "residential", True),
        ("registered", "residential", True),
        ("registered", "residential", False),
    ]


@pytest.mark.parametrize(
    "phone", ["138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "１３８００１３８０００"]
)
def test_phones_are_normalised(phone: str) -> None:
    rows, problems = load(f"阳光花园,3,2,3,301,70,,,张三,,{phone},,,")
    assert problems == []
    assert rows[0].owners[0].phone == "13800138000"


def test_lists_accept_all_separators_and_trim() -> None:
    rows, problems = load(" 阳光花园 ,3,2,3,301,70,,, 张三 、李四；王五 ; ,1234、；abcd ,,王五,,甲;乙、丙")
    assert problems == []
    row = rows[0]
    assert row.compound == "阳光花园"
    assert [o.name for o in row.owners] == ["张三", "李四", "王五"]
    assert [o.id_suffix for o in row.owners] == ["1234", None, "ABCD"]
    assert row.tenants == ("甲", "乙", "丙")


def test_co_owners_with_designated_voter() -> None:
    rows, problems = load("阳光花园,3,2,3,301,70,,,张三、李四,,,李四,,")
    assert problems == []
    assert rows[0].designated_voter == "李四"
    assert len(rows[0].owners) == 2


def test_developer_held_row_without_owners() -> None:
    rows, problems = load("阳光花园,3,2,3,301,70,,,,,,,是,", "阳光花园,3,2,3,302,70,,,某地产公司,,,,是,")
    assert problems == []
    assert [r.developer_unsold for r in rows] == [True, True]
    assert rows[0].owners == ()


def test_parse_rows_accepts_chinese_keys() -> None:
    rows, problems = parse_rows(
        [
            {
                "小区": "阳光花园",
                "楼栋": "3",
                "单元": "2",
                "楼层": "3",
                "房号": "301",
                "专有面积": "70",
                "业主": "张三",
            }
        ]
    )
    assert problems == []
    assert rows[0].owners == (PersonRef("张三"),)


# --------------------------------------------------------------------------- people


def test_same_person_by_id_suffix_in_two_buildings() -> None:
    rows, problems = load(
        "阳光花园,3号楼,2,3,301,70,,,张三,1234,,,,",
        "阳光花园,5号楼,1,6,602,80,,,张三,1234,13800138000,,,",
    )
    assert problems == []
    found = people(rows)
    assert list(found) == [("id", "张三", "1234")]
    person = found["id", "张三", "1234"]
    assert person.flats == (("阳光花园", "3号楼", "2", "301"), ("阳光花园", "5号楼", "1", "602"))
    assert person.phones == ("13800138000",)


def test_same_person_by_phone() -> None:
    rows, _ = load(
        "阳光花园,3,2,3,301,70,,,张三,,13800138000,,,",
        "翠苑,1,1,1,101,70,,,张三,,138-0013-8000,,,",
    )
    found = people(rows)
    assert list(found) == [("phone", "张三", "13800138000")]
    assert len(found["phone", "张三", "13800138000"].flats) == 2


def test_same_person_by_name_within_a_compound_only() -> None:
    rows, _ = load(
        "阳光花园,3,2,3,301,70,,,张三,,,,,",
        "阳光花园,4,2,3,301,70,,,张三,,,,,",
        "翠苑,1,1,1,101,70,,,张三,,,,,",
    )
    found = people(rows)
    assert set(found) == {("name", "张三", "阳光花园"), ("name", "张三", "翠苑")}
    assert len(found["name", "张三", "阳光花园"].flats) == 2
    assert len(found["name", "张三", "翠苑"].flats) == 1


def test_namesakes_with_different_id_suffixes_are_two_people() -> None:
    rows, _ = load(
        "阳光花园,3,2,3,301,70,,,张伟,1234,,,,",
        "阳光花园,3,2,3,302,70,,,张伟,5678,,,,",
        "阳光花园,3,2,3,303,70,,,张伟、李娜,5678;,,张伟,,",
    )
    found = people(rows)
    assert len(found["id", "张伟", "1234"].flats) == 1
    assert len(found["id", "张伟", "5678"].flats) == 2
    assert ("name", "李娜", "阳光花园") in found
    assert len(found) == 3


def test_identity_key_rule() -> None:
    assert PersonRef("张三", "1234", "13800138000").identity_key("x") == ("id", "张三", "1234")
    assert PersonRef("张三", None, "13800138000").identity_key("x") == ("phone", "张三", "13800138000")
    assert PersonRef("张三").identity_key("x") == ("name", "张三", "x")


# --------------------------------------------------------------------------- diff


def test_diff_added_changed_removed_unchanged() -> None:
    current = [flat("301"), flat("302"), flat("303")]
    new = [
        flat("301"),
        flat("302", area=9000, owners=(PersonRef("李四"),), line=3),
        flat("304"),
    ]
    diff = diff_register(current, new)
    assert [r.room for r in diff.added] == ["304"]
    assert [(old.room, new_row.area, fields) for old, new_row, fields in diff.changed] == [
        ("302", 9000, ["area", "owners"])
    ]
    assert [r.room for r in diff.removed] == ["303"]
    assert diff.unchanged == 1
    assert not diff.is_empty


def test_reimporting_the_same_file_changes_nothing() -> None:
    data = csv_bytes(*GOOD_ROWS)
    first, _ = load_register("a.csv", data)
    # The database hands back snapshots without line numbers.
    current = [replace(r, line=0) for r in first]
    again, _ = load_register("a.csv", data)
    diff = diff_register(current, again)
    assert diff.is_empty
    assert diff.unchanged == len(GOOD_ROWS)


def test_diff_ignores_owner_and_tenant_order() -> None:
    a = flat(owners=(PersonRef("甲"), PersonRef("乙")), tenants=("丙", "丁"))
    b = flat(owners=(PersonRef("乙"), PersonRef("甲")), tenants=("丁", "丙"))
    assert diff_register([a], [b]).is_empty


# --------------------------------------------------------------------------- writing and round trips


def test_write_csv_layout() -> None:
    data = write_csv([flat(owners=(PersonRef("甲", None, "13800138000"), PersonRef("乙", "567X", None)))])
    assert data.startswith(b"\xef\xbb\xbf")
    header, row, end = data.decode("utf-8-sig").split("\r\n")
    assert header == HEADER
    assert row == "阳光花园,3号楼,2,3,301,89.50,登记,住宅,甲、乙,、567X,13800138000、,,否,"
    assert end == ""


def test_csv_round_trip() -> None:
    rows, _ = load(*GOOD_ROWS)
    again, problems = load_register("export.csv", write_csv(rows))
    assert problems == []
    assert again == rows


def test_xlsx_round_trip_and_layout() -> None:
    rows, _ = load(*GOOD_ROWS)
    rows.append(flat("0909", owners=(PersonRef("=SUM(A1)"),), tenants=("+1",), line=5))
    data = write_xlsx(rows)
    again, problems = load_register("export.xlsx", data)
    assert problems == []
    assert again == rows

    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert sheet.title == SHEET_TITLE
    assert [c.value for c in sheet[1]] == [c.chinese for c in COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["A"].width >= 8
    assert sheet["I5"].value == "=SUM(A1)"  # text, not a formula
    assert sheet["I5"].data_type == "s"
    assert sheet["F2"].value == 89.5 and sheet["F2"].number_format == "0.00"
    assert sheet.freeze_panes == "A2"


def test_xlsx_numeric_cells_become_clean_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["楼层", "专有面积", "房号", "小区", "楼栋", "单元", "业主", "联系电话", "开发商未售"])
    sheet.append([3, 70.5, 301, "阳光花园", 3, 2.0, "张三", 13800138000, False])
    sheet.append([-1, 70.55, "0302", "阳光花园", 3, 2, "李四", None, None])
    sheet.append([4.0, 89, 401, "阳光花园", "3", "2", "王五", 1.3800138e10, True])
    buffer = io.BytesIO()
    workbook.save(buffer)

    raw, problems = read_xlsx(buffer.getvalue())
    assert problems == []
    assert [(r["floor"], r["area"], r["room"], r["unit"], r["phones"]) for r in raw] == [
        ("3", "70.5", "301", "2", "13800138000"),
        ("-1", "70.55", "0302", "2", ""),
        ("4", "89", "401", "2", "13800138000"),
    ]
    rows, problems = parse_rows(raw)
    assert problems == []
    assert [(r.floor, r.area, r.developer_unsold) for r in rows] == [
        (3, 7050, False),
        (-1, 7055, False),
        (4, 8900, True),
    ]


def test_xlsx_named_csv_is_read_as_xlsx() -> None:
    rows, problems = load_register("register.csv", template_xlsx())
    assert problems == []
    assert len(rows) == 2


def test_read_register_chooses_by_content_then_extension() -> None:
    assert read_register("REGISTER.TXT", template_csv())[1] == []
    assert [p.code for p in read_register("a.XLSX", template_csv())[1]] == ["unreadable_file"]
    raw, problems = read_register("download", template_xlsx())
    assert problems == [] and raw[0]["compound"] == "阳光花园"


def test_templates_have_the_two_examples() -> None:
    for name, data in (("t.csv", template_csv()), ("t.xlsx", template_xlsx())):
        rows, problems = load_register(name, data)
        assert problems == []
        co_owned, unsold = rows
        assert len(co_owned.owners) == 2 and co_owned.designated_voter == co_owned.owners[0].name
        assert unsold.developer_unsold and unsold.owners == ()


NAME = (
    st.text(alphabet="张王李赵刘陈杨黄伟芳娜敏静丽强磊 ", min_size=1, max_size=6).map(str.strip).filter(bool)
)
PHONE = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
SUFFIX = st.from_regex(r"[0-9]{3}[0-9X]", fullmatch=True)


@st.composite
def flat_rows(draw: st.DrawFn) -> list[FlatRow]:
    rooms = draw(st.lists(st.integers(1, 3000), min_size=1, max_size=8, unique=True))
    result = []
    for line, room in enumerate(rooms, start=2):
        developer = draw(st.booleans())
        names = draw(st.lists(NAME, min_size=0 if developer else 1, max_size=3, unique=True))
        owners = tuple(PersonRef(n, draw(st.none() | SUFFIX), draw(st.none() | PHONE)) for n in names)
        result.append(
            FlatRow(
                line=line,
                compound=draw(NAME),
                building=draw(st.sampled_from(["3", "3号楼", "A座"])),
                unit=str(draw(st.integers(1, 4))),
                floor=draw(st.integers(-3, 40)),
                room=str(room),
                area=draw(st.integers(1, 10**8)),
                area_source=draw(st.sampled_from(["registered", "surveyed", "contract"])),
                usage=draw(st.sampled_from(["residential", "commercial", "parking"])),
                owners=owners,
                designated_voter=draw(st.none() | st.sampled_from(names)) if names else None,
                developer_unsold=developer,
                tenants=tuple(draw(st.lists(NAME, max_size=2))),
            )
        )
    # Owner names are unique per row, so no row lists one person twice.
    return result


def check_round_trip(rows: list[FlatRow], filename: str, writer: Callable[[list[FlatRow]], bytes]) -> None:
    rows = [replace(r, line=i) for i, r in enumerate(rows, start=2)]
    again, problems = load_register(filename, writer(rows))
    if not rows:
        assert [p.code for p in problems] == ["no_data_rows"]
    else:
        assert problems == []
        assert again == rows


@settings(max_examples=60, deadline=None)
@given(flat_rows())
def test_csv_round_trip_property(rows: list[FlatRow]) -> None:
    check_round_trip(rows, "r.csv", write_csv)


@settings(max_examples=15, deadline=None)
@given(flat_rows())
def test_xlsx_round_trip_property(rows: list[FlatRow]) -> None:
    check_round_trip(rows, "r.xlsx", write_xlsx)


def test_openpyxl_warnings_do_not_escape() -> None:
    # A workbook whose stylesheet is empty makes openpyxl warn; pytest runs with warnings as errors.
    source = zipfile.ZipFile(io.BytesIO(template_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/styles.xml":
                data = b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
            target.writestr(name, data)
    raw, problems = read_xlsx(out.getvalue())
    assert problems == []
    assert len(raw) == 2


def test_ten_thousand_rows_parse() -> None:
    lines = [
        f"阳光花园,{b}号楼,{u},{f},{f}0{r},{80 + r}.{r}5,,,业主{n},{n:04d},138{n:08d},,,"
        for n, (b, u, f, r) in enumerate(
            (b, u, f, r) for b in range(1, 11) for u in range(1, 6) for f in range(1, 51) for r in range(1, 5)
        )
    ]
    assert len(lines) == 10_000
    rows, problems = load_register("big.csv", csv_bytes(*lines))
    assert problems == []
    assert len(rows) == 10_000
    assert rows[-1].line == 10_001
