#!/usr/bin/env bash
# Back up Yishi with `yishi backup`: the database (consistent while Yishi runs), the uploads and the secret
# key, with a manifest of SHA-256 fingerprints, into $YISHI_BACKUP_DIR/STAMP. Keeps YISHI_BACKUP_KEEP_DAYS
# days. Reads the same YISHI_* variables as Yishi; run it from Yishi's directory (the unit sets it).
set -euo pipefail
dest="${YISHI_BACKUP_DIR:-/var/backups/yishi}"
keep="${YISHI_BACKUP_KEEP_DAYS:-30}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
umask 077
.venv/bin/yishi backup "$dest/$stamp"
find "$dest" -mindepth 1 -maxdepth 1 -type d -mtime +"$keep" -exec rm -rf {} +
echo "backup.sh: wrote $dest/$stamp"
