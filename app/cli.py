"""The `yishi` command line: serve, migrate, createadmin, demo, tally, recount, shares, roster, street,
community, staff, audit."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import io
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from community.config import ConfigError, load_config

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    # Imported here: `yishi tally` and the other pure commands never start a loop, and asyncio is half their imports.
    import asyncio

    return asyncio.run(coroutine)


def _fail_config(exc: ConfigError) -> int:
    print(f"yishi: configuration error: {exc.variable}: {exc.problem}", file=sys.stderr)
    return 2


def _check_config() -> int | None:
    try:
        load_config()
    except ConfigError as exc:
        return _fail_config(exc)
    return None


async def _migrate(quiet: bool = True) -> None:
    from community import db
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
        try:
            await db.open_pool()
            await db.run_migrations()
        finally:
            await db.close_pool()


def cmd_migrate(args: argparse.Namespace) -> int:
    _run(_migrate(quiet=False))
    print("yishi: database is up to date")
    return 0


async def _demo() -> None:
    from app.demo import DEMO_PASSWORD, load_demo
    from community import db

    await _migrate()
    await db.open_pool()
    try:
        accounts = await load_demo()
    finally:
        await db.close_pool()
    print("Demo community: /c/demo")
    print(f"{'login':<14} {'password':<18} role")
    for a in accounts:
        print(f"{a.login:<14} {DEMO_PASSWORD:<18} {a.note}")


def cmd_demo(args: argparse.Namespace) -> int:
    _run(_demo())
    return 0


async def _setup_code() -> str | None:
    from community import db
    from community.admin.services import new_setup_code

    await db.open_pool()
    try:
        return await new_setup_code()
    finally:
        await db.close_pool()


# Seconds uvicorn's supervisor waits for a worker's answer before killing it as hung (its default is 5).
HEALTHCHECK_SECONDS = 30


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    config = load_config()
    if config.is_production and args.demo:
        print("yishi serve: --demo publishes known passwords; it is refused when YISHI_ENV=production", file=sys.stderr)
        return 2
    if config.is_production and config.is_sqlite and args.workers > 1:
        print("yishi serve: several workers need PostgreSQL: set YISHI_DATABASE_URL=postgresql://… "
              "or serve with --workers 1", file=sys.stderr)  # fmt: skip
        return 2
    _run(_migrate())
    if args.demo:
        _run(_demo())
    code = _run(_setup_code())
    if code is not None:
        from community.roster.codes import format_code

        print(
            "Yishi has no administrator yet: open /setup in a browser on this machine, or elsewhere "
            f"with the one-time set-up code {format_code(code)}",
            flush=True,
        )
    if args.workers > 1 and config.is_sqlite:
        print("yishi: note: several workers on SQLite share one file; use PostgreSQL for several processes", file=sys.stderr)
    print(f"Yishi is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        proxy_headers=False,
        # Open live streams end as soon as the worker is told to stop (community.live); other requests get this.
        timeout_graceful_shutdown=5,
        timeout_worker_healthcheck=args.healthcheck_timeout,
    )
    return 0


async def _createadmin(username: str, name: str, password: str) -> None:
    from community import accounts, db
    from community.errors import FormErrors
    from community.i18n import gettext

    await _migrate()
    await db.open_pool()
    try:
        await accounts.create_account(display_name=name, password=password, username=username, is_site_admin=True)
    except FormErrors as exc:
        for field, message in exc.errors.items():
            print(f"yishi createadmin: {field}: {gettext(message)}", file=sys.stderr)
        raise SystemExit(1) from exc
    finally:
        await db.close_pool()


def cmd_createadmin(args: argparse.Namespace) -> int:
    password = os.environ.get("YISHI_ADMIN_PASSWORD", "")
    if not password:
        if not sys.stdin.isatty():
            print("yishi createadmin: set YISHI_ADMIN_PASSWORD or run it in a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            print("yishi createadmin: the passwords do not match", file=sys.stderr)
            return 1
    _run(_createadmin(args.username, args.name, password))
    print(f"yishi: site administrator {args.username!r} created")
    return 0


async def _roster(command: str, args: argparse.Namespace) -> int:
    from community import db
    from community.roster import cli as roster_cli

    await _migrate()
    await db.open_pool()
    try:
        if command == "import":
            return await roster_cli.import_file(args.file, args.community, args.dry_run)
        return await roster_cli.export_file(args.community, args.file)
    finally:
        await db.close_pool()


def cmd_roster_import(args: argparse.Namespace) -> int:
    return _run(_roster("import", args))


def cmd_roster_export(args: argparse.Namespace) -> int:
    return _run(_roster("export", args))


def _admin(command: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        async def go() -> int:
            from community import db
            from community.admin.cli import run as admin_run

            await _migrate()
            await db.open_pool()
            try:
                return await admin_run(command, args)
            finally:
                await db.close_pool()

        return _run(go())

    return run


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from deliberation.minutes.audit import verify_main

    return verify_main(args.community)


def cmd_backup(args: argparse.Namespace) -> int:
    from app.backup import BackupError, Places, backup
    from community.config import get_config

    config = get_config()
    try:
        manifest = backup(Places.of(config), config.secret_key, Path(args.dir))
    except BackupError as exc:
        print(f"yishi backup: {exc}", file=sys.stderr)
        return 1
    files = manifest["files"]
    assert isinstance(files, dict)
    print(f"yishi backup: {len(files)} files in {args.dir} ({manifest['engine']}); keep a copy on another machine")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from app.backup import BackupError, Places, restore
    from community.config import get_config

    try:
        notes = restore(Places.of(get_config()), Path(args.dir))
    except BackupError as exc:
        print(f"yishi restore: {exc}; nothing was changed", file=sys.stderr)
        return 1
    _run(_migrate())
    for note in notes:
        print(f"yishi restore: {note}", file=sys.stderr)
    print("yishi restore: restored; run `yishi audit verify` to check the publications, then start Yishi")
    return 0


def _pure(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        main: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
        return main([args.file])

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yishi", description="Yishi (议事): neighbourhood councils deliberate and decide.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="apply pending migrations, then serve the web application")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--demo", action="store_true", help="load the demo community and accounts first")
    p.add_argument("--healthcheck-timeout", type=int, default=HEALTHCHECK_SECONDS, metavar="SECONDS",
                   help="with several workers: replace one that has not answered the supervisor's ping for this "
                        f"long (default {HEALTHCHECK_SECONDS}; uvicorn's own 5 s cut a worker busy with live "
                        "updates, and every phone following a meeting through it)")  # fmt: skip
    p.set_defaults(func=cmd_serve, needs_db=True)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.set_defaults(func=cmd_migrate, needs_db=True)

    p = sub.add_parser(
        "createadmin",
        help="create a site administrator (password from YISHI_ADMIN_PASSWORD or asked for)",
    )
    p.add_argument("--username", required=True, help="login name of the administrator")
    p.add_argument("--name", default="管理员", help="display name")
    p.set_defaults(func=cmd_createadmin, needs_db=True)

    p = sub.add_parser("demo", help="create the demo community 'demo' and its accounts (idempotent), and print them")
    p.set_defaults(func=cmd_demo, needs_db=True)

    p = sub.add_parser("tally", help="tally a yishi.vote-record/1 file (docs/vote-record.md) and print the result as JSON")
    p.add_argument("file", help="the vote record (JSON), or - for standard input")
    p.set_defaults(func=_pure("votes.tally_cli", "tally_main"), needs_db=False)

    p = sub.add_parser("recount", help="recount a published vote record and compare with its stored result (docs/vote-record.md)")
    p.add_argument("file", help="the published vote record (JSON with 'result'), or - for standard input")
    p.set_defaults(func=_pure("votes.tally_cli", "recount_main"), needs_db=False)

    p = sub.add_parser("shares", help="compute cost shares from a yishi.cost-shares/1 file (docs/cost-shares.md)")
    p.add_argument("file", help="the cost-shares input (JSON), or - for standard input")
    p.set_defaults(func=_pure("votes.shares_cli", "shares_main"), needs_db=False)

    p = sub.add_parser("roster", help="import or export a community's register of flats and owners")
    roster = p.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    r = roster.add_parser(
        "import",
        help="check a register (CSV or XLSX) and import it, all or nothing; exit 1 with every problem listed",
    )
    r.add_argument("file", help="the register, .xlsx or .csv (UTF-8), in the template described in docs/roster.md")
    r.add_argument("--community", required=True, metavar="SLUG", help="the community's slug, e.g. demo")
    r.add_argument("--dry-run", action="store_true", help="only check and show what would change")
    # A register import or export publishes no event and serves no page: the web packages stay unloaded.
    r.set_defaults(func=cmd_roster_import, needs_db=True, wired=False)
    r = roster.add_parser("export", help="write a community's register as CSV or XLSX (by the file's extension)")
    r.add_argument("--community", required=True, metavar="SLUG", help="the community's slug, e.g. demo")
    r.add_argument("file", help="where to write it: a .csv or .xlsx file")
    r.set_defaults(func=cmd_roster_export, needs_db=True, wired=False)

    from community.admin.cli_args import add_commands

    add_commands(sub, _admin)

    p = sub.add_parser(
        "backup", help="write a consistent backup (database, uploads, secret key, manifest) into a new directory"
    )
    p.add_argument("dir", help="a new or empty directory, e.g. /var/backups/yishi/2026-12-03")
    p.set_defaults(func=cmd_backup, needs_db=True)
    p = sub.add_parser(
        "restore",
        help="stop Yishi first: check a backup against its manifest, then replace the database, uploads and key",
    )
    p.add_argument("dir", help="a directory written by `yishi backup`")
    p.set_defaults(func=cmd_restore, needs_db=True)

    p = sub.add_parser("audit", help="check published minutes and notices against the database")
    audit = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    a = audit.add_parser(
        "verify",
        help="recompute every publication's hash chain and every published vote's tally; "
        "exit 0 when all is intact, 1 naming what no longer matches",
    )
    a.add_argument("--community", metavar="SLUG", help="only this community (default: all)")
    a.set_defaults(func=cmd_audit_verify, needs_db=True)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.needs_db:
        failed = _check_config()
        if failed is not None:
            return failed
        if getattr(args, "wired", True):
            from app.wiring import register_all

            # A vote the command opens or closes runs the same subscribers as on the web (~35 MiB of modules).
            register_all()
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
