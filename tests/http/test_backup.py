"""Backup → loss → restore: ballots, uploads and signing in come back; a damaged backup changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import uuid

import asyncpg
import pytest

from app.backup import MANIFEST, BackupError, Places, backup, restore
from community import accounts
from community.config import get_config
from community.tables import Account

URL = get_config().database_url


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
