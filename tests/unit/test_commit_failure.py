"""An error raised by COMMIT itself is marked: nobody knows whether the change was stored (votes.cast_outcome)."""

from __future__ import annotations

import asyncio

import pytest

from community import db


class FakeTransaction:
    def __init__(self, fail_on_commit: bool) -> None:
        self.fail_on_commit = fail_on_commit

    async def __aenter__(self):
        return self

    async def __aexit__(self, kind, exc, tb):
        if exc is None and self.fail_on_commit:
            raise ConnectionResetError(104, "Connection reset by peer")
        return False


class FakeEngine:
    def __init__(self, fail_on_commit: bool) -> None:
        self.fail_on_commit = fail_on_commit

    def transaction(self):
        return FakeTransaction(self.fail_on_commit)


def run(body_fails: bool, commit_fails: bool) -> BaseException:
    async def go() -> None:
        async with db.write_transaction():
            if body_fails:
                raise ConnectionRefusedError(111, "refused")

    with pytest.raises(OSError) as caught:
        asyncio.run(go())
    return caught.value


def test_only_a_failing_commit_is_marked(monkeypatch):
    monkeypatch.setattr(db, "engine", lambda: FakeEngine(fail_on_commit=True))
    assert db.failed_while_committing(run(body_fails=False, commit_fails=True))
    monkeypatch.setattr(db, "engine", lambda: FakeEngine(fail_on_commit=False))
    assert not db.failed_while_committing(run(body_fails=True, commit_fails=False))
