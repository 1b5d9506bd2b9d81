"""The one Jinja environment of a process: pages, htmx fragments, SSE updates, feeds and prints all use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from markupsafe import Markup

from community import assets, i18n
from community.config import get_config

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_environment: Environment | None = None


@pass_eval_context
def _newstyle_gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    translated = i18n.gettext(message)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - catalog text is ours, like Jinja's own newstyle gettext
    return translated % variables


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
    return env


def environment() -> Environment:
    """The process's environment, built on first use."""
    global _environment
    if _environment is None:
        _environment = make_environment()
    return _environment
