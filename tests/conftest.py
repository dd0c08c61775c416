"""Fixtures shared by every test: an isolated environment, databases on both backends, services."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

from deeptracy.config import Settings
from deeptracy.store.db import Database, upgrade
from tests.support import services

# ---- git repositories and servers (tests/support/git_fixtures.py) ---------------------------
# git_http_server, git_daemon, git_repos, stalling_server, git_settings
pytest_plugins = ("tests.support.git_fixtures",)
# ---- end git fixtures ------------------------------------------------------------------------

# Variables a developer's shell or .env could carry into tests; every test starts without them.
_ISOLATED_ENV = (
    "DATABASE_URI",
    "BROKER_URI",
    "SHARED_VOLUME_PATH",
    "LOCAL_PRIVATE_KEY_FILE",
    "PLUGINS_LOCATION",
    "PATTON_URI",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "SECRET_KEY",
    "EMAIL_SMTP_SERVER",
    "EMAIL_SMTP_PORT",
    "EMAIL_SMTP_USER",
    "EMAIL_SMTP_PASSWORD",
    "EMAIL_FROM",
    "EMAIL_SMTP_SECURITY",
    "EMAIL_SMTP_CA_FILE",
    "PUBLIC_URL",
    "NOTIFY_MAX_ATTEMPTS",
    "NOTIFY_BACKOFF_SECONDS",
    "NOTIFY_MAX_BACKOFF_SECONDS",
    "NOTIFY_TIMEOUT",
    "NOTIFY_POLL_INTERVAL",
    "NOTIFY_TOP_FINDINGS",
    "ALLOW_HTTP_NOTIFICATIONS",
    "NOTIFY_ALLOW_PRIVATE_HOSTS",
    "ADVISORY_SYNC_LOCK_KEY",
    "ADVISORY_SYNC_LOCK_TTL",
    "ALLOW_ANONYMOUS_READ",
    "ALLOWED_SCANS_PER_PERIOD",
    "ADVISORY_SYNC_INTERVAL",
    # scan execution and queues
    "EMBEDDED_WORKERS",
    "SCAN_TIMEOUT",
    "ANALYZER_TIMEOUT",
    "SCAN_HEARTBEAT_INTERVAL",
    "SCAN_HEARTBEAT_TIMEOUT",
    "MAX_SCAN_ATTEMPTS",
    "REAPER_INTERVAL",
    "WORKER_POLL_INTERVAL",
    "CELERY_QUEUE",
    "CELERY_KEY_PREFIX",
    "SCAN_REQUEUE_AFTER",
    "CELERY_VISIBILITY_TIMEOUT",
    "DEEPTRACY_TEST_PLUGIN",  # enables the installed test plugin (tests/plugins/)
)


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in _ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEEPTRACY_HOME", str(home))
    return home


@pytest.fixture
def deeptracy_home(_isolated_environment: Path) -> Path:
    return _isolated_environment


@pytest.fixture
def settings(deeptracy_home: Path) -> Settings:
    return Settings(_env_file=None, deeptracy_home=deeptracy_home)  # type: ignore[call-arg]


# ---- databases -------------------------------------------------------------------------------
# A migrated template per backend, made once per session and copied for each test: every test
# gets a fresh, fully migrated database in milliseconds.


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    services.require_postgres()
    uri = services.create_postgres_database()
    db = Database(uri, poolclass=NullPool)
    upgrade(db)
    db.dispose()
    yield uri.rsplit("/", 1)[1]
    services.drop_postgres_database(uri)


@pytest.fixture
def sqlite_uri(_sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "deeptracy.db"
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def postgres_uri(_postgres_template: str) -> Iterator[str]:
    uri = services.create_postgres_database(template=_postgres_template)
    yield uri
    services.drop_postgres_database(uri)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_uri(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database: the test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_uri" if request.param == "sqlite" else "postgres_uri"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def database(database_uri: str) -> Iterator[Database]:
    db = Database(database_uri)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def redis_uri() -> str:
    return services.require_redis()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return services.require_shared_data()
