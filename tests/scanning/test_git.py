"""The hardened git runner and ls_remote, against real git, real repositories and servers."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import time
from pathlib import Path

import pytest
from tests.support.git_server import (
    Executable,
    GitHttpServer,
    GitRepoFactory,
    StallingServer,
    closed_port,
    run_git,
)

from deeptracy.config import Settings
from deeptracy.scanning.git import (
    Credentials,
    FailureReason,
    GitError,
    GitSession,
    RemoteHead,
    classify,
    ls_remote,
    validate_branch,
)

FILES = {"requirements.txt": "flask==2.0.0\n", "src/app.py": "print('hi')\n"}


# ---- branch names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["main", "master", "feature/x", "release/1.2/rc-1", "fix_#12", "ünïcode", "a.b"]
)
def test_valid_branch_names(name: str) -> None:
    assert validate_branch(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-x",
        "--upload-pack=touch /tmp/pwned",
        "--output=/tmp/x",
        "a..b",
        "HEAD",
        "x.lock",
        "a b",
        "a\nb",
        "@{-1}",
        "feat~1",
        "feat^",
        "feat:x",
        "/main",
        "main/",
        "a//b",
        "refs/heads/../x",
    ],
)
def test_invalid_branch_names(name: str) -> None:
    with pytest.raises(GitError) as caught:
        validate_branch(name)
    assert caught.value.reason is FailureReason.INVALID_BRANCH


# ---- classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        ("fatal: Authentication failed for 'https://github.com/o/r.git/'", "AUTH_FAILED"),
        (
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
            "AUTH_FAILED",
        ),
        (
            "git@github.com: Permission denied (publickey).\n"
            "fatal: Could not read from remote repository.",
            "AUTH_FAILED",
        ),
        ("Host key verification failed.\nfatal: Could not read from remote", "AUTH_FAILED"),
        ("fatal: unable to access '…': The requested URL returned error: 403", "AUTH_FAILED"),
        (
            "warning: Could not find remote branch x to clone.\n"
            "fatal: Remote branch x not found in upstream origin",
            "INVALID_BRANCH",
        ),
        ("fatal: couldn't find remote ref refs/heads/x", "INVALID_BRANCH"),
        ("remote: Repository not found.\nfatal: repository '…' not found", "INVALID_REPO"),
        ("fatal: '/srv/x' does not appear to be a git repository", "INVALID_REPO"),
        ("fatal: unable to access '…': Could not resolve host: nowhere.invalid", "INVALID_REPO"),
        ("ssh: connect to host h port 22: Connection refused", "INVALID_REPO"),
        ("fatal: transport 'file' not allowed", "INVALID_REPO"),
        ("fatal: remote error: no such repository: /none.git", "INVALID_REPO"),
        ("fatal: remote error: access denied or repository not exported: /x", "INVALID_REPO"),
        ("error: object 1234: hasDotgit: contains '.git'\nfatal: fsck error", "INVALID_REPO"),
        ("fatal: the remote end hung up unexpectedly", "INTERNAL_ERROR"),
        ("fatal: out of memory", "INTERNAL_ERROR"),
    ],
)
def test_classify_git_messages(stderr: str, reason: str) -> None:
    assert classify(stderr) == reason


# ---- ls_remote -----------------------------------------------------------------------------


def test_ls_remote_resolves_the_default_branch_over_http_and_file(
    git_repos: GitRepoFactory, git_settings: Settings
) -> None:
    repo = git_repos.create("acme/app", FILES, branch="trunk")
    repo.commit({"x": "1"}, "other", branch="main", parent_branch="trunk")
    expected = RemoteHead("trunk", repo.head("trunk"))
    assert ls_remote(repo.http_url, settings=git_settings) == expected
    assert ls_remote(repo.file_url, settings=git_settings) == expected
    repo.set_default_branch("main")
    assert ls_remote(repo.http_url, settings=git_settings).branch == "main"


def test_ls_remote_branch_with_slashes(git_repos: GitRepoFactory, git_settings: Settings) -> None:
    repo = git_repos.create("app", FILES)
    sha = repo.commit({"package.json": "{}"}, "npm", branch="feature/x", parent_branch="main")
    assert ls_remote(repo.http_url, "feature/x", settings=git_settings) == RemoteHead(
        "feature/x", sha
    )


def test_ls_remote_matches_the_exact_ref_not_a_tail(
    git_repos: GitRepoFactory, git_settings: Settings
) -> None:
    # `git ls-remote url refs/heads/x` also lists refs/heads/a/refs/heads/x; we must not.
    repo = git_repos.create("app", FILES)
    decoy = repo.commit({"d": "1"}, "decoy", branch="a/refs/heads/x", parent_branch="main")
    repo.commit({"o": "1"}, "other", branch="other/main", parent_branch="main")
    assert ls_remote(repo.http_url, "main", settings=git_settings).commit == repo.head("main")
    with pytest.raises(GitError) as caught:
        ls_remote(repo.http_url, "x", settings=git_settings)
    assert caught.value.reason is FailureReason.INVALID_BRANCH
    assert ls_remote(repo.http_url, "a/refs/heads/x", settings=git_settings).commit == decoy


@pytest.mark.parametrize("transport", ["http", "file"])
def test_unknown_branch_is_invalid_branch(
    git_repos: GitRepoFactory, git_settings: Settings, transport: str
) -> None:
    repo = git_repos.create("app", FILES)
    url = repo.http_url if transport == "http" else repo.file_url
    with pytest.raises(GitError) as caught:
        ls_remote(url, "nope", settings=git_settings)
    assert caught.value.reason is FailureReason.INVALID_BRANCH
    assert "'nope' does not exist" in caught.value.message


def test_unknown_repository_is_invalid_repo(
    git_http_server: GitHttpServer, git_settings: Settings, tmp_path: Path
) -> None:
    for url in (git_http_server.url_for("no/such/repo"), (tmp_path / "missing.git").as_uri()):
        with pytest.raises(GitError) as caught:
            ls_remote(url, settings=git_settings)
        assert caught.value.reason is FailureReason.INVALID_REPO, caught.value.message


def test_unreachable_host_is_invalid_repo(git_settings: Settings) -> None:
    with pytest.raises(GitError) as caught:
        ls_remote("https://nonexistent.invalid/o/r.git", settings=git_settings)
    assert caught.value.reason is FailureReason.INVALID_REPO


def test_empty_repository_or_dangling_head_has_no_default_branch(
    git_repos: GitRepoFactory, git_settings: Settings
) -> None:
    empty = git_repos.create("empty")
    dangling = git_repos.create("dangling", FILES)
    dangling.set_default_branch("gone")
    for repo in (empty, dangling):
        with pytest.raises(GitError) as caught:
            ls_remote(repo.http_url, settings=git_settings)
        assert caught.value.reason is FailureReason.INVALID_BRANCH
        assert "no default branch" in caught.value.message


def test_file_urls_need_the_setting(git_repos: GitRepoFactory, settings: Settings) -> None:
    repo = git_repos.create("app", FILES)
    with pytest.raises(GitError) as caught:
        ls_remote(repo.file_url, settings=settings)
    assert caught.value.reason is FailureReason.INVALID_REPO
    assert "ALLOW_FILE_URLS" in caught.value.message
    with pytest.raises(GitError, match="ALLOW_HTTP_URLS"):
        ls_remote(repo.http_url, settings=settings)


def test_injected_branch_and_url_run_nothing(
    git_repos: GitRepoFactory, git_settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    repo = git_repos.create("app", FILES)
    with pytest.raises(GitError) as caught:
        ls_remote(repo.http_url, f"--upload-pack=touch {marker}", settings=git_settings)
    assert caught.value.reason is FailureReason.INVALID_BRANCH
    for url in (f"-oProxyCommand=touch {marker}", f"ext::sh -c touch% {marker}", "ext::sh"):
        with pytest.raises(GitError) as caught:
            ls_remote(url, settings=git_settings)
        assert caught.value.reason is FailureReason.INVALID_REPO
    assert not marker.exists()


def test_transport_policy_holds_even_for_raw_arguments(
    git_repos: GitRepoFactory, settings: Settings, tmp_path: Path
) -> None:
    # Defence in depth: were a URL to slip past validation, git itself refuses the transport.
    marker = tmp_path / "pwned"
    repo = git_repos.create("app", FILES)
    with GitSession("https://example.com/o/r.git", settings=settings) as git:
        for url in (f"ext::sh -c 'touch {marker}'", repo.file_url, repo.http_url):
            with pytest.raises(GitError) as caught:
                git.run(["ls-remote", "--", url])
            assert caught.value.reason is FailureReason.INVALID_REPO
            assert "not allowed" in caught.value.message
    assert not marker.exists()


# ---- private repositories over HTTP --------------------------------------------------------


def test_private_repository_needs_the_token(
    git_repos: GitRepoFactory,
    git_http_server: GitHttpServer,
    git_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    token = git_http_server.token
    repo = git_repos.create("secret", FILES, private=True)
    head = ls_remote(repo.http_url, settings=git_settings, credentials=Credentials(token))
    assert head == RemoteHead("main", repo.head("main"))
    users = {r.user for r in git_http_server.requests_for(repo.http_url) if r.status == 200}
    assert users == {"x-access-token"}

    for credentials in (None, Credentials("wrong-token"), Credentials(https_token=token + "x")):
        started = time.monotonic()
        with pytest.raises(GitError) as caught:
            ls_remote(repo.http_url, settings=git_settings, credentials=credentials)
        assert caught.value.reason is FailureReason.AUTH_FAILED
        assert time.monotonic() - started < 10  # no prompt waited on
        assert token not in str(caught.value)
    assert token not in caplog.text


def test_token_username_is_configurable(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    repo = git_repos.create("secret", FILES, private="per-project-token")
    credentials = Credentials(https_token="per-project-token", https_username="oauth2")
    assert ls_remote(repo.http_url, settings=git_settings, credentials=credentials).branch == "main"
    assert "oauth2" in {r.user for r in git_http_server.requests_for(repo.http_url)}


def test_token_lives_only_in_a_private_file_during_the_session(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    token = git_http_server.token
    repo = git_repos.create("secret", FILES, private=True)
    with GitSession(repo.http_url, settings=git_settings, credentials=Credentials(token)) as git:
        private = git.private_dir
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        assert stat.S_IMODE((private / "token").stat().st_mode) == 0o600
        assert (private / "token").read_text() == token
        helper = (private / "credential-helper").read_text()
        assert token not in helper
        argv = git.command(["ls-remote", "--", repo.http_url])
        assert not any(token in arg for arg in argv)
        assert not any(token in value for value in git.env.values())
        assert git.resolve("main").commit == repo.head("main")
    assert not private.exists()


def test_token_is_offered_whatever_the_host_name_case(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    repo = git_repos.create("secret", FILES, private=True)
    url = repo.http_url.replace("127.0.0.1", "LocalHost")
    credentials = Credentials(git_http_server.token)
    assert ls_remote(url, settings=git_settings, credentials=credentials).branch == "main"


def test_token_is_only_offered_to_the_repository_host(
    git_repos: GitRepoFactory, git_http_server: GitHttpServer, git_settings: Settings
) -> None:
    # Same server under another host name (as after a redirect): the helper stays silent.
    token = git_http_server.token
    repo = git_repos.create("secret", FILES, private=True)
    other_host = repo.http_url.replace("127.0.0.1", "localhost")
    with (
        GitSession(repo.http_url, settings=git_settings, credentials=Credentials(token)) as git,
        pytest.raises(GitError) as caught,
    ):
        git.run(["ls-remote", "--", other_host])
    assert caught.value.reason is FailureReason.AUTH_FAILED
    assert all(r.user is None for r in git_http_server.requests_for(repo.http_url))


def test_secrets_and_url_credentials_are_scrubbed_from_messages(settings: Settings) -> None:
    token = "s3cr3t-token-value"
    with GitSession(
        "https://example.com/o/r.git", settings=settings, credentials=Credentials(token)
    ) as git:
        # check-ref-format echoes its argument in the error, a handy way to make git print it.
        for echoed in (f"{token}..x", "https://user:hunter2@example.com/..x"):
            with pytest.raises(GitError) as caught:
                git.run(["check-ref-format", "--branch", echoed])
            assert token not in str(caught.value)
            assert "hunter2" not in str(caught.value)
            assert "***" in caught.value.message


def test_credentials_never_show_in_repr_and_are_checked() -> None:
    credentials = Credentials(https_token="tok123", ssh_private_key=_FAKE_KEY)
    assert "tok123" not in repr(credentials)
    assert "PRIVATE" not in repr(credentials)
    with pytest.raises(ValueError, match="whitespace"):
        Credentials(https_token="tok\nprotocol=https")
    with pytest.raises(ValueError, match="not a PEM"):
        Credentials(ssh_private_key="ssh-ed25519 AAAA public key")


# ---- timeouts ------------------------------------------------------------------------------


def _processes_mentioning(needle: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline:
            found.append(cmdline)
    return found


def test_stalled_server_times_out_and_git_is_killed(
    stalling_server: StallingServer, git_settings: Settings
) -> None:
    settings = git_settings.model_copy(update={"clone_timeout": 1.5})
    url = stalling_server.url_for("app")
    started = time.monotonic()
    with pytest.raises(GitError) as caught:
        ls_remote(url, settings=settings)
    elapsed = time.monotonic() - started
    assert caught.value.reason is FailureReason.TIMEOUT
    assert 1.4 < elapsed < 4.0
    # git and its git-remote-http helper (same process group) are gone.
    deadline = time.monotonic() + 3
    while (
        _processes_mentioning(f"127.0.0.1:{stalling_server.port}") and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert _processes_mentioning(f"127.0.0.1:{stalling_server.port}") == []


def test_a_watch_complaint_kills_git_in_flight(
    stalling_server: StallingServer, git_settings: Settings
) -> None:
    url = stalling_server.url_for("app")
    started = time.monotonic()
    with GitSession(url, settings=git_settings) as git, pytest.raises(GitError) as caught:
        git.run(["ls-remote", "--", url], watch=lambda: "workspace over the cap")
    assert caught.value.reason is FailureReason.TOO_LARGE
    assert caught.value.message == "workspace over the cap"
    assert time.monotonic() - started < 2
    assert _processes_mentioning(f"127.0.0.1:{stalling_server.port}") == []


def test_missing_git_is_an_internal_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("deeptracy.scanning.git.GIT", "/nonexistent/git")
    with (
        GitSession("https://example.com/o/r.git", settings=settings) as git,
        pytest.raises(GitError) as caught,
    ):
        git.run(["version"])
    assert caught.value.reason is FailureReason.INTERNAL_ERROR


# ---- hardening -----------------------------------------------------------------------------


def test_no_user_or_system_configuration_reaches_git(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings
) -> None:
    evil = tmp_path / "evil.gitconfig"
    evil.write_text(
        '[core]\n\thooksPath = /tmp/evil-hooks\n[url "ext::sh -c id"]\n\tinsteadOf = https://\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(evil))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.sshCommand'='touch /tmp/pwned'")
    monkeypatch.setenv("GIT_SSH_COMMAND", "touch /tmp/pwned")
    monkeypatch.setenv("GIT_ASKPASS", "/bin/echo")
    monkeypatch.setenv("GIT_SSL_NO_VERIFY", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path))
    with GitSession("https://example.com/o/r.git", settings=settings) as git:
        env = git.env
        assert env["GIT_CONFIG_GLOBAL"] == os.devnull
        assert "GIT_CONFIG_PARAMETERS" not in env
        assert "GIT_ASKPASS" not in env and "GIT_SSL_NO_VERIFY" not in env
        assert "GIT_TEMPLATE_DIR" not in env
        assert env["GIT_SSH_COMMAND"].startswith("ssh ")
        assert env["HOME"].startswith(str(git.private_dir))
        listing = git.run(["config", "--list", "--show-origin"]).stdout.splitlines()
    assert listing and all(line.startswith("command line:") for line in listing)
    settings_seen = {line.split("\t", 1)[1] for line in listing}
    assert {
        "core.hookspath=/dev/null",
        "core.symlinks=false",
        "transfer.fsckobjects=true",
        "submodule.recurse=false",
        "protocol.ext.allow=never",
        "protocol.file.allow=never",
        "protocol.allow=never",
    } <= settings_seen


def test_hooks_never_run(tmp_path: Path, settings: Settings) -> None:
    marker = tmp_path / "hook-ran"
    work = tmp_path / "work"
    run_git("init", "--quiet", "-b", "main", str(work))
    (work / "f").write_text("x\n")
    run_git("add", "f", cwd=work)
    run_git("commit", "--quiet", "-m", "one", cwd=work)
    hook = work / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n")
    hook.chmod(0o755)
    run_git("checkout", "--quiet", "-b", "control", cwd=work)
    assert marker.exists(), "control: plain git runs the hook"
    marker.unlink()
    with GitSession("https://example.com/o/r.git", settings=settings) as git:
        git.run(["checkout", "--quiet", "-b", "hardened"], cwd=work)
        git.run(["checkout", "--quiet", "main"], cwd=work)
    assert not marker.exists()


# ---- SSH -----------------------------------------------------------------------------------

_FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"


@pytest.fixture
def ssh_key(tmp_path: Path) -> str:
    path = tmp_path / "key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.read_text()


def _ssh_effective(command: str, host: str = "git.example.com") -> dict[str, str]:
    """What ssh itself makes of GIT_SSH_COMMAND (`ssh -G` resolves options, never connects)."""
    argv = shlex.split(command)
    done = subprocess.run(
        [*argv, "-G", host], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    resolved: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        resolved.setdefault(key, value)
    return resolved


def test_ssh_deploy_key_is_a_private_file_for_the_session_only(
    ssh_key: str, git_settings: Settings
) -> None:
    url = "git@git.example.com:acme/app.git"
    with GitSession(
        url, settings=git_settings, credentials=Credentials(ssh_private_key=ssh_key)
    ) as git:
        key_file = git.private_dir / "id_deploy"
        assert key_file.read_text() == ssh_key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(git.private_dir.stat().st_mode) == 0o700
        command = git.env["GIT_SSH_COMMAND"]
        assert ssh_key not in command and ssh_key not in " ".join(git.command(["fetch"]))
        resolved = _ssh_effective(command)
    assert not key_file.exists()
    assert resolved["identityfile"] == str(key_file)
    assert resolved["identitiesonly"] == "yes"
    assert resolved["batchmode"] == "yes"
    assert resolved["stricthostkeychecking"] == "true"
    assert resolved["userknownhostsfile"] == str(git_settings.effective_known_hosts_file)
    assert resolved["forwardagent"] == "no"


def test_local_private_key_file_is_the_global_fallback(
    ssh_key: str, git_settings: Settings, tmp_path: Path
) -> None:
    fallback = tmp_path / "global_key"
    fallback.write_text(ssh_key)
    fallback.chmod(0o600)
    settings = git_settings.model_copy(update={"local_private_key_file": fallback})
    with GitSession("ssh://git@git.example.com/acme/app.git", settings=settings) as git:
        resolved = _ssh_effective(git.env["GIT_SSH_COMMAND"])
        assert not (git.private_dir / "id_deploy").exists()
    assert resolved["identityfile"] == str(fallback)
    # A project key wins over the fallback.
    with GitSession(
        "ssh://git@git.example.com/acme/app.git",
        settings=settings,
        credentials=Credentials(ssh_private_key=ssh_key),
    ) as git:
        assert _ssh_effective(git.env["GIT_SSH_COMMAND"])["identityfile"].endswith("id_deploy")


def test_missing_fallback_key_is_an_auth_failure(git_settings: Settings, tmp_path: Path) -> None:
    settings = git_settings.model_copy(update={"local_private_key_file": tmp_path / "absent"})
    with pytest.raises(GitError) as caught, GitSession("git@h.example:o/r", settings=settings):
        pass
    assert caught.value.reason is FailureReason.AUTH_FAILED
    assert "LOCAL_PRIVATE_KEY_FILE" in caught.value.message


def test_without_a_key_ssh_offers_none(git_settings: Settings) -> None:
    # Otherwise ssh would try the service user's own ~/.ssh/id_* keys.
    with GitSession("git@git.example.com:o/r.git", settings=git_settings) as git:
        assert _ssh_effective(git.env["GIT_SSH_COMMAND"])["identityfile"] == "none"


def test_credentials_of_the_other_kind_are_not_written(
    ssh_key: str, git_settings: Settings
) -> None:
    both = Credentials(https_token="tok", ssh_private_key=ssh_key)
    with GitSession("git@git.example.com:o/r.git", settings=git_settings, credentials=both) as git:
        assert sorted(p.name for p in git.private_dir.iterdir()) == ["home", "id_deploy"]
    with GitSession("https://example.com/o/r.git", settings=git_settings, credentials=both) as git:
        assert sorted(p.name for p in git.private_dir.iterdir()) == [
            "credential-helper",
            "home",
            "token",
        ]


def test_ssh_transport_really_runs_our_ssh_command(
    ssh_key: str, git_settings: Settings, stalling_server: StallingServer
) -> None:
    # No sshd here: a closed port proves git ran ssh and the failure is classified.
    port = closed_port()
    with pytest.raises(GitError) as caught:
        ls_remote(
            f"ssh://git@127.0.0.1:{port}/o/r.git",
            settings=git_settings,
            credentials=Credentials(ssh_private_key=ssh_key),
        )
    assert caught.value.reason is FailureReason.INVALID_REPO
    assert "Connection refused" in caught.value.message
    # And a server that never sends its banner ends in TIMEOUT, not a hang.
    settings = git_settings.model_copy(update={"clone_timeout": 1.0})
    with pytest.raises(GitError) as caught:
        ls_remote(stalling_server.url_for("o/r", scheme="ssh"), settings=settings)
    assert caught.value.reason is FailureReason.TIMEOUT


def test_executable_entries_round_trip(git_repos: GitRepoFactory) -> None:
    # The fixture itself: modes are what the dict says.
    repo = git_repos.create("modes", {"run.sh": Executable("#!/bin/sh\n"), "a": "b"})
    listing = repo.git("ls-tree", "-r", "main")
    assert "100755 blob" in listing and "run.sh" in listing
