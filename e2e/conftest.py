"""Browser tests: a real Yishi server (SQLite, demo data) on a free port, driven by Playwright in Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

# A loaded CI machine (two cores running the server, Chromium and the tests) can take several seconds for
# what takes a fraction of one here; assertions poll until this, so a fast machine never waits for it.
expect.set_options(timeout=10_000)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "e2e" / "screenshots"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
DEMO_PASSWORD = "yishi-demo-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def local_input(days: int, time: str) -> str:
    """A datetime-local form value `days` days from today in Shanghai (the demo community's time zone), at `time`.

    Tests date what they create relative to now, never on a calendar date, so they pass on any day."""
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=days)
    return f"{day.isoformat()}T{time}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `yishi serve` process; stopped in a finally block so a failing test never leaks it."""

    def __init__(self, database_url: str | None = None, workers: int = 1, demo: bool = True, env: dict[str, str] | None = None):
        self.tmp = tempfile.mkdtemp(prefix="yishi-e2e-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "YISHI_DATABASE_URL": database_url or f"sqlite:///{self.tmp}/e2e.sqlite3",
            "YISHI_SECRET_KEY": "e2e-secret-key-not-for-production-0123456789",
            "YISHI_ENV": "development",
            **(env or {}),
        }
        args = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--workers", str(workers)]
        if demo:
            args.append("--demo")
        self.log = open(Path(self.tmp) / "server.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.output())
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start:\n" + self.output())

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = Server()
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    executable = os.environ.get("YISHI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    if Path(executable).exists():
        args["executable_path"] = executable
    return args


@pytest.fixture
def shot():
    """Save a full-page screenshot under e2e/screenshots/ (look at them: ugly or cramped is a bug)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def signin(page, base_url: str, login: str, password: str = DEMO_PASSWORD, next_path: str = "/account") -> None:
    page.goto(f"{base_url}/signin?next={next_path}")
    page.fill("#f-identifier", login)
    page.fill("#f-password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
