"""Create, check and drop the throw-away PostgreSQL database of a test run (used by scripts/test)."""

import asyncio
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def main(command: str, admin_url: str, test_url: str | None = None) -> int:
    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return 1
    try:
        if command == "check":
            return 0
        if command == "create":
            name = f"yishi_test_{os.getpid()}"
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
            print(_with_db(admin_url, name))
            return 0
        if command == "drop" and test_url:
            name = urlsplit(test_url).path.strip("/")
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return 0
        return 2
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:])))
