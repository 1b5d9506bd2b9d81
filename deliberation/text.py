"""Markdown of agenda descriptions rendered to safe HTML (markdown-it without raw HTML, then nh3)."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from community.i18n import gettext as _

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _headings_fit_the_page(tokens: list[Token]) -> None:
    # The page already has h1/h2: a description's headings become h3 (levels 1–2) or h4 (deeper).
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h3" if token.tag in ("h1", "h2") else "h4"


@lru_cache(maxsize=512)
def render_markdown(text: str) -> Markup:
    """Sanitised HTML for a Markdown text; the same text is rendered once per process."""
    tokens = _md.parse(text or "")
    _headings_fit_the_page(tokens)
    html = _md.renderer.render(tokens, _md.options, {})
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES)
    return Markup(clean)  # noqa: S704 - sanitised by nh3 with an allow-list just above


def excerpt(text: str, length: int = 160) -> str:
    """Plain first words of a Markdown text, for lists and the projector."""
    plain = " ".join((text or "").replace("#", " ").replace("*", " ").split())
    return plain if len(plain) <= length else plain[: length - 1].rstrip() + "…"


def url_parts(url: str) -> tuple[str, str, str]:
    """("https://", "host:port", "/path") of an absolute URL: the places where a printed or projected address may
    break onto the next line, never inside the host and its port."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    host, slash, path = rest.partition("/")
    return (scheme + sep, host, slash + path)


def place_title(place: object) -> str:
    """"Building 3, Unit 2" in the reader's language for a FlatPlace (or a UnitCount), from the register's names."""
    target = getattr(place, "place", None) or place
    compound = str(getattr(target, "compound_name", "") or "")
    building = str(getattr(target, "building_name", "") or "")
    unit = str(getattr(target, "unit_name", "") or "")
    if not (building or unit):
        return str(getattr(place, "unit_label", "") or "")
    parts = [
        compound,
        _("Building %(name)s") % {"name": building} if building.isdigit() else building,
        _("Unit %(name)s") % {"name": unit} if unit.isdigit() else unit,
    ]
    return " ".join(p for p in parts if p)
