"""Every register problem has a translated message that uses only the parameters the reader provides."""

from __future__ import annotations

import re

import pytest

from community import i18n
from community.roster import template
from community.roster.files import load_register
from community.roster.messages import (
    COLUMN_LABELS,
    PROBLEM_MESSAGES,
    column_label,
    problem_message,
    show_problems,
)
from community.roster.template import COLUMNS, Problem

HEADER = "小区,楼栋,单元,楼层,房号,专有面积,面积来源,用途,业主,证件尾号,联系电话,指定投票人,开发商未售,租户"


@pytest.fixture(autouse=True)
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("zh")


def test_every_problem_code_has_a_message():
    assert set(PROBLEM_MESSAGES) == set(template._MESSAGES)
    assert set(COLUMN_LABELS) >= {c.alias for c in COLUMNS}


def test_messages_use_only_the_parameters_problems_carry():
    for code, english in template._MESSAGES.items():
        provided = set(re.findall(r"\{(\w+)\}", english)) | {"label"}
        wanted = set(re.findall(r"%\((\w+)\)s", PROBLEM_MESSAGES[code]))
        assert wanted <= provided, code


def test_every_message_and_column_is_translated():
    catalog = i18n.TRANSLATIONS["zh"]
    for msgid in [*PROBLEM_MESSAGES.values(), *COLUMN_LABELS.values()]:
        assert catalog.gettext(msgid) != msgid or msgid in {"CSV", "XLSX"}, msgid
    # The Chinese column names are the template's own headers.
    for column in COLUMNS:
        assert column_label(column.alias) == column.chinese


def bad_register() -> list[Problem]:
    lines = [
        HEADER,
        "阳光花园,3,2,三,301,89.505,登记,住宅,张伟,,,,否,",
        "阳光花园,3,2,3,301,abc,不知道,住宅,,,,,也许,",
        "阳光花园,3,2,4,401,90,登记,商铺,张伟、李娜,12;34;56,138,王五,否,王芳，赵六",
    ]
    _rows, problems = load_register("r.csv", ("\r\n".join(lines) + "\r\n").encode())
    return problems


@pytest.mark.parametrize("language", ["zh", "en"])
def test_problems_read_well_in_both_languages(language):
    i18n.set_language(language)
    shown = show_problems(bad_register())
    assert {p.line for p in shown} == {2, 3, 4}
    for problem in shown:
        assert "%(" not in problem.message and "{" not in problem.message
    texts = " ".join(p.message for p in shown)
    if language == "zh":
        assert "面积“89.505”超过两位小数。" in texts
        assert "楼层“三”不是整数" in texts
        assert any(p.column == "专有面积" for p in shown)
    else:
        assert "Area “89.505” has more than two decimals." in texts
        assert any(p.column == "Exclusive area" for p in shown)


def test_missing_column_names_the_column_in_the_page_language():
    problem = Problem(1, "area", "missing_column", {"column": "area", "header": "专有面积"})
    assert problem_message(problem) == "缺少必填列“专有面积”。"
    i18n.set_language("en")
    assert problem_message(problem) == "The required column “Exclusive area” is missing."


def test_an_unknown_code_falls_back_to_english():
    assert problem_message(Problem(3, None, "something_new", {})) == "Line 3: something_new"
