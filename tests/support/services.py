"""Access to the real services of the machine for tests: PostgreSQL, Redis, the shared data.

Under CI=true a service that cannot be reached fails the test; elsewhere it skips with the
reason, so a developer without PostgreSQL still runs everything else.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URI = os.environ.get(
    "DEEPTRACY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URI = os.environ.get("DEEPTRACY_TEST_REDIS", "redis://127.0.0.1:6379/0")
REPO_ROOT = Path(__file__).resolve().parents[2]


def unavailable(what: str, reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but unreachable: {reason}", pytrace=False)
    pytest.skip(f"{what} unreachable: {reason}")


def _tcp_reachable(uri: str, default_port: int) -> str | None:
    parts = urlsplit(uri)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return None
    except OSError as exc:
        return str(exc)


def require_postgres() -> str:
    problem = _tcp_reachable(POSTGRES_ADMIN_URI, 5432)
    if problem:
        unavailable("PostgreSQL", problem)
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URI, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        unavailable("PostgreSQL", str(exc))
    return POSTGRES_ADMIN_URI


def require_redis() -> str:
    problem = _tcp_reachable(REDIS_URI, 6379)
    if problem:
        unavailable("Redis", problem)
    import redis

    try:
        redis.Redis.from_url(REDIS_URI, socket_timeout=3).ping()
    except redis.RedisError as exc:
        unavailable("Redis", str(exc))
    return REDIS_URI


def postgres_uri_for(dbname: str) -> str:
    base = POSTGRES_ADMIN_URI.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


def create_postgres_database(template: str | None = None) -> str:
    """A new, empty (or template-copied) database with a unique name; returns its URI."""
    import psycopg

    name = f"deeptracy_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URI, autocommit=True) as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return postgres_uri_for(name)


def drop_postgres_database(uri: str) -> None:
    import psycopg

    name = uri.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URI, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shared_data_dir() -> Path | None:
    """../shared/data beside the project (or DEEPTRACY_SHARED_DATA), if present."""
    candidates = [os.environ.get("DEEPTRACY_SHARED_DATA"), REPO_ROOT.parent / "shared" / "data"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "osv").is_dir():
            return Path(candidate)
    return None


def require_shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("../shared/data is absent (real OSV exports are not part of the repository)")
    return found
