"""Configuration read from YISHI_* environment variables, with one clear error per bad variable."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///./var/yishi.sqlite3"
VAR_DIR = Path("var")


class ConfigError(Exception):
    """A configuration variable is missing or malformed."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    env: Literal["development", "production"]
    redis_url: str | None
    trusted_proxies: frozenset[str]
    timezone: str
    # The address visitors use (QR codes, printed slips and ballots, feeds), when the request's is not it.
    public_url: str | None = None
    # Seconds between looks for votes whose window opens or closes now (votes.clock); 0 turns it off.
    vote_clock_seconds: int = 30
    # PostgreSQL connections each worker process may hold (its pool). Workers × this, plus one listening connection
    # per worker for live updates, must stay under the server's max_connections (100 by default).
    db_pool_size: int = 10

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> str:
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        return self.database_url[len("sqlite:///") :]


def _database_url(environ: Mapping[str, str]) -> str:
    url = environ.get("YISHI_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    if url.startswith("sqlite:///"):
        if not url[len("sqlite:///") :]:
            raise ConfigError("YISHI_DATABASE_URL", "a sqlite URL needs a file path, e.g. sqlite:///./var/yishi.sqlite3")
        return url
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname and "host=" not in parts.query:
            raise ConfigError("YISHI_DATABASE_URL", "a postgresql URL needs a host, e.g. postgresql://user@127.0.0.1:5432/yishi")
        if not parts.path.strip("/"):
            raise ConfigError("YISHI_DATABASE_URL", "a postgresql URL needs a database name")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ConfigError("YISHI_DATABASE_URL", "the port is not a number") from exc
        return url
    raise ConfigError("YISHI_DATABASE_URL", "must start with sqlite:/// or postgresql://")


def _secret_key(environ: Mapping[str, str], env: str, var_dir: Path) -> str:
    key = environ.get("YISHI_SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ConfigError("YISHI_SECRET_KEY", "must be at least 32 characters long")
        return key
    if env == "production":
        raise ConfigError("YISHI_SECRET_KEY", "is required when YISHI_ENV=production")
    # Development: generate one key once and keep it, so sessions survive restarts.
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return key


GENERATE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def _trusted_proxies(environ: Mapping[str, str]) -> frozenset[str]:
    import ipaddress

    proxies = frozenset(p.strip() for p in environ.get("YISHI_TRUSTED_PROXIES", "").split(",") if p.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_address(proxy)
        except ValueError as exc:
            raise ConfigError(
                "YISHI_TRUSTED_PROXIES", f"{proxy!r} is not an IP address (list the proxies' addresses, comma-separated)"
            ) from exc
    return proxies


def _production_checks(environ: Mapping[str, str], secret_key: str, public_url: str | None) -> None:
    """What a production server refuses to start without: each message says what to set."""
    if len(set(secret_key)) < 12:
        raise ConfigError("YISHI_SECRET_KEY", f"looks guessable (too few different characters); generate one: {GENERATE_KEY}")
    url = environ.get("YISHI_DATABASE_URL", "").strip()
    if not url:
        raise ConfigError(
            "YISHI_DATABASE_URL",
            "is required when YISHI_ENV=production, e.g. postgresql://yishi:PASSWORD@127.0.0.1:5432/yishi",
        )
    if url.startswith("sqlite:///") and not url[len("sqlite:///") :].startswith("/"):
        raise ConfigError("YISHI_DATABASE_URL", "a production sqlite path must be absolute: sqlite:////var/lib/yishi/yishi.sqlite3")
    if public_url is None:
        raise ConfigError(
            "YISHI_PUBLIC_URL", "is required when YISHI_ENV=production: the https address residents use, e.g. https://yishi.example.org"
        )
    if not public_url.startswith("https://"):
        raise ConfigError("YISHI_PUBLIC_URL", "must start with https:// when YISHI_ENV=production (put Yishi behind a TLS proxy)")


def load_config(environ: Mapping[str, str] | None = None, var_dir: Path = VAR_DIR) -> Config:
    """Read the configuration; raise ConfigError naming the first bad variable."""
    environ = os.environ if environ is None else environ
    env = environ.get("YISHI_ENV", "").strip() or "development"
    if env not in ("development", "production"):
        raise ConfigError("YISHI_ENV", "must be 'development' or 'production'")
    database_url = _database_url(environ)
    redis_url = environ.get("YISHI_REDIS_URL", "").strip() or None
    if redis_url is not None and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError("YISHI_REDIS_URL", "must start with redis:// or rediss://")
    proxies = _trusted_proxies(environ)
    timezone = environ.get("YISHI_TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception as exc:
        raise ConfigError("YISHI_TIMEZONE", f"unknown time zone {timezone!r}") from exc
    clock = environ.get("YISHI_VOTE_CLOCK", "").strip() or "30"
    if not clock.isascii() or not clock.isdigit() or int(clock) > 3600:
        raise ConfigError("YISHI_VOTE_CLOCK", "must be a whole number of seconds from 0 (off) to 3600")
    pool = environ.get("YISHI_DB_POOL_SIZE", "").strip() or "10"
    if not pool.isascii() or not pool.isdigit() or not 1 <= int(pool) <= 200:
        raise ConfigError("YISHI_DB_POOL_SIZE", "must be a whole number of connections from 1 to 200")
    public_url = environ.get("YISHI_PUBLIC_URL", "").strip().rstrip("/") or None
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
            raise ConfigError("YISHI_PUBLIC_URL", "must be an http or https address without a path, e.g. https://yishi.example.org")
    secret_key = _secret_key(environ, env, var_dir)
    if env == "production":
        _production_checks(environ, secret_key, public_url)
    return Config(
        database_url=database_url,
        secret_key=secret_key,
        env="production" if env == "production" else "development",
        redis_url=redis_url,
        trusted_proxies=proxies,
        timezone=timezone,
        vote_clock_seconds=int(clock),
        public_url=public_url,
        db_pool_size=int(pool),
    )


_config: Config | None = None


def get_config() -> Config:
    """The process-wide configuration, loaded once."""
    global _config
    if _config is None:
        _config = load_config()
    return _config
