"""The Litestar application: wiring of routes, templates, CSRF, static files, lifespan and error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app import wiring
from community import assets, db, known, live, templating
from community.compression import compression_config
from community.config import get_config
from community.web import EXCEPTION_HANDLERS, add_security_headers

# Forms and htmx posts are small; uploads (registers, attachments) raise it per route.
MAX_BODY = 1024 * 1024


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    from deliberation.concerns import clock as concerns_clock
    from votes import clock
    from votes import live as votes_live

    opened = await db.open_pool()
    try:
        seconds = get_config().vote_clock_seconds
        async with clock.running(seconds), concerns_clock.running(seconds):
            yield
    finally:
        await votes_live.settle()  # live updates not sent yet: no task outlives the pool
        if opened:
            await db.close_pool()


def create_app(extra_routes: Sequence[Any] = ()) -> Litestar:
    from community.admin.web import before_request

    config = get_config()
    assets.manifest()  # static files hashed once, at start
    return Litestar(
        route_handlers=[*wiring.register_all(), assets.serve_static, *extra_routes],
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(templating.environment()),
        ),
        csrf_config=CSRFConfig(
            secret=config.secret_key,
            cookie_secure=config.is_production,
            cookie_samesite="lax",
            exclude=["^/static/"],  # no cookie on files every browser keeps for a year
        ),
        compression_config=compression_config(),
        before_request=before_request,
        middleware=[known.request_scope],
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
