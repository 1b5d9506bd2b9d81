"""Configuration: defaults that work on a bare machine, one clear line for each bad variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from community.config import DEFAULT_DATABASE_URL, ConfigError, load_config


def test_defaults_use_sqlite_and_keep_a_generated_secret(tmp_path):
    config = load_config({}, var_dir=tmp_path)
    assert config.database_url == DEFAULT_DATABASE_URL and config.is_sqlite
    assert config.env == "development" and config.vote_clock_seconds == 30
    assert len(config.secret_key) >= 32
    assert load_config({}, var_dir=tmp_path).secret_key == config.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_public_url_is_kept_without_its_trailing_slash(tmp_path):
    assert load_config({"YISHI_PUBLIC_URL": "https://yishi.example.org/"}, var_dir=tmp_path).public_url == "https://yishi.example.org"
    assert load_config({}, var_dir=tmp_path).public_url is None


def test_postgres_url_selects_postgres(tmp_path):
    config = load_config({"YISHI_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/yishi"}, var_dir=tmp_path)
    assert not config.is_sqlite


@pytest.mark.parametrize(
    "environ,variable",
    [
        ({"YISHI_ENV": "staging"}, "YISHI_ENV"),
        ({"YISHI_ENV": "production"}, "YISHI_SECRET_KEY"),
        ({"YISHI_SECRET_KEY": "short"}, "YISHI_SECRET_KEY"),
        ({"YISHI_DATABASE_URL": "mysql://x/y"}, "YISHI_DATABASE_URL"),
        ({"YISHI_DATABASE_URL": "postgresql://host-only"}, "YISHI_DATABASE_URL"),
        ({"YISHI_DATABASE_URL": "postgresql://h:notaport/db"}, "YISHI_DATABASE_URL"),
        ({"YISHI_REDIS_URL": "http://localhost"}, "YISHI_REDIS_URL"),
        ({"YISHI_TIMEZONE": "Mars/Olympus"}, "YISHI_TIMEZONE"),
        ({"YISHI_VOTE_CLOCK": "soon"}, "YISHI_VOTE_CLOCK"),
        ({"YISHI_PUBLIC_URL": "yishi.example.org"}, "YISHI_PUBLIC_URL"),
        ({"YISHI_PUBLIC_URL": "https://yishi.example.org/sub"}, "YISHI_PUBLIC_URL"),
        ({"YISHI_VOTE_CLOCK": "-5"}, "YISHI_VOTE_CLOCK"),
        ({"YISHI_DB_POOL_SIZE": "0"}, "YISHI_DB_POOL_SIZE"),
        ({"YISHI_DB_POOL_SIZE": "many"}, "YISHI_DB_POOL_SIZE"),
        ({"YISHI_ENV": "production", "YISHI_SECRET_KEY": "k7Qm2xV9pLr4Tz8Wn3Bc6Hd1Fg5Js0Ya",
          "YISHI_DATABASE_URL": "postgresql://yishi:pw@127.0.0.1:5432/yishi"}, "YISHI_PUBLIC_URL"),
    ],
)
def test_bad_configuration_names_the_variable(tmp_path, environ, variable):
    with pytest.raises(ConfigError) as info:
        load_config(environ, var_dir=tmp_path)
    assert info.value.variable == variable


PRODUCTION = {
    "YISHI_ENV": "production",
    "YISHI_SECRET_KEY": "k7Qm2xV9pLr4Tz8Wn3Bc6Hd1Fg5Js0Ya",
    "YISHI_DATABASE_URL": "postgresql://yishi:pw@127.0.0.1:5432/yishi",
    "YISHI_PUBLIC_URL": "https://yishi.example.org",
}


def test_a_complete_production_configuration_starts(tmp_path):
    config = load_config(PRODUCTION, var_dir=tmp_path)
    assert config.is_production and config.public_url == "https://yishi.example.org"


@pytest.mark.parametrize(
    ("change", "variable", "says"),
    [
        ({"YISHI_SECRET_KEY": "a" * 40}, "YISHI_SECRET_KEY", "secrets.token_urlsafe"),
        ({"YISHI_DATABASE_URL": ""}, "YISHI_DATABASE_URL", "postgresql://"),
        ({"YISHI_DATABASE_URL": "sqlite:///./var/yishi.sqlite3"}, "YISHI_DATABASE_URL", "absolute"),
        ({"YISHI_PUBLIC_URL": ""}, "YISHI_PUBLIC_URL", "https://"),
        ({"YISHI_PUBLIC_URL": "http://yishi.example.org"}, "YISHI_PUBLIC_URL", "https://"),
        ({"YISHI_TRUSTED_PROXIES": "127.0.0.1, nginx"}, "YISHI_TRUSTED_PROXIES", "IP address"),
    ],
)
def test_production_refuses_a_missing_or_unsafe_setting_and_says_what_to_set(tmp_path, change, variable, says):
    with pytest.raises(ConfigError) as info:
        load_config({**PRODUCTION, **change}, var_dir=tmp_path)
    assert info.value.variable == variable and says in info.value.problem


def test_cli_exits_2_with_one_line_on_bad_configuration(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env={"YISHI_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "YISHI_SECRET_KEY" in result.stderr
    assert result.stdout == ""


def test_production_needs_the_public_address(tmp_path):
    """Without it, QR codes, feeds and printed slips would take their links from the request's Host header."""
    # Everything else a production start needs is there: only the public address is missing.
    environ = {**PRODUCTION, "PATH": "/usr/bin:/bin"}
    environ.pop("YISHI_PUBLIC_URL")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=environ, capture_output=True, text=True, cwd=tmp_path,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "YISHI_PUBLIC_URL" in result.stderr
    config = load_config({**environ, "YISHI_PUBLIC_URL": "https://yishi.example.org"}, var_dir=tmp_path)
    assert config.is_production and config.public_url == "https://yishi.example.org"


def test_every_command_has_help():
    from app.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert command.format_help(), name
        assert command.description or command.format_usage()


@pytest.mark.parametrize(
    ("args", "says"),
    [(["serve", "--demo"], "--demo"), (["serve", "--workers", "2"], "PostgreSQL")],
)
def test_production_serve_refuses_the_demo_and_several_workers_on_sqlite(tmp_path, args, says):
    env = {**PRODUCTION, "YISHI_DATABASE_URL": f"sqlite:///{tmp_path}/y.sqlite3", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                            cwd=tmp_path, check=False, timeout=60)  # fmt: skip
    assert result.returncode == 2 and says in result.stderr
    assert not (tmp_path / "y.sqlite3").exists()  # refused before touching the database
