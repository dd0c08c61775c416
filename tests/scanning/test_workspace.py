"""Per-scan clones: sparse and partial, bounded in time and size, cleaned up, hostile-proof."""

from __future__ import annotations

import logging
import os
import shlex
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from tests.support.git_server import (
    BareRepo,
    Executable,
    GitDaemon,
    GitHttpServer,
    Gitlink,
    GitRepoFactory,
    StallingServer,
    Symlink,
    run_git,
)

from deeptracy.config import Settings
from deeptracy.inventory.interface import Extractor, ScanFile
from deeptracy.inventory.model import Location, Package
from deeptracy.inventory.walker import scan_tree
from deeptracy.scanning.git import Credentials, GitError
from deeptracy.scanning.workspace import (
    clone,
    remove_stale_workspaces,
    sparse_patterns,
    tree_bytes,
)
from deeptracy.store.enums import FailureReason

MANIFESTS = ["requirements.txt", "package.json", "package-lock.json", "*.csproj", ".deeptracy.yml"]
BIG = 3 * 1024 * 1024


def _files(path: Path) -> list[str]:
    """Paths of the working tree, `.git` left out."""
    return sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if ".git" not in p.relative_to(path).parts and not p.is_dir()
    )


def _missing_objects(tree: Path) -> set[str]:
    # --missing=print lists promised-but-absent objects without fetching them.
    listing = run_git("rev-list", "--objects", "--missing=print", "HEAD", cwd=tree)
    return {line[1:] for line in listing.splitlines() if line.startswith("?")}


def _workspaces(settings: Settings) -> list[str]:
    root = settings.workspace_root
    return sorted(os.listdir(root)) if root.exists() else []


@pytest.fixture
def app_repo(git_repos: GitRepoFactory) -> BareRepo:
    repo = git_repos.create(
        "acme/app",
        {
            "requirements.txt": "flask==2.0.0\n",
            "src/app.py": "print('hi')\n",
            "assets/big.bin": os.urandom(BIG),
            "web/package.json": '{"name": "web"}\n',
            "web/index.js": "console.log(1)\n",
            "src/App/App.csproj": "<Project/>\n",
            # A directory named like a manifest must not be checked out wholesale.
            "docs/package.json/huge.txt": "x" * 1000,
            ".deeptracy.yml": "lang: python\n",
        },
    )
    repo.commit(
        {"requirements.txt": "flask==3.0.0\n", "extra/requirements.txt": "rich\n"},
        "feature",
        branch="feature/deps-2024",
        parent_branch="main",
    )
    return repo


# ---- the happy path ------------------------------------------------------------------------


def test_sparse_partial_clone_fetches_only_manifests(
    app_repo: BareRepo, git_settings: Settings
) -> None:
    repo = app_repo
    big_blob = repo.git("rev-parse", "main:assets/big.bin").strip()
    with clone(repo.http_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert _files(ws.path) == [
            ".deeptracy.yml",
            "requirements.txt",
            "src/App/App.csproj",
            "web/package.json",
        ]
        assert (ws.path / "requirements.txt").read_text() == "flask==2.0.0\n"
        assert big_blob in _missing_objects(ws.path)  # never downloaded
        assert tree_bytes(ws.root) < BIG // 10
        assert ws.branch == "main"
        assert ws.commit == repo.head("main")
        assert ws.sparse
        assert ws.root.parent == git_settings.workspace_root
        root = ws.root
    assert not root.exists()
    assert _workspaces(git_settings) == []


@pytest.mark.parametrize("transport", ["http", "file"])
def test_branch_with_slashes(app_repo: BareRepo, git_settings: Settings, transport: str) -> None:
    url = app_repo.http_url if transport == "http" else app_repo.file_url
    with clone(url, "feature/deps-2024", settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert ws.branch == "feature/deps-2024"
        assert ws.commit == app_repo.head("feature/deps-2024")
        assert (ws.path / "requirements.txt").read_text() == "flask==3.0.0\n"
        assert (ws.path / "extra/requirements.txt").read_text() == "rich\n"


def test_clone_over_the_git_protocol(
    git_repos: GitRepoFactory, git_daemon: GitDaemon, git_settings: Settings
) -> None:
    repo = git_repos.create(
        "daemon-app", {"requirements.txt": "a==1\n", "big.bin": os.urandom(BIG)}, branch="trunk"
    )
    repo.commit({"package.json": "{}"}, "npm", branch="feature/x", parent_branch="trunk")
    big_blob = repo.git("rev-parse", "trunk:big.bin").strip()
    with clone(repo.git_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert (ws.branch, _files(ws.path)) == ("trunk", ["requirements.txt"])
        assert big_blob in _missing_objects(ws.path)
    with clone(repo.git_url, "feature/x", settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert _files(ws.path) == ["package.json", "requirements.txt"]
    with (
        pytest.raises(GitError) as caught,
        clone(git_daemon.url_for("none"), settings=git_settings),
    ):
        pass
    assert caught.value.reason is FailureReason.INVALID_REPO


def test_default_branch_is_resolved(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    repo = git_repos.create("trunky", {"requirements.txt": "a==1\n"}, branch="trunk")
    with clone(repo.http_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert (ws.branch, ws.commit) == ("trunk", repo.head("trunk"))


def test_full_checkout_when_no_patterns_given(app_repo: BareRepo, git_settings: Settings) -> None:
    with clone(app_repo.http_url, settings=git_settings) as ws:
        assert "assets/big.bin" in _files(ws.path)
        assert "src/app.py" in _files(ws.path)
        assert not ws.sparse


def test_shallow_single_branch_without_tags(app_repo: BareRepo, git_settings: Settings) -> None:
    app_repo.git("tag", "v1", "main")
    app_repo.commit({"more": "x"}, "second", branch="main")
    with clone(
        app_repo.http_url,
        "main",
        settings=git_settings,
        manifest_patterns=MANIFESTS,
    ) as ws:
        assert run_git("rev-list", "--count", "HEAD", cwd=ws.path).strip() == "1"
        assert run_git("tag", cwd=ws.path).strip() == ""
        refs = run_git("for-each-ref", "--format=%(refname)", cwd=ws.path).split()
        assert set(refs) <= {
            "refs/heads/main",
            "refs/remotes/origin/main",
            "refs/remotes/origin/HEAD",
        }


def test_server_without_partial_clone_falls_back(
    git_repos: GitRepoFactory, git_settings: Settings
) -> None:
    repo = git_repos.create(
        "nofilter",
        {"requirements.txt": "a==1\n", "big.bin": os.urandom(BIG)},
        allow_filter=False,
    )
    with clone(repo.http_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert _files(ws.path) == ["requirements.txt"]  # sparse still applies to the tree
        assert _missing_objects(ws.path) == set()  # but every blob of the tip came along
        assert tree_bytes(ws.root) > BIG
    # ... so the size cap is what bounds such servers.
    small = git_settings.model_copy(update={"max_repository_bytes": BIG // 2})
    with (
        pytest.raises(GitError) as caught,
        clone(repo.http_url, settings=small, manifest_patterns=MANIFESTS),
    ):
        pass
    assert caught.value.reason is FailureReason.TOO_LARGE


def test_shared_volume_path_is_the_workspace_root(
    app_repo: BareRepo, git_settings: Settings, tmp_path: Path
) -> None:
    shared = tmp_path / "shared-volume"
    settings = git_settings.model_copy(update={"shared_volume_path": shared})
    with clone(app_repo.file_url, settings=settings, manifest_patterns=MANIFESTS) as ws:
        assert ws.root.parent == shared
        assert ws.root.name.startswith("scan-")
    assert os.listdir(shared) == []


def test_concurrent_workspaces_are_separate(app_repo: BareRepo, git_settings: Settings) -> None:
    url = app_repo.http_url
    with (
        clone(url, settings=git_settings, manifest_patterns=MANIFESTS) as first,
        clone(
            url, "feature/deps-2024", settings=git_settings, manifest_patterns=MANIFESTS
        ) as second,
    ):
        assert first.root != second.root
        assert len(_workspaces(git_settings)) == 2
    assert _workspaces(git_settings) == []


# ---- failures and clean-up -----------------------------------------------------------------


def test_workspace_is_removed_when_the_scan_fails(
    app_repo: BareRepo, git_settings: Settings
) -> None:
    with (
        pytest.raises(RuntimeError, match="analyzer exploded"),
        clone(app_repo.http_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws,
    ):
        root = ws.root
        # git leaves read-only pack files; removal copes with them.
        assert any(p.suffix == ".pack" for p in (root / "tree/.git/objects/pack").iterdir())
        raise RuntimeError("analyzer exploded")
    assert not root.exists()
    assert _workspaces(git_settings) == []


@pytest.mark.parametrize(
    ("branch", "reason"),
    [("no/such-branch", "INVALID_BRANCH"), ("--upload-pack=touch /tmp/x", "INVALID_BRANCH")],
)
def test_bad_branch_fails_and_leaves_nothing(
    app_repo: BareRepo, git_settings: Settings, branch: str, reason: str
) -> None:
    with (
        pytest.raises(GitError) as caught,
        clone(app_repo.http_url, branch, settings=git_settings, manifest_patterns=MANIFESTS),
    ):
        pass
    assert caught.value.reason == reason
    assert _workspaces(git_settings) == []


def test_unknown_repository_fails_and_leaves_nothing(
    git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    with (
        pytest.raises(GitError) as caught,
        clone(git_http_server.url_for("nobody/nothing"), settings=git_settings),
    ):
        pass
    assert caught.value.reason is FailureReason.INVALID_REPO
    assert _workspaces(git_settings) == []


@pytest.mark.parametrize(
    "url",
    ["-oProxyCommand=touch /tmp/pwned", "ext::sh -c touch% /tmp/pwned", "file:///", "/etc"],
)
def test_refused_urls_never_create_a_workspace(settings: Settings, url: str) -> None:
    with pytest.raises(GitError) as caught, clone(url, settings=settings):
        pass
    assert caught.value.reason is FailureReason.INVALID_REPO
    assert not settings.workspace_root.exists()


def test_timeout_kills_the_clone(stalling_server: StallingServer, git_settings: Settings) -> None:
    settings = git_settings.model_copy(update={"clone_timeout": 1.0})
    started = time.monotonic()
    with (
        pytest.raises(GitError) as caught,
        clone(stalling_server.url_for("app"), settings=settings),
    ):
        pass
    assert caught.value.reason is FailureReason.TIMEOUT
    assert time.monotonic() - started < 3.5
    assert _workspaces(settings) == []


def test_size_cap(app_repo: BareRepo, git_settings: Settings) -> None:
    capped = git_settings.model_copy(update={"max_repository_bytes": BIG // 2})
    url = app_repo.http_url
    # Sparse and partial: the big blob is never fetched, so the cap is not reached.
    with clone(url, settings=capped, manifest_patterns=MANIFESTS) as ws:
        assert tree_bytes(ws.root) < BIG // 2
    # The full tree needs the blob: stopped, reported, cleaned up.
    with pytest.raises(GitError) as caught, clone(url, settings=capped):
        pass
    assert caught.value.reason is FailureReason.TOO_LARGE
    assert "MAX_REPOSITORY_BYTES" in caught.value.message
    assert _workspaces(capped) == []


def test_a_huge_manifest_is_too_large(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    repo = git_repos.create("hugelock", {"package-lock.json": os.urandom(BIG)})
    capped = git_settings.model_copy(update={"max_repository_bytes": BIG // 2})
    with (
        pytest.raises(GitError) as caught,
        clone(repo.http_url, settings=capped, manifest_patterns=MANIFESTS),
    ):
        pass
    assert caught.value.reason is FailureReason.TOO_LARGE


# ---- private repositories ------------------------------------------------------------------


def test_private_clone_leaves_the_token_nowhere(
    git_repos: GitRepoFactory,
    git_http_server: GitHttpServer,
    git_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = git_http_server.token
    repo = git_repos.create("secret-app", {"requirements.txt": "django==4.2\n"}, private=True)
    with clone(
        repo.http_url,
        settings=git_settings,
        credentials=Credentials(https_token=token),
        manifest_patterns=MANIFESTS,
    ) as ws:
        assert (ws.path / "requirements.txt").read_text() == "django==4.2\n"
        for path in ws.root.rglob("*"):
            if path.is_file():
                assert token.encode() not in path.read_bytes(), path
        config = (ws.path / ".git" / "config").read_text()
        assert repo.http_url in config and "credential" not in config
    assert token not in caplog.text

    for credentials in (None, Credentials(https_token="not-the-token")):
        started = time.monotonic()
        with (
            pytest.raises(GitError) as caught,
            clone(repo.http_url, settings=git_settings, credentials=credentials),
        ):
            pass
        assert caught.value.reason is FailureReason.AUTH_FAILED
        assert time.monotonic() - started < 10
        assert token not in str(caught.value)
    assert _workspaces(git_settings) == []
    leftovers = list(Path(tempfile.gettempdir()).glob("deeptracy-git-*"))
    assert not [
        p for p in leftovers if (p / "token").exists() and token in (p / "token").read_text()
    ]


# ---- hostile repositories ------------------------------------------------------------------


class _Recorder(Extractor):
    """A toy extractor keeping what it was given to read."""

    name = "test/recorder"
    ecosystem = "PyPI"
    filenames = frozenset({"requirements.txt", "poetry.lock"})
    seen: dict[str, bytes]

    def __init__(self) -> None:
        self.seen = {}

    def extract(self, file: ScanFile) -> Iterable[Package]:
        self.seen[file.path] = file.data
        return [Package("PyPI", "x", "1", locations=(Location(file.path),))]


def test_symlinks_become_plain_files(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    repo = git_repos.create(
        "links",
        {
            "requirements.txt": Symlink("/etc/passwd"),
            "lib": Symlink("/etc"),
            "sub/poetry.lock": Symlink("../../../../../../etc/shadow"),
        },
    )
    with clone(repo.http_url, settings=git_settings) as ws:
        for name in ("requirements.txt", "lib", "sub/poetry.lock"):
            assert not (ws.path / name).is_symlink()
            assert (ws.path / name).is_file()
        assert (ws.path / "requirements.txt").read_text() == "/etc/passwd"
        recorder = _Recorder()
        scan_tree(ws.path, extractors=[recorder])
        assert recorder.seen["requirements.txt"] == b"/etc/passwd"
        assert all(b"root:" not in data for data in recorder.seen.values())


def test_submodules_are_not_fetched(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    elsewhere = git_repos.create("elsewhere", {"requirements.txt": "evil==1\n"})
    repo = git_repos.create(
        "with-submodule",
        {
            "requirements.txt": "a==1\n",
            ".gitmodules": (
                f'[submodule "vendor/evil"]\n\tpath = vendor/evil\n\turl = {elsewhere.http_url}\n'
            ),
            "vendor/evil": Gitlink(elsewhere.head("main")),
        },
    )
    with clone(repo.http_url, settings=git_settings) as ws:
        assert not any((ws.path / "vendor" / "evil").iterdir())
        assert not (ws.path / "vendor/evil/requirements.txt").exists()
    assert git_http_server.requests_for(elsewhere.http_url) == []


def test_a_tree_smuggling_git_hooks_is_refused(
    git_repos: GitRepoFactory, git_settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "hook-ran"
    repo = git_repos.create("hooky", {"requirements.txt": "a==1\n"})
    hook = repo.git("hash-object", "-w", "--stdin", input=f"#!/bin/sh\ntouch {marker}\n".encode())
    hooks = repo.git("mktree", input=f"100755 blob {hook.strip()}\tpost-checkout\n".encode())
    dotgit = repo.git("mktree", input=f"040000 tree {hooks.strip()}\thooks\n".encode())
    req = repo.git("rev-parse", "main:requirements.txt").strip()
    root = repo.git(
        "mktree",
        input=f"040000 tree {dotgit.strip()}\t.git\n100644 blob {req}\trequirements.txt\n".encode(),
    )
    repo.commit_tree(root.strip(), "smuggle .git/hooks", branch="main")
    with pytest.raises(GitError) as caught, clone(repo.http_url, settings=git_settings):
        pass
    assert caught.value.reason is FailureReason.INVALID_REPO
    assert not marker.exists()
    assert _workspaces(git_settings) == []


def test_hooks_from_the_environment_never_run(
    app_repo: BareRepo, git_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "hook-ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-checkout", "reference-transaction", "post-index-change"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
        (hooks / name).chmod(0o755)
    templates = tmp_path / "templates"
    (templates / "hooks").mkdir(parents=True)
    (templates / "hooks/post-checkout").write_text((hooks / "post-checkout").read_text())
    (templates / "hooks/post-checkout").chmod(0o755)
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f"[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(templates))
    url = app_repo.file_url

    control = tmp_path / "control"
    run_git("clone", "--quiet", url, str(control), env={"GIT_CONFIG_GLOBAL": str(global_config)})
    assert marker.exists(), "control: the same hooks do run under plain git"
    marker.unlink()

    with clone(url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert not (ws.path / ".git" / "hooks").exists()
    assert not marker.exists()


def test_executable_bits_do_not_matter(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    # A manifest checked out executable is only read, never run: nothing to assert but that.
    repo = git_repos.create("exec", {"requirements.txt": Executable("#!/bin/sh\nexit 1\n")})
    with clone(repo.http_url, settings=git_settings, manifest_patterns=MANIFESTS) as ws:
        assert (ws.path / "requirements.txt").read_text().startswith("#!/bin/sh")


# ---- helpers -------------------------------------------------------------------------------


def test_sparse_patterns() -> None:
    assert sparse_patterns(["requirements.txt", "*.csproj", "#odd", "!bang", "docs/x.txt"]) == (
        "requirements.txt\n!requirements.txt/\n*.csproj\n!*.csproj/\n"
        "\\#odd\n!\\#odd/\n\\!bang\n!\\!bang/\ndocs/x.txt\n!docs/x.txt/\n"
    )
    for bad in ("", " x", "a\nb", "*", "/", "a\\b", "**"):
        with pytest.raises(ValueError, match="not a usable"):
            sparse_patterns([bad])
    with pytest.raises(ValueError, match="empty"):
        sparse_patterns([])


def test_odd_pattern_names_are_literal(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    repo = git_repos.create("odd", {"#notes": "n", "!bang": "b", "other": "o"})
    with clone(repo.http_url, settings=git_settings, manifest_patterns=["#notes", "!bang"]) as ws:
        assert _files(ws.path) == ["!bang", "#notes"]


def test_stale_workspaces_are_swept(git_settings: Settings) -> None:
    root = git_settings.workspace_root
    old = root / "scan-old"
    (old / "tree").mkdir(parents=True)
    (root / "scan-new").mkdir()
    (root / "not-a-workspace").mkdir()
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert remove_stale_workspaces(git_settings, older_than_seconds=3600) == [old]
    assert sorted(os.listdir(root)) == ["not-a-workspace", "scan-new"]


# ---- limits while git is still transferring ------------------------------------------------


def test_size_cap_stops_git_mid_transfer(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    repo = git_repos.create("slow-big", {"requirements.txt": "a==1\n", "big.bin": os.urandom(BIG)})
    git_http_server.set_rate(repo.path, BIG // 3)  # the full pack would take ~3 s
    capped = git_settings.model_copy(update={"max_repository_bytes": BIG // 4})
    started = time.monotonic()
    with pytest.raises(GitError) as caught, clone(repo.http_url, settings=capped):
        pass
    assert caught.value.reason is FailureReason.TOO_LARGE
    assert time.monotonic() - started < 2.5  # killed once over the cap, not at the end
    assert _workspaces(capped) == []


def test_timeout_during_the_clone_itself(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    # ls-remote answers are small and quick here; the pack is what takes too long.
    repo = git_repos.create("slow", {"requirements.txt": "a==1\n", "big.bin": os.urandom(BIG)})
    git_http_server.set_rate(repo.path, BIG // 4)
    settings = git_settings.model_copy(update={"clone_timeout": 1.5})
    started = time.monotonic()
    with pytest.raises(GitError) as caught, clone(repo.http_url, settings=settings):
        pass
    assert caught.value.reason is FailureReason.TIMEOUT
    # With blob:none the big blob arrives during checkout (a lazy fetch): that is what stalls.
    assert caught.value.message == "git checkout did not finish within 1.5 seconds"
    assert time.monotonic() - started < 3.5
    assert _workspaces(settings) == []
