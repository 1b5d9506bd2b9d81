"""Every page in both languages: nothing left untranslated, nothing hard-coded in the wrong language."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from community import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")
# Two English words in a row in visible text means an untranslated sentence on a Chinese page.
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")
ALLOWED_IN_CHINESE = {"English"}  # the language switcher names English in English
ALLOWED_CJK_IN_ENGLISH = {"中文", "议"}  # the switcher, the logo mark
DATA_TEXT = {"幸福里社区", "和睦社区", "长宁街道", "测试用户"}  # names are data, not interface


def visible_text(page: str) -> list[str]:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", "\n", page)
    return [html.unescape(t).strip() for t in page.split("\n") if t.strip()]


def attribute_text(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"', page)]


async def pages(client, make_account) -> dict[str, str]:
    """Fetch every page a visitor or a signed-in resident can reach, in the current language."""
    from app.demo import load_demo

    await load_demo()
    await make_account(phone="13800000009")
    await client.signin("13800000009")
    found = {}
    for path in ("/", "/signin?next=/", "/account", "/no-such-page"):
        found[path] = (await client.get(path)).text
    forms = {
        "/account/password": {"current_password": "x", "new_password": "y", "confirm_password": "z"},
    }
    for path, data in forms.items():
        found["POST " + path] = (await client.post_form(path, data)).text
    await client.post_form("/signout")
    found["POST /signin"] = (await client.post_form("/signin", {"identifier": "", "password": ""})).text
    found["csrf"] = (await client.post("/signin", data={})).text
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_every_page_is_fully_translated(client, make_account, language):
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    i18n.missing_messages("zh").clear()
    found = await pages(client, make_account)
    assert i18n.missing_messages("zh") == set(), "messages missing from the Chinese catalog"
    for path, page in found.items():
        texts = visible_text(page) + attribute_text(page)
        for text in texts:
            if text in DATA_TEXT:
                continue
            if language == "zh":
                stripped = text
                for allowed in ALLOWED_IN_CHINESE:
                    stripped = stripped.replace(allowed, "")
                assert not ENGLISH_WORDS.search(stripped), f"{path}: untranslated text {text!r}"
            else:
                stripped = text
                for allowed in ALLOWED_CJK_IN_ENGLISH | DATA_TEXT:
                    stripped = stripped.replace(allowed, "")
                assert not CJK.search(stripped), f"{path}: Chinese text on an English page {text!r}"


def test_chinese_catalog_translates_every_extracted_message():
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    with (i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in template if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)]
    assert untranslated == []


def test_negotiation():
    assert i18n.negotiate(None, None) == "zh"
    assert i18n.negotiate(None, "en-GB,en;q=0.9") == "en"
    assert i18n.negotiate(None, "de;q=1, en;q=0.1") == "en"
    assert i18n.negotiate(None, "en;q=0, zh;q=0.1") == "zh"
    assert i18n.negotiate("en", "zh-CN") == "en"
    assert i18n.negotiate("xx", "en") == "en"


def test_locale_formatting():
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 5, 6, 30, tzinfo=UTC)
    i18n.set_language("zh")
    assert i18n.format_date(moment) == "2026年3月5日"
    assert i18n.format_area(1234567) == "12,345.67"
    i18n.set_language("en")
    assert i18n.format_date(moment) == "5 March 2026"
    assert "14:30" in i18n.format_datetime(moment)  # shown in the community's time zone (UTC+8)
    i18n.set_language("zh")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_empty_label_stays_empty_not_the_catalog_header(language):
    with i18n.language(language):
        assert i18n.gettext("") == ""


@pytest.mark.parametrize(
    ("language", "days", "hours", "flats", "expected"),
    [
        ("en", 1, 1, 1, "1 day 1 hour left · 1 flat · 1 verified · 0 joined"),
        ("en", 2, 5, 1200, "2 days 5 hours left · 1200 flats · 1 verified · 0 joined"),
        ("zh", 1, 1, 1, "还剩 1 天 1 小时 · 1 户 · 已核实 1 · 已加入 0"),
    ],
)
def test_counts_in_english_are_singular_for_one(language, days, hours, flats, expected):
    """The notice board's countdown and the register's building cards, as their templates write them."""
    from community.templating import environment

    board = (Path(__file__).parents[2] / "templates" / "noticeboard" / "board.html").read_text(encoding="utf-8")
    overview = (Path(__file__).parents[2] / "templates" / "roster" / "overview.html").read_text(encoding="utf-8")
    countdown = next(line for line in board.splitlines() if "nb-countdown" in line)
    card = next(line for line in overview.splitlines() if "card-sub" in line)
    countdown = countdown[countdown.index('{{ _("%(days)s'):countdown.index("{% else %}")]
    card = card[card.index("{{"):card.rindex("}}") + 2]
    with i18n.language(language):
        text = environment().from_string(f"{countdown} · {card}").render(
            r={"left": {"days": days, "hours": hours}}, b={"counts": {"flats": flats, "verified": 1, "joined": 0}},
        )
    assert text == expected
