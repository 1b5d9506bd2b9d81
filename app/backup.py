"""`yishi backup DIR` and `yishi restore DIR`: the database, the uploads and the secret key, with a manifest.

A backup is a consistent online snapshot (SQLite's backup API while Yishi runs; `pg_dump` for PostgreSQL),
the whole upload directory and the secret key, plus `manifest.json` naming every file with its SHA-256.
A restore checks the manifest first and refuses a damaged, incomplete or mismatched backup before it
touches anything. See docs/deploy.md, "Backups".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from community.config import VAR_DIR, Config

SCHEMA = "yishi.backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"
KEY_FILE = "secret_key"


class BackupError(Exception):
    """Why a backup or a restore cannot be made; nothing was changed."""


@dataclass(frozen=True)
class Places:
    """Where this installation keeps what a backup holds."""

    database_url: str
    uploads: Path
    key_file: Path  # var/secret_key (used when YISHI_SECRET_KEY is not set)
    key_from_environment: bool

    @classmethod
    def of(cls, config: Config, var_dir: Path = VAR_DIR) -> Places:
        uploads = Path(os.environ.get("YISHI_UPLOAD_DIR", "").strip() or "var/uploads")
        return cls(config.database_url, uploads, var_dir / KEY_FILE, bool(os.environ.get("YISHI_SECRET_KEY", "").strip()))

    @property
    def engine(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite:") else "postgresql"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url[len("sqlite:///") :])

    @property
    def pg_url(self) -> str:
        return "postgresql://" + self.database_url.split("://", 1)[1]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root).as_posix()): _sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed programs
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (it comes with the PostgreSQL client tools)") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")


def backup(places: Places, secret_key: str, target: Path) -> dict[str, object]:
    """Write a backup into `target` (a new or empty directory); returns the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: give a new directory for each backup")
    target.mkdir(parents=True, exist_ok=True)
    if places.engine == "sqlite":
        if not places.sqlite_path.exists():
            raise BackupError(f"the database {places.sqlite_path} does not exist")
        # The online backup API copies a consistent snapshot even while Yishi writes (WAL included);
        # copying the file itself can lose everything since the last checkpoint.
        source = sqlite3.connect(places.sqlite_path)
        copy = sqlite3.connect(target / SQLITE_FILE)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target / PG_FILE}", places.pg_url])
    if places.uploads.exists():
        shutil.copytree(places.uploads, target / UPLOADS)
    else:
        (target / UPLOADS).mkdir()
    key = target / KEY_FILE
    key.write_text(secret_key, encoding="utf-8")
    key.chmod(0o600)
    manifest: dict[str, object] = {
        "schema": SCHEMA,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": places.engine,
        "files": _files(target),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def check(source: Path, engine: str) -> dict[str, object]:
    """The backup's manifest, after checking every file against it; BackupError naming the first problem."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} has no {MANIFEST}: it is not a Yishi backup") from exc
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{MANIFEST} is not a {SCHEMA} manifest")
    if manifest.get("engine") != engine:
        raise BackupError(f"this backup is of a {manifest.get('engine')} database; YISHI_DATABASE_URL names a {engine} one")
    found = _files(source)
    for name, digest in sorted(manifest["files"].items()):
        if name not in found:
            raise BackupError(f"{name} is missing from the backup")
        if found[name] != digest:
            raise BackupError(f"{name} does not match the manifest: the backup is damaged")
    extra = sorted(set(found) - set(manifest["files"]))
    if extra:
        raise BackupError(f"{extra[0]} is not in the manifest: the backup was changed after it was made")
    return manifest


def restore(places: Places, source: Path) -> list[str]:
    """Replace the database, uploads and secret key with the backup's; returns notes for the operator.

    Stop Yishi first. Everything is checked before anything is replaced.
    """
    check(source, places.engine)
    notes = []
    if places.engine == "sqlite":
        places.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        saved = sqlite3.connect(source / SQLITE_FILE)
        live = sqlite3.connect(places.sqlite_path)
        try:
            saved.backup(live)  # page by page into the live file, WAL and all
        finally:
            live.close()
            saved.close()
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={places.pg_url}", str(source / PG_FILE)])
    if places.uploads.exists():
        shutil.rmtree(places.uploads)
    shutil.copytree(source / UPLOADS, places.uploads)
    key = (source / KEY_FILE).read_text(encoding="utf-8").strip()
    if places.key_from_environment:
        if os.environ.get("YISHI_SECRET_KEY", "").strip() != key:
            notes.append("YISHI_SECRET_KEY differs from the backup's key: set it to the key in "
                         f"{source / KEY_FILE}, or everyone must sign in again")
    else:
        places.key_file.parent.mkdir(parents=True, exist_ok=True)
        places.key_file.write_text(key, encoding="utf-8")
        places.key_file.chmod(0o600)
    return notes
