"""A lost live connection is tried again 0.5 s, 1 s, 2 s … 30 s apart; the loss and the recovery are logged once."""

from __future__ import annotations

import asyncio
import logging

from community import live_heal


def test_the_waits_double_from_half_a_second_to_thirty():
    wait = live_heal.delays()
    assert [wait() for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_an_outage_of_many_attempts_is_one_warning_and_one_recovery(monkeypatch, caplog):
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(live_heal.asyncio, "sleep", sleep)
    recovered: list[bool] = []
    healing = live_heal.Healing("database", on_recovered=lambda: recovered.append(True))
    attempts = iter([ConnectionRefusedError(111, "refused")] * 7 + [None])

    async def attempt() -> None:
        failure = next(attempts)
        if failure is not None:
            raise failure

    async def outage() -> None:
        healing.lose(ConnectionResetError("reset by peer"))
        healing.lose("again")  # a second sign of the same outage says nothing new
        await healing.until_connected(attempt)
        healing.found()

    with caplog.at_level(logging.DEBUG, logger="yishi.live"):
        asyncio.run(outage())
    assert slept == [0.5, 1, 2, 4, 8, 16, 30]
    assert recovered == [True] and healing.reconnects == 1 and not healing.lost
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert "lost the database connection (ConnectionResetError: reset by peer)" in warnings[0].getMessage()
    assert "listening again" in warnings[1].getMessage()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG][0].endswith("[Errno 111] refused")
    assert not any(r.exc_info for r in caplog.records)
