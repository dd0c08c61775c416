"""pytest fixtures for real git repositories and servers (registered in tests/conftest.py).

- `git_http_server` (session): a `GitHttpServer`; `.url_for(name)`, `.token` (private repos),
  `.requests` / `.requests_for(name)`.
- `git_repos`: a `GitRepoFactory` whose repositories are served by `git_http_server` (each test
  gets its own namespace, so names never collide); `.create(name, files, branch, private=…)`.
  A test that also requests `git_daemon` gets `repo.git_url` (git://) as well.
- `git_daemon` (session): `git daemon` over the same repositories.
- `stalling_server`: a TCP server that accepts and never answers (timeouts).
- `git_settings`: the `settings` fixture with file:// and http:// remotes allowed, a short
  CLONE_TIMEOUT and a known_hosts file under the test's home.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deeptracy.config import Settings
from tests.support.git_server import GitDaemon, GitHttpServer, GitRepoFactory, StallingServer


@pytest.fixture(scope="session")
def git_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    with GitHttpServer(tmp_path_factory.mktemp("git-served")) as server:
        yield server


@pytest.fixture(scope="session")
def git_daemon(git_http_server: GitHttpServer) -> Iterator[GitDaemon]:
    with GitDaemon(git_http_server.root) as daemon:  # serves the same repositories
        yield daemon


@pytest.fixture
def git_repos(git_http_server: GitHttpServer, request: pytest.FixtureRequest) -> GitRepoFactory:
    # One folder per test below the served root: URLs stay stable and names never collide.
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:50].strip("-")
    root = git_http_server.root / f"{slug}-{uuid.uuid4().hex[:8]}"
    daemon = request.getfixturevalue("git_daemon") if "git_daemon" in request.fixturenames else None
    return GitRepoFactory(root, server=git_http_server, daemon=daemon)


@pytest.fixture(autouse=True)
def _isolated_git_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scanning settings from a developer's shell must not change what the tests see.
    for name in (
        "ALLOW_FILE_URLS",
        "ALLOW_HTTP_URLS",
        "SSH_KNOWN_HOSTS_FILE",
        "CLONE_TIMEOUT",
        "MAX_REPOSITORY_BYTES",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stalling_server() -> Iterator[StallingServer]:
    with StallingServer() as server:
        yield server


@pytest.fixture
def git_settings(settings: Settings, deeptracy_home: Path) -> Settings:
    return settings.model_copy(
        update={
            "allow_file_urls": True,
            "allow_http_urls": True,
            "clone_timeout": 60.0,
            "ssh_known_hosts_file": deeptracy_home / "known_hosts",
        }
    )
