"""Static files under content-hashed names, kept by browsers for a year; compressed once, not per request.

`static_url("css/yishi.css")` (a template global) is `/static/css/yishi.<hash>.css`, the hash taken from the file's
content when the process starts: a changed file gets a new name, so a phone never keeps a stale copy and never
asks again for an unchanged one. The plain name (`/static/css/yishi.css`) is still served, revalidated on each
use (ETag). Our CSS and JavaScript are sent without their comments (`slim`); text files are sent brotli- or
gzip-compressed, compressed on first request and kept in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

STATIC = Path(__file__).resolve().parent.parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
COMPRESSIBLE = (".css", ".js", ".svg", ".json", ".txt", ".xml", ".html", ".map")
HASH_LENGTH = 10


@dataclass
class Asset:
    path: Path
    content: bytes
    media_type: str
    etag: str
    compressed: dict[str, bytes] = field(default_factory=dict)

    def encoded(self, encoding: str) -> bytes:
        """The content compressed with `encoding` ("br" or "gzip"), computed once."""
        if encoding not in self.compressed:
            if encoding == "br":
                import brotli  # type: ignore[import-untyped,unused-ignore]

                self.compressed[encoding] = brotli.compress(self.content, quality=11, mode=brotli.MODE_TEXT)
            else:
                self.compressed[encoding] = gzip.compress(self.content, compresslevel=9, mtime=0)
        return self.compressed[encoding]


@dataclass
class Manifest:
    """Every file under static/: its plain name and its hashed name, both to the same content."""

    urls: dict[str, str]  # "css/yishi.css" -> "/static/css/yishi.0123abcd45.css"
    files: dict[str, tuple[Asset, bool]]  # name as requested -> (file, hashed name?)


def slim(name: str, content: bytes) -> bytes:
    """Our own CSS and JavaScript as sent: without their comments and blank lines (they are for the people who read
    the source; a phone on a slow connection should not download them). Only whole-line `//` comments and the
    file's opening `/* … */` go from JavaScript, so nothing inside a string is touched; vendored `.min.js` files
    and everything else are sent as they are."""
    if not name.endswith((".js", ".css")) or name.endswith(".min.js"):
        return content
    text = content.decode("utf-8")
    if name.endswith(".css"):
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    else:
        text = re.sub(r"\A\s*/\*.*?\*/", "", text, flags=re.S)
        text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("//"))
    return ("\n".join(line.rstrip() for line in text.split("\n") if line.strip()) + "\n").encode("utf-8")


def hashed_name(name: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{name}.{digest}"


def _media_type(path: Path) -> str:
    special = {".js": "text/javascript", ".svg": "image/svg+xml", ".css": "text/css"}
    # Litestar adds "; charset=utf-8" to text/* itself.
    return special.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def build_manifest(root: Path = STATIC) -> Manifest:
    urls: dict[str, str] = {}
    files: dict[str, tuple[Asset, bool]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = path.relative_to(root).as_posix()
        content = slim(name, path.read_bytes())
        hashed = hashed_name(name, content)
        # Weak: the same file travels in several encodings (RFC 9110 8.8.1).
        asset = Asset(path, content, _media_type(path), f'W/"{hashed.rpartition("/")[2]}"')
        urls[name] = f"/static/{hashed}"
        files[name] = (asset, False)
        files[hashed] = (asset, True)
    return Manifest(urls, files)


@cache
def manifest() -> Manifest:
    """Built once per process (at start: app.main.create_app asks for it)."""
    return build_manifest()


def static_url(name: str) -> str:
    """The address of a static file under its content-hashed name; a missing file is an error at render time."""
    try:
        return manifest().urls[name]
    except KeyError:
        raise LookupError(f"no static file {name!r} under static/") from None


def pick_encoding(accept_encoding: str) -> str | None:
    offered = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    if "br" in offered:
        return "br"
    if "gzip" in offered:
        return "gzip"
    return None


async def _no_session(request: Request[Any, Any, Any]) -> None:
    """Static files need no user, language or set-up check (app.main's before_request does all three)."""
    return None


@get("/static/{name:path}", name="static", include_in_schema=False, before_request=_no_session, sync_to_thread=False)
def serve_static(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    found = manifest().files.get(name.lstrip("/"))
    if found is None:
        raise NotFoundException()
    asset, is_hashed = found
    headers = {"Cache-Control": IMMUTABLE if is_hashed else REVALIDATE, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers, media_type=asset.media_type)
    body = asset.content
    if asset.path.suffix in COMPRESSIBLE:
        headers["Vary"] = "Accept-Encoding"
        encoding = pick_encoding(request.headers.get("accept-encoding", ""))
        if encoding is not None:
            body = asset.encoded(encoding)
            headers["Content-Encoding"] = encoding
    return Response(body, headers=headers, media_type=asset.media_type)
