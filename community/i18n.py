"""Languages: gettext catalogs compiled at start, locale negotiation, locale-aware formatting."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "zh"
LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
# Language code → Babel locale and the value of <html lang>.
BABEL_LOCALES: dict[str, str] = {"zh": "zh_Hans_CN", "en": "en_GB"}
HTML_LANG: dict[str, str] = {"zh": "zh-CN", "en": "en"}
LANGUAGE_COOKIE = "yishi_lang"

_current: ContextVar[str] = ContextVar("yishi_language", default=DEFAULT_LANGUAGE)


class _Recording(_gettext.NullTranslations):
    """Fallback that notes every message a catalog lacks (the untranslated-string test reads it)."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        self.missing.add(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self.missing.add(msgid1)
        return msgid1 if n == 1 else msgid2


def _compile(language: str) -> _gettext.GNUTranslations | _gettext.NullTranslations:
    """Compile the .po catalog in memory: translations never need a manual build step."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=BABEL_LOCALES[language])
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


class _Catalogs(dict[str, _gettext.NullTranslations]):
    """Each language's catalog, compiled on its first use: a command that prints no translated text (`yishi tally`)
    does not pay the 0.1 s of compiling both."""

    def __missing__(self, language: str) -> _gettext.NullTranslations:
        translations = _compile(language)
        if language != "en":
            # English msgids are the source text; other languages record what they lack.
            translations.add_fallback(_Recording())
        self[language] = translations
        return translations


TRANSLATIONS = _Catalogs()


def missing_messages(language: str) -> set[str]:
    """Messages asked for in `language` that its catalog did not translate."""
    fallback = getattr(TRANSLATIONS[language], "_fallback", None)
    return fallback.missing if isinstance(fallback, _Recording) else set()


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def get_language() -> str:
    return _current.get()


@contextmanager
def language(code: str) -> Iterator[None]:
    """Speak `code` for a while (e.g. to render one live event per language), then the language before."""
    previous = get_language()
    set_language(code)
    try:
        yield
    finally:
        set_language(previous)


def gettext(message: str) -> str:
    # gettext("") is the catalog's header (Project-Id-Version: …); an empty label must stay empty.
    return TRANSLATIONS[_current.get()].gettext(message) if message else ""


def ngettext(singular: str, plural: str, n: int) -> str:
    return TRANSLATIONS[_current.get()].ngettext(singular, plural, n)


_ = gettext


def lazy(message: str) -> str:
    """Mark a message for extraction without translating it now (translate with gettext later)."""
    return message


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language to use: the switcher's cookie, else the best Accept-Language match, else Chinese."""
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        weighted: list[tuple[float, int, str]] = []
        for index, part in enumerate(accept_language.split(",")):
            piece = part.strip()
            if not piece:
                continue
            tag, _sep, params = piece.partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            weighted.append((quality, -index, tag.strip().lower()))
        for quality, _index, tag in sorted(weighted, reverse=True):
            if quality <= 0:
                continue
            primary = tag.split("-")[0]
            if primary in LANGUAGES:
                return primary
    return DEFAULT_LANGUAGE


_parsed_locales: dict[str, Locale] = {}


def babel_locale() -> Locale:
    return _parsed_locale(_current.get())


def _parsed_locale(code: str) -> Locale:
    # Parsed once per language: a page formats dozens of numbers and dates, and parsing is not free.
    found = _parsed_locales.get(code)
    if found is None:
        found = _parsed_locales[code] = Locale.parse(BABEL_LOCALES[code])
    return found


def html_lang() -> str:
    return HTML_LANG[_current.get()]


def format_datetime(value: datetime | None, tz: str = "Asia/Shanghai", fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _formatted_datetime(value, tz, fmt, _current.get())


@lru_cache(maxsize=4096)
def _formatted_datetime(value: datetime, tz: str, fmt: str, code: str) -> str:
    # Babel walks its pattern for every call; a page shows the same few moments (a vote's close, a meeting's start)
    # again and again, and the same pages are asked for by every owner.
    return _format_datetime(value, format=fmt, tzinfo=ZoneInfo(tz), locale=_parsed_locale(code))


def format_date(value: datetime | None, tz: str = "Asia/Shanghai", fmt: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz))
    return _format_date(value, format=fmt, locale=babel_locale())


def format_number(value: int | Decimal, decimals: int | None = None) -> str:
    return _formatted_number(value, decimals, _current.get())


@lru_cache(maxsize=8192)
def _formatted_number(value: int | Decimal, decimals: int | None, code: str) -> str:
    # Numbers equal as values format alike (the pattern fixes the digits shown), so an int and an equal Decimal may
    # share an entry. A page formats dozens (areas, counts), mostly the same ones for every owner who asks.
    locale = _parsed_locale(code)
    if decimals is not None:
        pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
        return _format_decimal(value, format=pattern, locale=locale)
    return _format_decimal(value, locale=locale)


def format_area(hundredths: int) -> str:
    """Area in m² from integer hundredths, with two decimals in the locale's format."""
    return format_number(Decimal(hundredths) / 100, decimals=2)


Translator = Callable[[str], str]
