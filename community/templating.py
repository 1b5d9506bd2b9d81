"""The one Jinja environment of a process: pages, htmx fragments, SSE updates, feeds and prints all use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup

from community import assets, i18n, streets
from community.config import get_config

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_environment: Environment | None = None


@pass_eval_context
def _newstyle_gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    translated = i18n.gettext(message)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - catalog text is ours, like Jinja's own newstyle gettext
    if not variables and "%" not in translated:
        return translated  # what `% {}` would give, without Markup's costly formatting (most strings of a page)
    return translated % variables


def _field(thing: Any, name: str) -> Any:
    if isinstance(thing, dict):
        return thing.get(name) or thing.get(f"{name}.id")
    return getattr(thing, name, None)


# Where a page's context names the community it belongs to: the community itself, or the object the page shows.
_OWNERS = ("meeting", "details", "vote", "project", "minutes", "concern", "notice", "item", "ctx", "board", "summary",
           "view")


@pass_context
def page_street(context: Any) -> streets.StreetLink | None:
    """The street of the community the page belongs to, for the footer's link (None on other pages)."""
    community = context.get("community")
    candidates = [_field(community, "id") if community is not None else None]
    for key in _OWNERS:
        thing = context.get(key)
        if thing is None:
            continue
        owner = _field(thing, "community") or _field(thing, "community_id") or _field(_field(thing, "row"), "community")
        candidates.append(_field(owner, "id") if isinstance(owner, dict) or hasattr(owner, "id") else owner)
    for candidate in candidates:
        if candidate:
            return streets.street_of(candidate)
    return None


def make_environment() -> Environment:
    """A new environment; use `environment()`, which builds it once (templates compile once per process)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(("html", "xml", "svg")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read once per process; checking every file's mtime on each render costs
        # a third of a page's time. Restart the server to see template changes.
        auto_reload=False,
        cache_size=800,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    # Same semantics as Jinja's newstyle gettext (autoescaped, always %-formatted), without two
    # layers of context.call per message: a page calls it dozens of times.
    env.globals["_"] = env.globals["gettext"] = _newstyle_gettext
    env.filters["datetime"] = lambda v, fmt="medium": i18n.format_datetime(v, get_config().timezone, fmt)
    env.filters["date"] = lambda v, fmt="long": i18n.format_date(v, get_config().timezone, fmt)
    env.filters["number"] = i18n.format_number
    env.filters["area"] = i18n.format_area
    env.globals["static_url"] = assets.static_url
    env.globals["page_street"] = page_street
    return env


def environment() -> Environment:
    """The process's environment, built on first use."""
    global _environment
    if _environment is None:
        _environment = make_environment()
    return _environment
