"""`yishi serve` keeps workers that are busy with live updates (issue 15: uvicorn's 5-second health ping killed
one with 2 workers, cutting 531 listeners) and gives open requests a bounded time when it stops."""

from __future__ import annotations

import uvicorn

from app import cli


def served_with(monkeypatch, *options: str) -> dict:
    given: dict = {}

    async def nothing(*_args, **_kwargs) -> None:
        return None

    monkeypatch.setattr(cli, "_migrate", nothing)
    monkeypatch.setattr(cli, "_setup_code", nothing)
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: given.update(kwargs))
    args = cli.build_parser().parse_args(["serve", *options])
    assert cli.cmd_serve(args) == 0
    return given


def test_a_busy_worker_gets_time_to_answer_the_supervisor(monkeypatch) -> None:
    given = served_with(monkeypatch, "--workers", "2")
    assert given["workers"] == 2
    assert given["timeout_worker_healthcheck"] == cli.HEALTHCHECK_SECONDS > 5
    assert given["timeout_graceful_shutdown"] == 5


def test_the_health_check_timeout_is_an_option(monkeypatch) -> None:
    assert served_with(monkeypatch, "--healthcheck-timeout", "120")["timeout_worker_healthcheck"] == 120
