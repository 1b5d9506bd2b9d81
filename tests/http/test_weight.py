"""Light pages for phones on weak connections: compressed text, static files under hashed names kept for a year,
and each page loading only its own stylesheets (bench/bench_weight.py measures the bytes)."""

from __future__ import annotations

import gzip
import re

import brotli
from litestar.datastructures import Headers
from test_votes_casting import make_world, open_vote

from community import assets
from community.compression import compressible

BR = {"Accept-Encoding": "gzip, deflate, br"}


def sheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="/static/css/([a-z]+)\.[0-9a-f]{10}\.css">', html)


async def test_pages_travel_compressed_with_brotli_else_gzip(client, make_account):
    await make_world(make_account)
    page = await client.get("/", headers=BR)
    assert page.headers["content-encoding"] == "br"
    assert "accept-encoding" in page.headers["vary"].lower()
    raw = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    plain = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert page.text == raw.text == plain.text  # the same page, decoded by the client
    feed = await client.get("/c/test/feed.atom", headers=BR)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert feed.headers["content-encoding"] == "br"


def test_only_text_is_compressed_and_never_twice():
    def headers(content_type: str, **extra: str) -> Headers:
        return Headers({"content-type": content_type, **extra})

    for text in ("text/html; charset=utf-8", "text/css", "text/javascript", "image/svg+xml", "application/atom+xml",
                 "application/json", "text/csv"):  # fmt: skip
        assert compressible(headers(text)), text
    for other in ("image/png", "image/jpeg", "application/pdf", "text/event-stream",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):  # fmt: skip
        assert not compressible(headers(other)), other
    assert not compressible(headers("text/css", **{"content-encoding": "br"}))


async def test_static_files_have_hashed_names_kept_for_a_year(client):
    url = assets.static_url("css/yishi.css")
    assert re.fullmatch(r"/static/css/yishi\.[0-9a-f]{10}\.css", url)
    response = await client.get(url, headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "br"
    assert response.headers["content-type"].startswith("text/css")
    assert "set-cookie" not in response.headers  # nothing personal in what every browser keeps
    source = assets.slim("css/yishi.css", (assets.STATIC / "css" / "yishi.css").read_bytes())
    assert response.content == source  # httpx decoded it
    assert b"/*" not in source and b".site-header" in source  # sent without its comments, every rule kept
    assert assets.hashed_name("css/yishi.css", source) == url.removeprefix("/static/")
    # Compressed once, then served from memory; gzip for a browser without brotli.
    asset, _hashed = assets.manifest().files["css/yishi.css"]
    assert brotli.decompress(asset.encoded("br")) == source
    assert gzip.decompress(asset.encoded("gzip")) == source


async def test_plain_static_names_still_work_and_revalidate(client):
    response = await client.get("/static/css/yishi.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, no-cache"
    again = await client.get("/static/css/yishi.css", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    for missing in ("/static/css/nothing.css", "/static/../app/main.py", "/static/%2e%2e/pyproject.toml",
                    "/static/css/yishi.0000000000.css"):  # fmt: skip
        assert (await client.get(missing)).status_code == 404, missing


async def test_every_page_links_static_files_by_hashed_name(client):
    html = (await client.get("/")).text
    assert "/static/" in html
    for link in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert re.search(r"\.[0-9a-f]{10}\.[a-z]+$", link), link
        assert (await client.get(link)).status_code == 200, link


async def test_each_page_loads_the_base_sheet_and_its_own_family_only(client, make_account):
    assert sheets((await client.get("/")).text) == ["yishi"]
    assert sheets((await client.get("/signin")).text) == ["yishi"]
    world = await make_world(make_account)
    vote_id = await open_vote(client, world)
    assert sheets((await client.get(f"/v/{vote_id}")).text) == ["yishi", "votes"]
    # The notice board also loads the small sheet of the proof every publication carries.
    assert sheets((await client.get("/c/test")).text) == ["yishi", "minutes", "proof"]
    await client.signin("13800000009")
    assert sheets((await client.get("/c/test/roster")).text) == ["yishi", "roster"]
    assert sheets((await client.get("/c/test/meetings")).text) == ["yishi", "deliberation"]
