#!/usr/bin/env bash
# Back up Yishi: the database (pg_dump, or SQLite's online .backup), the uploads directory and, in
# development, var/secret_key. Keeps YISHI_BACKUP_KEEP_DAYS days. Reads the same YISHI_* variables as Yishi.
set -euo pipefail
dest="${YISHI_BACKUP_DIR:-/var/backups/yishi}"
keep="${YISHI_BACKUP_KEEP_DAYS:-30}"
url="${YISHI_DATABASE_URL:-sqlite:///./var/yishi.sqlite3}"
uploads="${YISHI_UPLOAD_DIR:-./var/uploads}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
umask 077
case "$url" in
  postgres://*|postgresql://*)
    # Custom format: restore with pg_restore --clean --if-exists -d "$YISHI_DATABASE_URL" FILE
    pg_dump --format=custom --no-owner --file="$dest/yishi-$stamp.pgdump" "$url"
    ;;
  sqlite:///*)
    db="${url#sqlite:///}"
    # .backup copies a consistent snapshot while Yishi keeps running (WAL mode).
    sqlite3 "$db" ".backup '$dest/yishi-$stamp.sqlite3'"
    ;;
  *) echo "backup.sh: unsupported YISHI_DATABASE_URL" >&2; exit 2 ;;
esac
if [ -d "$uploads" ]; then
  tar -C "$(dirname "$uploads")" -czf "$dest/uploads-$stamp.tar.gz" "$(basename "$uploads")"
fi
if [ -f var/secret_key ]; then
  cp var/secret_key "$dest/secret_key-$stamp"
fi
find "$dest" -maxdepth 1 -type f -mtime +"$keep" -delete
echo "backup.sh: wrote $dest/*-$stamp*"
