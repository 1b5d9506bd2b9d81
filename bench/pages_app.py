"""The Yishi app plus a bare Litestar page of the same size, for bench/bench_pages.py."""

from __future__ import annotations

import os

from jinja2 import Environment
from litestar import MediaType, get

from app.main import create_app

# The bare page renders a template of the same size as the landing page (bench measures it first).
BARE_SIZE = int(os.environ.get("YISHI_BENCH_BARE_SIZE", "3000"))
BARE_TEMPLATE = Environment(autoescape=True).from_string(
    "<!DOCTYPE html><html><body><p>{{ greeting }}</p>" + "x" * BARE_SIZE + "</body></html>"
)


@get("/_bench/bare", include_in_schema=False, media_type=MediaType.HTML)
async def bare() -> str:
    return BARE_TEMPLATE.render(greeting="hello")


def create():  # noqa: ANN201
    return create_app(extra_routes=[bare])
