"""The Yishi app plus bare responses of any size, HTML or CSV, for bench/bench_concerns.py: the same server
answers both, so the ratio measures what Yishi adds (session, checks, queries, figures, template, CSV)."""

from __future__ import annotations

from litestar import MediaType, Response, get

from app.main import create_app

MAX_SIZE = 50 * 1024 * 1024


def _size(size: int) -> int:
    return max(0, min(size, MAX_SIZE))


@get("/_bench/bare.html", include_in_schema=False, media_type=MediaType.HTML)
async def bare_html(size: int = 3000) -> str:
    return "<!DOCTYPE html><html><body>" + "x" * max(0, _size(size) - 41) + "</body></html>"


@get("/_bench/bare.csv", include_in_schema=False)
async def bare_csv(size: int = 3000) -> Response[bytes]:
    return Response(content=b"x" * _size(size), media_type="text/csv")


def create():  # noqa: ANN201
    return create_app(extra_routes=[bare_html, bare_csv])
