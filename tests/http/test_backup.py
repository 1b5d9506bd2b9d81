"""Backup → loss → restore: ballots, uploads and signing in come back; a damaged backup changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from app.backup import MANIFEST, BackupError, Places, backup, restore
from community import accounts, db
from community.config import get_config
from community.tables import Account
from deliberation.minutes import audit

URL = get_config().database_url
ROOT = Path(__file__).resolve().parents[2]


def places(tmp_path) -> Places:
    return Places(URL, tmp_path / "uploads", tmp_path / "var" / "secret_key", key_from_environment=False)


@pytest.mark.skipif(not URL.startswith("sqlite"), reason="the SQLite round trip")
async def test_sqlite_backup_wipe_restore_keeps_accounts_uploads_and_the_key(tmp_path, make_account):
    where = places(tmp_path)
    (where.uploads / "deliberation").mkdir(parents=True)
    (where.uploads / "deliberation" / "plan.pdf").write_bytes(b"%PDF-1.4 the elevator plan")
    await make_account(phone="13900000101", name="王一", password="correct-horse")
    manifest = backup(where, "k" * 40, tmp_path / "backup")
    assert manifest["engine"] == "sqlite" and "uploads/deliberation/plan.pdf" in manifest["files"]

    # The loss: rows gone, uploads gone, the key gone.
    await Account.delete(force=True)
    shutil.rmtree(where.uploads)
    assert await Account.count() == 0

    assert restore(where, tmp_path / "backup") == []
    assert await Account.count() == 1
    assert (where.uploads / "deliberation" / "plan.pdf").read_bytes() == b"%PDF-1.4 the elevator plan"
    assert where.key_file.read_text() == "k" * 40
    assert await accounts.authenticate("13900000101", "correct-horse", "198.51.100.1")  # signing in works


async def test_a_damaged_or_mismatched_backup_is_refused_and_nothing_changes(tmp_path, make_account):
    where = places(tmp_path)
    where.uploads.mkdir(parents=True)
    (where.uploads / "a.txt").write_text("one")
    if URL.startswith("sqlite"):
        backup(where, "k" * 40, tmp_path / "backup")
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        backup(where, "k" * 40, tmp_path / "backup")
    await make_account(phone="13900000102", name="王二")
    (tmp_path / "backup" / "uploads" / "a.txt").write_text("tampered")
    with pytest.raises(BackupError, match="does not match the manifest"):
        restore(where, tmp_path / "backup")
    assert await Account.count() == 1 and not where.key_file.exists()  # nothing was replaced

    (tmp_path / "backup" / "uploads" / "a.txt").write_text("one")
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    other = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
    (tmp_path / "backup" / MANIFEST).write_text(json.dumps({**manifest, "engine": other}))
    with pytest.raises(BackupError, match="names a"):
        restore(where, tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        backup(where, "k" * 40, tmp_path / "backup")


@pytest.mark.skipif(not URL.startswith("postgres") or shutil.which("pg_dump") is None, reason="pg_dump round trip")
async def test_postgresql_backup_restores_into_a_fresh_database(tmp_path, make_account):
    await make_account(phone="13900000103", name="李甲", password="correct-horse")
    where = places(tmp_path)
    backup(where, "k" * 40, tmp_path / "backup")
    dsn = "postgresql://" + URL.split("://", 1)[1]
    name = f"yishi_restore_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        target = dsn.rsplit("/", 1)[0] + "/" + name
        restored = Places("postgresql://" + target.split("://", 1)[1], tmp_path / "up2", tmp_path / "var2" / "secret_key", False)
        restore(restored, tmp_path / "backup")
        conn = await asyncpg.connect(target)
        try:
            assert await conn.fetchval("SELECT count(*) FROM account WHERE phone = '13900000103'") == 1
        finally:
            await conn.close()
        assert restored.key_file.read_text() == "k" * 40
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def test_the_environment_key_is_not_overwritten_but_a_difference_is_reported(tmp_path, monkeypatch):
    if not URL.startswith("sqlite"):
        pytest.skip("the SQLite round trip")
    where = places(tmp_path)
    backup(where, "k" * 40, tmp_path / "backup")
    monkeypatch.setenv("YISHI_SECRET_KEY", "e" * 40)
    notes = restore(Places(URL, where.uploads, where.key_file, key_from_environment=True), tmp_path / "backup")
    assert notes and "YISHI_SECRET_KEY" in notes[0] and not where.key_file.exists()
    assert os.environ["YISHI_SECRET_KEY"] == "e" * 40


def yishi(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `yishi` command, as an operator runs it from the installation's directory (here tmp_path, where
    var/secret_key lives: the key is not in the environment, as on a development install)."""
    env = {k: v for k, v in os.environ.items() if k != "YISHI_SECRET_KEY"}
    env.update({"YISHI_UPLOAD_DIR": str(tmp_path / "uploads"), "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


async def wipe() -> None:
    """The loss: every row of every table gone."""
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    async with db.write_transaction():
        for table in reversed(sort_table_classes(Finder().get_table_classes())):
            await table.delete(force=True)


async def test_backup_wipe_restore_through_the_command_keeps_ballots_the_chain_uploads_and_sign_in(client, tmp_path):
    """Issue 17, scenario 3, on whichever engine the suite runs: `yishi backup DIR`, the database, the uploads and
    the key lost, Yishi stopped, `yishi restore DIR`, Yishi started: the same ballots, `yishi audit verify` passes,
    a session from before still works and everyone can sign in."""
    if URL.startswith("postgres") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    from test_minutes_audit import published
    from test_minutes_world import PASSWORD, build_world

    from votes.tables import Ballot, Receipt

    key = os.environ["YISHI_SECRET_KEY"]  # what the running app signs sessions with
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text(key)
    (tmp_path / "var" / "secret_key").chmod(0o600)
    (tmp_path / "uploads" / "deliberation").mkdir(parents=True)
    (tmp_path / "uploads" / "deliberation" / "plan.pdf").write_bytes(b"%PDF-1.4 the elevator plan")
    world = await build_world()
    await published(world)
    await client.signin("13900000101", PASSWORD)
    ballots = await Ballot.select(Ballot.id, Ballot.vote, Ballot.entity, Ballot.choice).order_by(Ballot.id)
    receipts = await Receipt.count()
    assert ballots and (await audit.verify()).intact

    made = yishi(tmp_path, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert {"secret_key", "uploads/deliberation/plan.pdf"} <= set(manifest["files"])

    await wipe()
    shutil.rmtree(tmp_path / "uploads")
    (tmp_path / "var" / "secret_key").unlink()
    assert await Ballot.count() == 0 and await Account.count() == 0
    assert (await client.get("/account")).status_code == 303  # signed out: the session is gone

    await db.close_pool()  # Yishi stopped (restore replaces the database under it)
    try:
        restored = yishi(tmp_path, "restore", str(tmp_path / "backup"))
        assert restored.returncode == 0, restored.stderr
    finally:
        await db.open_pool()  # and started again
    assert await Ballot.select(Ballot.id, Ballot.vote, Ballot.entity, Ballot.choice).order_by(Ballot.id) == ballots
    assert await Receipt.count() == receipts
    assert (tmp_path / "uploads" / "deliberation" / "plan.pdf").read_bytes() == b"%PDF-1.4 the elevator plan"
    assert (tmp_path / "var" / "secret_key").read_text() == key
    verified = yishi(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "all intact" in verified.stdout, verified.stdout + verified.stderr
    assert (await client.get("/account")).status_code == 200  # the session from before the loss works again
    client.cookies.clear()
    await client.signin("13800000101", PASSWORD)  # and signing in works
    assert (await client.get("/account")).status_code == 200
