"""scripts/run: the demo by default, `--no-demo` for a real installation (which starts at /setup); every other
argument reaches `yishi serve` unchanged. Read from the script's dry run (YISHI_RUN_DRY=1), nothing is started."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run"


def yishi_args(*args: str) -> list[str]:
    env = {**os.environ, "YISHI_RUN_DRY": "1"}
    done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, check=True, timeout=30)
    return done.stdout.splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((), ["serve", "--demo"]),
        (("--port", "9000"), ["serve", "--demo", "--port", "9000"]),
        (("--no-demo",), ["serve"]),
        (("--no-demo", "--host", "0.0.0.0", "--workers", "4"), ["serve", "--host", "0.0.0.0", "--workers", "4"]),
        (("--port", "9000", "--no-demo"), ["serve", "--port", "9000"]),
        (("--demo",), ["serve", "--demo"]),  # not twice
        (("--host", "a b"), ["serve", "--demo", "--host", "a b"]),  # an argument with a space stays one
    ],
)
def test_scripts_run_passes_the_demo_unless_told_not_to(given: tuple[str, ...], expected: list[str]) -> None:
    assert yishi_args(*given) == expected


def test_yishi_serve_accepts_what_scripts_run_passes() -> None:
    """`serve` without --demo is a real option set of the command (the README's real installation)."""
    from app.cli import build_parser

    parsed = build_parser().parse_args(yishi_args("--no-demo", "--port", "9000"))
    assert parsed.port == 9000 and not parsed.demo
    assert build_parser().parse_args(yishi_args()).demo
