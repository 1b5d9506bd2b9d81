"""Bytes on the wire for the pages residents open first, fetched as a phone in WeChat fetches them.

Usage: .venv/bin/python bench/bench_weight.py [--json]
Starts `yishi serve --demo` on SQLite in a temporary directory (or on YISHI_DATABASE_URL, a throw-away
database), adds a noticed meeting in the building of the demo owner 13900000001's first verified flat, and
fetches four pages with everything they load (stylesheets, scripts, icon, images):

- the landing page `/` and the notice board `/c/demo` (not signed in),
- the owner's meeting page `/m/{id}` and vote page `/v/1` (signed in as 13900000001 / yishi-demo-2026).

Three ways, in the same run:
- bare: a client that accepts no compression and keeps no cache (the baseline: what Yishi sends at most);
- phone, first load: `Accept-Encoding: gzip, deflate, br`, a WeChat user agent, an empty cache;
- phone, repeat visit: the same phone a moment later: what its cache may keep (Cache-Control max-age or
  immutable) is not asked for; what it may only revalidate is asked for with If-None-Match/If-Modified-Since.

Bytes on the wire = status line + response headers + body as sent (compressed when it was). Prints a table
with the ratio phone/bare. Targets (issue 14): first load <= 35 KB, repeat visit <= 8 KB; exit status 1 when
a page misses one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNER = "13900000001"
PASSWORD = "yishi-demo-2026"  # noqa: S105 - the demo's published password
WECHAT = (
    "Mozilla/5.0 (Linux; Android 10; M2006C3LC Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5061 MMWEBSDK/20230303 MMWEBID/6169 "
    "MicroMessenger/8.0.34.2340(0x2800223B) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64"
)
FIRST_LOAD_TARGET = 35 * 1024
REPEAT_TARGET = 8 * 1024
# What a page makes the browser fetch: stylesheets, scripts, icons, images (not links to other pages).
SUBRESOURCE = re.compile(
    r'<link\b[^>]*\brel="(?:stylesheet|icon)"[^>]*\bhref="([^"]+)"'
    r'|<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="(?:stylesheet|icon)"'
    r'|<script\b[^>]*\bsrc="([^"]+)"|<img\b[^>]*\bsrc="([^"]+)"'
)

# A noticed bench consultation in the building of the owner's first verified flat (as e2e/ sets one up).
SETUP_MEETING = r'''
import asyncio, json
from datetime import UTC, datetime, timedelta
from community import db
from community.roster.scope import attachments
from community.tables import Account, Community, Flat
from deliberation.tables import AgendaItem, Meeting, Notice

async def main():
    await db.open_pool()
    community = (await Community.select(Community.id).where(Community.slug == "demo").first())["id"]
    owner = (await Account.select(Account.id).where(Account.phone == "13900000001").first())["id"]
    staff = {a["phone"]: a["id"] for a in await Account.select(Account.id, Account.phone)}
    links = [a for a in await attachments(owner, community) if a.verified]
    flat = await Flat.select(Flat.stairwell_unit.building.id).where(Flat.id == links[0].flat_id).first()
    building = flat["stairwell_unit.building.id"]
    items = [("加装电梯方案", "**方案一**：在楼北侧加装电梯。\n\n- 每户分摊费用按楼层系数计算\n- 一楼不分摊"),
             ("楼道堆物清理", "清理各单元楼道里的杂物，消除消防隐患。"), ("车棚充电桩", "在车棚安装电动自行车充电桩。")]
    meeting = (await Meeting.insert(Meeting(
        community=community, kind="bench", title="1号楼加装电梯板凳会", scope_kind="building",
        scope_ids=json.dumps([building]), starts_at=datetime.now(UTC) + timedelta(days=2),
        facilitator=staff["13800000001"], recorder=staff["13800000002"], status="noticed",
        projector_key="bench-weight-projector-key-0123", speaking_limit=120)).returning(Meeting.id))[0]["id"]
    for position, (title, description) in enumerate(items, start=1):
        await AgendaItem.insert(AgendaItem(meeting=meeting, position=position, title=title, description=description))
    snapshot = {"title": "1号楼加装电梯板凳会", "kind": "bench", "scope_kind": "building", "scope_places": [],
                "items": [{"position": n, "title": t, "description": d} for n, (t, d) in enumerate(items, start=1)]}
    await Notice.insert(Notice(meeting=meeting, number=1, snapshot=snapshot))
    print(json.dumps({"id": meeting}))
    await db.close_pool()

asyncio.run(main())
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Fetched:
    path: str
    status: int
    wire: int  # status line + headers + body as sent
    headers: dict[str, str]
    body: bytes  # as sent (possibly compressed)


@dataclass
class Cache:
    """A browser's HTTP cache, as far as the headers allow: fresh entries are not asked for again."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    def store(self, path: str, headers: dict[str, str]) -> None:
        control = headers.get("cache-control", "").lower()
        if "no-store" in control:
            return
        self.entries[path] = headers

    def fresh(self, path: str) -> bool:
        headers = self.entries.get(path)
        if headers is None:
            return False
        control = headers.get("cache-control", "").lower()
        if "no-cache" in control:
            return False
        match = re.search(r"max-age=(\d+)", control)
        return bool(match and int(match.group(1)) > 60)

    def validators(self, path: str) -> dict[str, str]:
        headers = self.entries.get(path) or {}
        found = {}
        if "etag" in headers:
            found["If-None-Match"] = headers["etag"]
        if "last-modified" in headers:
            found["If-Modified-Since"] = headers["last-modified"]
        return found


class Client:
    def __init__(self, port: int, phone: bool) -> None:
        self.port = port
        self.phone = phone
        self.cookies: dict[str, str] = {}

    def get(self, path: str, extra: dict[str, str] | None = None) -> Fetched:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept-Language": "zh-CN,zh;q=0.9", "Accept": "*/*"}
        if self.phone:
            headers |= {"Accept-Encoding": "gzip, deflate, br", "User-Agent": WECHAT}
        else:
            headers |= {"Accept-Encoding": "identity", "User-Agent": "bench-weight-bare"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request("GET", path, headers=headers | (extra or {}))
        response = connection.getresponse()
        body = response.read()  # http.client does not decompress: these are the bytes as sent
        raw_headers = response.msg.as_string()
        status_line = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        wire = len(status_line.encode()) + len(raw_headers.replace("\n", "\r\n").encode("latin-1")) + len(body)
        lowered = {k.lower(): v for k, v in response.getheaders()}
        for value in response.msg.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return Fetched(path, response.status, wire, lowered, body)

    def signin(self) -> None:
        page = self.get("/signin")
        text = decode(page)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', text)
        assert token, "no CSRF token on /signin"
        form = urllib.parse.urlencode({"identifier": OWNER, "password": PASSWORD, "next": "/account",
                                       "_csrf_token": token.group(1)})  # fmt: skip
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request("POST", "/signin", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})  # fmt: skip
        response = connection.getresponse()
        response.read()
        assert response.status == 303, f"sign-in failed: {response.status}"
        for value in response.msg.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()


def decode(fetched: Fetched) -> str:
    encoding = fetched.headers.get("content-encoding", "")
    body = fetched.body
    if encoding == "gzip":
        import gzip

        body = gzip.decompress(body)
    elif encoding == "br":
        import brotli  # type: ignore[import-not-found]

        body = brotli.decompress(body)
    return body.decode("utf-8", errors="replace")


def subresources(html: str) -> list[str]:
    found = []
    for match in SUBRESOURCE.finditer(html):
        url = next(group for group in match.groups() if group)
        if url.startswith("/") and not url.startswith("//") and url not in found:
            found.append(url.replace("&amp;", "&"))
    return found


@dataclass
class Load:
    total: int = 0
    requests: int = 0
    parts: list[tuple[str, int, str]] = field(default_factory=list)


def load(client: Client, path: str, cache: Cache | None) -> Load:
    """One visit: the page (never cached: it is no-store) and what it loads, as the cache allows."""
    result = Load()
    page = client.get(path)
    assert page.status == 200, f"{path}: {page.status}"
    result.total += page.wire
    result.requests += 1
    result.parts.append((path, page.wire, page.headers.get("content-encoding", "-")))
    for url in subresources(decode(page)):
        if cache is not None and cache.fresh(url):
            result.parts.append((url, 0, "cache"))
            continue
        validators = cache.validators(url) if cache is not None else {}
        fetched = client.get(url, validators)
        assert fetched.status in (200, 304), f"{url}: {fetched.status}"
        result.total += fetched.wire
        result.requests += 1
        result.parts.append((url, fetched.wire, str(fetched.status) if fetched.status == 304
                             else fetched.headers.get("content-encoding", "-")))  # fmt: skip
        if cache is not None and fetched.status == 200:
            cache.store(url, fetched.headers)
    return result


def start_server(tmp: str) -> tuple[subprocess.Popen[bytes], int, dict[str, str]]:
    port = free_port()
    env = {
        **os.environ,
        "YISHI_DATABASE_URL": os.environ.get("YISHI_DATABASE_URL", f"sqlite:///{tmp}/weight.sqlite3"),
        "YISHI_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "YISHI_UPLOAD_DIR": f"{tmp}/uploads",
        "YISHI_ENV": "development",
        "PYTHONPATH": str(ROOT),
    }
    log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115 - closed with the directory
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("server exited:\n" + (Path(tmp) / "server.log").read_text())
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310
                return process, port, env
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    parser.add_argument("--detail", action="store_true", help="list every response of each load")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="yishi-weight-")
    process = None
    try:
        process, port, env = start_server(tmp)
        out = subprocess.run([sys.executable, "-c", SETUP_MEETING], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)  # fmt: skip
        meeting = json.loads(out.stdout.strip().splitlines()[-1])["id"]
        pages = [("landing", "/", False), ("notice board", "/c/demo", False),
                 ("meeting", f"/m/{meeting}", True), ("vote", "/v/1", True)]  # fmt: skip
        rows = []
        for name, path, signed_in in pages:
            bare = Client(port, phone=False)
            phone = Client(port, phone=True)
            if signed_in:
                bare.signin()
                phone.signin()
            cache = Cache()
            bare_load = load(bare, path, None)
            first = load(phone, path, cache)
            repeat = load(phone, path, cache)
            rows.append({"page": name, "path": path, "bare": bare_load.total, "first": first.total,
                         "repeat": repeat.total, "requests": first.requests,
                         "detail": {"bare": bare_load.parts, "first": first.parts, "repeat": repeat.parts}})  # fmt: skip
        print("bytes on the wire (status line + headers + body as sent); phone = gzip/br + WeChat user agent")
        print(f"{'page':14} {'bare':>9} {'first load':>10} {'repeat':>9} {'first/bare':>10} {'requests':>8}")
        ok = True
        for row in rows:
            flags = ""
            if row["first"] > FIRST_LOAD_TARGET:
                flags += "  first > 35 KB"
            if row["repeat"] > REPEAT_TARGET:
                flags += "  repeat > 8 KB"
            ok = ok and not flags
            print(f"{row['page']:14} {kb(row['bare'])} {kb(row['first']):>10} {kb(row['repeat'])} "
                  f"{row['first'] / row['bare']:10.2f} {row['requests']:8d}{flags}")  # fmt: skip
            if args.detail:
                for kind in ("first", "repeat"):
                    for url, size, how in row["detail"][kind]:
                        print(f"    {kind:6} {size:7d} {how:6} {url}")
        print(f"targets: first load <= {FIRST_LOAD_TARGET // 1024} KB, repeat <= {REPEAT_TARGET // 1024} KB: "
              f"{'met' if ok else 'NOT met'}")  # fmt: skip
        if args.json:
            print(json.dumps([{k: v for k, v in row.items() if k != "detail"} for row in rows]))
        return 0 if ok else 1
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
