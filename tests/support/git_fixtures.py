"""pytest fixtures for real git repositories and servers (registered in tests/conftest.py).

- `git_http_server` (session): a `GitHttpServer`; `.url_for(name)`, `.token` (private repos),
  `.requests` / `.requests_for(name)`.
- `git_repos`: a `GitRepoFactory` whose repositories are served by `git_http_server` (each test
  gets its own namespace, so names never collide); `.create(name, files, branch, private=…)`.
- `stalling_server`: a TCP server that accepts and never answers (timeouts).
- `git_settings`: the `settings` fixture with file:// and http:// remotes allowed, a short
  CLONE_TIMEOUT and a known_hosts file under the test's home.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from deeptracy.config import Settings
from tests.support.git_server import GitHttpServer, GitRepoFactory, StallingServer


@pytest.fixture(scope="session")
def git_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    with GitHttpServer(tmp_path_factory.mktemp("git-served")) as server:
        yield server


@pytest.fixture
def git_repos(git_http_server: GitHttpServer, request: pytest.FixtureRequest) -> GitRepoFactory:
    # One folder per test below the served root: URLs stay stable and names never collide.
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60].strip("-")
    root = git_http_server.root / f"{slug}-{id(request)}"
    return GitRepoFactory(root, server=git_http_server)


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
