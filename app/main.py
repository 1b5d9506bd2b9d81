"""The Litestar application: wiring of routes, templates, CSRF, static files, lifespan and error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from app import db, i18n, live
from app.config import get_config
from app.web import EXCEPTION_HANDLERS, add_security_headers

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# Forms and htmx posts are small; uploads (registers, attachments) raise it per route.
MAX_BODY = 1024 * 1024


@pass_eval_context
def _newstyle_gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    translated = i18n.gettext(message)
    if eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 - catalog text is ours, like Jinja's own newstyle gettext
    return translated % variables


def make_environment() -> Environment:
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
    return env


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    from votes import clock

    opened = await db.open_pool()
    try:
        async with clock.running(get_config().vote_clock_seconds):
            yield
    finally:
        if opened:
            await db.close_pool()


def route_handlers() -> list[Any]:
    from app.admin.web import ROUTES as ADMIN_ROUTES
    from app.admin.web_staff import ROUTES as STAFF_ROUTES
    from app.controllers import ROUTES as APP_ROUTES
    from app.live import ROUTES as LIVE_ROUTES
    from app.roster.controllers import ROUTES as ROSTER_ROUTES
    from deliberation.controllers import ROUTES as DELIBERATION_ROUTES
    from deliberation.minutes.controllers import ROUTES as MINUTES_ROUTES
    from votes.controllers import ROUTES as VOTES_ROUTES
    from votes.projects.controllers import ROUTES as PROJECT_ROUTES

    return [*APP_ROUTES, *ADMIN_ROUTES, *STAFF_ROUTES, *LIVE_ROUTES, *ROSTER_ROUTES, *DELIBERATION_ROUTES, *VOTES_ROUTES, *MINUTES_ROUTES, *PROJECT_ROUTES]


def register_community_objects() -> None:
    """Which addresses belong to which community, so that an archived community refuses changes everywhere."""
    from app.admin.web import register_community_objects as register
    from deliberation.minutes.tables import Minutes
    from deliberation.tables import Meeting
    from votes.projects.tables import Project
    from votes.tables import Vote

    for prefix, table in (("m", Meeting), ("v", Vote), ("p", Project), ("minutes", Minutes)):
        register(prefix, table)


def create_app(extra_routes: Sequence[Any] = ()) -> Litestar:
    from app.admin.web import before_request

    register_community_objects()
    config = get_config()
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        cache_control=None,
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[*route_handlers(), static, *extra_routes],
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(make_environment()),
        ),
        csrf_config=CSRFConfig(
            secret=config.secret_key,
            cookie_secure=config.is_production,
            cookie_samesite="lax",
        ),
        before_request=before_request,
        before_send=[add_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        plugins=[live.make_channels_plugin(config)],
        request_max_body_size=MAX_BODY,
        openapi_config=None,
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="debug" if not config.is_production else "always",
        ),
        debug=False,
    )
