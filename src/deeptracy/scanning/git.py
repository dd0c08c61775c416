"""A hardened git runner for one remote repository, and `ls_remote`.

Every git command runs as an argument list (no shell) in a new process group, with an
environment built from scratch: no system or global config, a private HOME, English messages,
no terminal prompts, only the allowed transports, hooks disabled, no submodule recursion,
symlinks checked out as plain files and incoming objects fsck-checked. Credentials reach git
through a credential helper (HTTPS) or GIT_SSH_COMMAND (SSH) whose files live 0600 in a
private 0700 temporary directory removed when the session ends; they never appear in a URL,
an argument, the clone's config, a message or a log. stderr is redacted before it is kept.
Failures are classified into the reasons a scan records.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from deeptracy.config import Settings
from deeptracy.logs import redact
from deeptracy.scanning.repo_url import InvalidRepoUrl, RepoUrl, parse_repo_url
from deeptracy.store.enums import FailureReason

log = logging.getLogger(__name__)

GIT = "git"
_POLL_SECONDS = 0.2
_STDERR_TAIL = 2000
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# Variables an operator may need to reach a remote; everything else is dropped.
_PASSTHROUGH_ENV = (
    "PATH",
    "TMPDIR",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "no_proxy",
    "NO_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
)
DEFAULT_HTTPS_USERNAME = "x-access-token"


class GitError(Exception):
    """A git operation failed; `message` is already redacted and safe to store and show."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class Credentials:
    """A project's credentials for a private repository (decrypted only for the clone).

    `https_token` is used for http(s) remotes, `ssh_private_key` (OpenSSH or PEM text) for ssh
    remotes; a credential of the other kind is ignored. Neither is ever part of `repr`.
    """

    https_token: str | None = field(default=None, repr=False)
    https_username: str | None = None  # e.g. x-access-token (GitHub), oauth2 (GitLab)
    ssh_private_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for label, value in (("HTTPS token", self.https_token), ("username", self.https_username)):
            if value is not None and (not value or _has_control_or_space(value)):
                raise ValueError(f"{label} is empty or contains whitespace/control characters")
        if self.ssh_private_key is not None and (
            "PRIVATE KEY-----" not in self.ssh_private_key or "\0" in self.ssh_private_key
        ):
            raise ValueError("SSH private key is not a PEM/OpenSSH private key")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.https_token, self.ssh_private_key) if s)


@dataclass(frozen=True)
class GitResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str  # redacted


@dataclass(frozen=True)
class RemoteHead:
    """A branch of the remote and the commit it points at."""

    branch: str
    commit: str


def _has_control_or_space(value: str) -> bool:
    return any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    text = redact(text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _STDERR_TAIL else "…" + text[-_STDERR_TAIL:]


# ---- classification ----------------------------------------------------------------------------

_AUTH = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "permission denied, please try again",
    "host key verification failed",
    "no supported authentication methods",
    "returned error: 401",
    "returned error: 403",
    "http basic: access denied",
    "invalid username or password",
    "load key",
)
_BRANCH = (
    "not found in upstream origin",
    "couldn't find remote ref",
    "not a valid branch name",
)
_REPO = (
    "repository not found",
    "no such repository",  # git daemon --informative-errors
    "repository not exported",  # git daemon otherwise
    "not found",
    "does not appear to be a git repository",
    "could not read from remote repository",
    "returned error: 404",
    "could not resolve host",
    "connection refused",
    "no route to host",
    "failed to connect",
    "not allowed",
    "unable to find remote helper",
    "is not supported",
    "fsck error",
    "invalid path",
    "hasdotgit",
    "not our ref",
)


def classify(stderr: str) -> FailureReason:
    """The failure reason git's (English) stderr describes; INTERNAL_ERROR when unknown."""
    text = stderr.lower()
    for reason, needles in (
        (FailureReason.AUTH_FAILED, _AUTH),
        (FailureReason.INVALID_BRANCH, _BRANCH),
        (FailureReason.INVALID_REPO, _REPO),
    ):
        if any(n in text for n in needles):
            return reason
    return FailureReason.INTERNAL_ERROR


def _explain(reason: FailureReason, stderr: str) -> str:
    if "host key verification failed" in stderr.lower():
        return (
            "the SSH host key is unknown or changed; add the server's key (verified out of "
            "band) to SSH_KNOWN_HOSTS_FILE"
        )
    return {
        FailureReason.AUTH_FAILED: "authentication failed; check the project's credentials",
        FailureReason.INVALID_BRANCH: "the branch does not exist in the repository",
        FailureReason.INVALID_REPO: "the repository cannot be read",
    }.get(reason, "git failed")


# ---- branch names ------------------------------------------------------------------------------


def _base_env(home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in _PASSTHROUGH_ENV if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        LC_ALL="C",
        LANG="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_PROTOCOL_FROM_USER="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GCM_INTERACTIVE="never",
    )
    return env


def validate_branch(name: str) -> str:
    """`name` if git accepts it as a branch name (`feature/x` included); else GitError."""
    if not name or name.startswith("-") or _has_control_or_space(name):
        raise GitError(
            FailureReason.INVALID_BRANCH,
            f"{name!r} is not a valid branch name (empty, starts with '-', or has whitespace)",
        )
    # check-ref-format takes no "--"; the '-' check above keeps the name from being an option.
    done = subprocess.run(
        [GIT, "check-ref-format", "--branch", name],
        env=_base_env(Path(os.devnull)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0 or done.stdout.strip() != name or name == "HEAD":
        raise GitError(FailureReason.INVALID_BRANCH, f"{name!r} is not a valid branch name")
    return name


# ---- the session -------------------------------------------------------------------------------

_CREDENTIAL_HELPER = """#!/bin/sh
# DeepTracy credential helper: answers "get" for one protocol://host only, so a redirect to
# another host never receives the token. The token stays in a 0600 file beside this script.
test "$1" = get || exit 0
protocol=
host=
while IFS= read -r line && test -n "$line"; do
  case $line in
    protocol=*) protocol=${{line#protocol=}} ;;
    host=*) host=${{line#host=}} ;;
  esac
done
# git passes the host as written in the URL; host names compare case-insensitively.
host=$(printf '%s' "$host" | tr 'A-Z' 'a-z')
test "$protocol" = {protocol} || exit 0
test "$host" = {host} || exit 0
printf 'username=%s\\n' {username}
printf 'password=%s\\n' "$(cat {token_file})"
"""


def _write_private(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _ssh_option_path(path: Path) -> str:
    # ssh splits option values on whitespace; quote paths that contain some.
    text = str(path)
    if '"' in text:
        raise GitError(FailureReason.INTERNAL_ERROR, "SSH file paths must not contain '\"'")
    return f'"{text}"' if any(ch.isspace() for ch in text) else text


class GitSession:
    """Hardened git for one remote URL: use as a context manager, then `run` or `resolve`.

    All commands share one deadline (`CLONE_TIMEOUT` from the session's start unless given).
    """

    def __init__(
        self,
        url: str,
        *,
        settings: Settings,
        credentials: Credentials | None = None,
        deadline: float | None = None,
    ) -> None:
        try:
            self.remote: RepoUrl = parse_repo_url(
                url, allow_file=settings.allow_file_urls, allow_http=settings.allow_http_urls
            )
        except InvalidRepoUrl as exc:
            raise GitError(FailureReason.INVALID_REPO, str(exc)) from None
        self.url = self.remote.original
        self.settings = settings
        self.credentials = credentials or Credentials()
        self.deadline = (
            deadline if deadline is not None else time.monotonic() + (settings.clone_timeout)
        )
        self._private: Path | None = None
        self._env: dict[str, str] = {}
        self._config: list[str] = []

    # -- set-up and tear-down

    def __enter__(self) -> GitSession:
        private = Path(tempfile.mkdtemp(prefix="deeptracy-git-"))  # 0700
        self._private = private
        try:
            home = private / "home"
            home.mkdir(mode=0o700)
            self._env = _base_env(home)
            self._env["GIT_ALLOW_PROTOCOL"] = ":".join(self._protocols())
            self._env["GIT_SSH_VARIANT"] = "ssh"
            self._env["GIT_SSH_COMMAND"] = self._ssh_command(private)
            self._config = self._config_pairs(private)
        except BaseException:
            shutil.rmtree(private, ignore_errors=True)
            self._private = None
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Delete the private directory (key, token, helper, HOME)."""
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    @property
    def private_dir(self) -> Path:
        if self._private is None:
            raise RuntimeError("GitSession is not open; use it as a context manager")
        return self._private

    @property
    def env(self) -> Mapping[str, str]:
        return dict(self._env)

    def _protocols(self) -> list[str]:
        allowed = ["https", "ssh", "git"]
        if self.settings.allow_http_urls:
            allowed.append("http")
        if self.settings.allow_file_urls:
            allowed.append("file")
        return allowed

    def _config_pairs(self, private: Path) -> list[str]:
        allowed = self._protocols()
        pairs = [
            "core.hooksPath=/dev/null",
            "core.symlinks=false",
            "core.fsmonitor=false",
            "submodule.recurse=false",
            "fetch.recurseSubmodules=false",
            "transfer.fsckObjects=true",
            "gc.auto=0",
            "maintenance.auto=false",
            "advice.detachedHead=false",
            "credential.helper=",  # an empty value resets the helper list
            "protocol.allow=never",
            *(
                f"protocol.{name}.allow={'always' if name in allowed else 'never'}"
                for name in ("https", "http", "ssh", "git", "file", "ext")
            ),
        ]
        token = self.credentials.https_token
        if token and self.remote.scheme in {"https", "http"}:
            token_file = private / "token"
            _write_private(token_file, token, 0o600)
            helper = private / "credential-helper"
            _write_private(
                helper,
                _CREDENTIAL_HELPER.format(
                    protocol=shlex.quote(self.remote.scheme),
                    host=shlex.quote(self.remote.netloc),
                    username=shlex.quote(self.credentials.https_username or DEFAULT_HTTPS_USERNAME),
                    token_file=shlex.quote(str(token_file)),
                ),
                0o700,
            )
            pairs.append(f"credential.helper=!{shlex.quote(str(helper))}")
        return pairs

    def _ssh_command(self, private: Path) -> str:
        """OpenSSH in batch mode, host keys checked, only the project's (or global) key."""
        known_hosts = self.settings.effective_known_hosts_file
        argv = [
            "ssh",
            "-F",
            "/dev/null",  # the service user's ~/.ssh/config must not change what happens
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={_ssh_option_path(known_hosts)}",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ForwardAgent=no",
            "-o",
            "ClearAllForwardings=yes",
            "-o",
            "PermitLocalCommand=no",
            "-o",
            "UpdateHostKeys=no",
            "-o",
            "ConnectTimeout=30",
        ]
        key = self.credentials.ssh_private_key
        fallback = self.settings.local_private_key_file
        if self.remote.scheme == "ssh" and key:
            key_file = private / "id_deploy"
            text = key.replace("\r\n", "\n")
            _write_private(key_file, text if text.endswith("\n") else text + "\n", 0o600)
            argv += ["-o", f"IdentityFile={_ssh_option_path(key_file)}"]
        elif self.remote.scheme == "ssh" and fallback is not None:
            if not fallback.is_file():
                raise GitError(
                    FailureReason.AUTH_FAILED,
                    f"LOCAL_PRIVATE_KEY_FILE {fallback} does not exist or is not a file",
                )
            argv += ["-o", f"IdentityFile={_ssh_option_path(fallback)}"]
        else:
            # Without this, ssh would offer the service user's ~/.ssh/id_* keys.
            argv += ["-o", "IdentityFile=none"]
        return shlex.join(argv)

    # -- running git

    def command(self, args: Sequence[str]) -> list[str]:
        """The argv for `git <args>` with the hardening config in front."""
        if self._private is None:
            raise RuntimeError("GitSession is not open; use it as a context manager")
        argv = [GIT]
        for pair in self._config:
            argv += ["-c", pair]
        return [*argv, *args]

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.credentials.secrets

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        stdin: str | None = None,
        watch: Callable[[], str | None] | None = None,
    ) -> GitResult:
        """Run `git <args>`; GitError (classified) on failure, timeout or a `watch` complaint.

        `watch` is polled while git runs; a message from it kills git and fails TOO_LARGE.
        """
        argv = self.command(args)
        what = f"git {args[0]}" if args else "git"
        if self.remaining() <= 0:
            raise GitError(FailureReason.TIMEOUT, f"{what}: clone time limit reached")
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd or self.private_dir,
                env=self._env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group: a timeout kills helpers too
            )
        except OSError as exc:  # git missing or not executable
            raise GitError(FailureReason.INTERNAL_ERROR, f"cannot run git: {exc}") from exc
        pending_input = stdin
        try:
            while True:
                remaining = self.remaining()
                if remaining <= 0:
                    raise GitError(
                        FailureReason.TIMEOUT,
                        f"{what} did not finish within {self.settings.clone_timeout:g} seconds",
                    )
                try:
                    out, err = proc.communicate(
                        pending_input, timeout=min(remaining, _POLL_SECONDS)
                    )
                    break
                except subprocess.TimeoutExpired:
                    pending_input = None
                    problem = watch() if watch is not None else None
                    if problem:
                        raise GitError(FailureReason.TOO_LARGE, problem) from None
        except BaseException:
            _kill_group(proc)
            raise
        if watch is not None and (problem := watch()):
            raise GitError(FailureReason.TOO_LARGE, problem)
        result = GitResult(tuple(args), proc.returncode, out, _scrub(err, self.secrets))
        if proc.returncode != 0:
            reason = classify(result.stderr)
            raise GitError(
                reason, f"{what} failed: {_explain(reason, result.stderr)}: {_tail(result.stderr)}"
            )
        return result

    # -- remote queries

    def resolve(self, branch: str | None = None) -> RemoteHead:
        """The commit at `branch` on the remote, or the remote's default branch and its commit."""
        if branch is None:
            return self._default_head()
        validate_branch(branch)
        ref = f"refs/heads/{branch}"
        listing = self.run(["ls-remote", "--heads", "--", self.url, ref]).stdout
        for line in listing.splitlines():
            sha, _, name = line.partition("\t")
            if name == ref and _SHA.match(sha):  # ls-remote patterns match ref tails too
                return RemoteHead(branch, sha)
        raise GitError(
            FailureReason.INVALID_BRANCH, f"branch {branch!r} does not exist in the repository"
        )

    def _default_head(self) -> RemoteHead:
        listing = self.run(["ls-remote", "--symref", "--", self.url, "HEAD"]).stdout
        target = commit = None
        for line in listing.splitlines():
            left, _, name = line.partition("\t")
            if name != "HEAD":
                continue
            if left.startswith("ref: refs/heads/"):
                target = left.removeprefix("ref: refs/heads/")
            elif _SHA.match(left):
                commit = left
        if target is None or commit is None:
            raise GitError(
                FailureReason.INVALID_BRANCH,
                "the repository has no default branch (it is empty, or HEAD names no branch); "
                "give a branch",
            )
        return RemoteHead(validate_branch(target), commit)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError):
        pass  # a detached grandchild holds the pipes; the group is dead, move on
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def ls_remote(
    url: str,
    branch: str | None = None,
    *,
    settings: Settings,
    credentials: Credentials | None = None,
) -> RemoteHead:
    """Check that `branch` exists (or find the default branch) without cloning anything."""
    with GitSession(url, settings=settings, credentials=credentials) as git:
        return git.resolve(branch)
