"""Per-scan workspaces: a shallow, partial, sparse clone of one branch, removed afterwards.

`clone()` is a context manager. It validates the URL and branch, checks the branch on the
remote (`ls-remote`), then clones `--depth 1 --single-branch --no-tags --filter=blob:none
--no-checkout` into a fresh directory under `settings.workspace_root`, restricts the checkout
to the manifest patterns the caller gives (non-cone sparse checkout) and checks out. Only the
blobs of those files are fetched; a server without partial-clone support sends the whole tip
commit instead (git prints a warning and carries on), which the size cap still bounds. The
workspace size is polled while git runs and the clone is killed over MAX_REPOSITORY_BYTES; the
whole clone shares CLONE_TIMEOUT. Credential files are gone before the caller sees the tree.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deeptracy.config import Settings
from deeptracy.logs import redact
from deeptracy.scanning.git import (
    Credentials,
    GitError,
    GitSession,
    validate_branch,
)
from deeptracy.store.enums import FailureReason

log = logging.getLogger(__name__)

WORKSPACE_PREFIX = "scan-"


@dataclass(frozen=True)
class Workspace:
    """A checked-out branch; `path` is the tree to scan (its `.git` is left for git only)."""

    root: Path  # the per-scan directory, removed when the context exits
    path: Path  # the working tree inside it
    url: str
    branch: str
    commit: str
    sparse: bool  # only the requested manifest patterns are checked out


def sparse_patterns(manifest_patterns: Sequence[str]) -> str:
    """Non-cone sparse-checkout lines for manifest basenames/globs (one line per pattern).

    A pattern without '/' matches at any depth; one with '/' is anchored at the root (gitignore
    rules). Each is paired with `!pattern/` so a *directory* named like a manifest is not
    checked out wholesale.
    """
    lines: list[str] = []
    for pattern in dict.fromkeys(manifest_patterns):
        if (
            not pattern
            or pattern != pattern.strip()
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in pattern)
            or "\\" in pattern
            or pattern.strip("/*") == ""
        ):
            raise ValueError(f"manifest pattern {pattern!r} is not a usable file pattern")
        escaped = "\\" + pattern if pattern[0] in "#!" else pattern
        lines += [escaped, f"!{escaped.rstrip('/')}/"]
    if not lines:
        raise ValueError("manifest_patterns is empty; pass None for a full checkout")
    return "\n".join(lines) + "\n"


def tree_bytes(path: Path) -> int:
    """Apparent size of every file below `path` (links not followed; vanished files skipped)."""
    total = 0
    stack = [path]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(Path(entry.path))
                    else:
                        total += info.st_size
        except (FileNotFoundError, NotADirectoryError):
            continue
    return total


def _size_watch(root: Path, limit: int) -> Callable[[], str | None]:
    def check() -> str | None:
        size = tree_bytes(root)
        if size > limit:
            return (
                f"the repository needs more than {limit} bytes (MAX_REPOSITORY_BYTES); "
                "clone stopped"
            )
        return None

    return check


def remove_workspace(root: Path) -> None:
    """Delete a workspace directory, making read-only directories writable when needed."""
    if not root.exists():
        return
    try:
        shutil.rmtree(root)
    except PermissionError:
        for directory, _dirs, _files in os.walk(root):
            Path(directory).chmod(stat.S_IRWXU)
        shutil.rmtree(root)


def remove_stale_workspaces(settings: Settings, older_than_seconds: float) -> list[Path]:
    """Remove workspaces a killed worker left behind (call at worker start); returns them."""
    root = settings.workspace_root
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    removed = []
    for entry in root.iterdir():
        if (
            entry.name.startswith(WORKSPACE_PREFIX)
            and entry.is_dir()
            and not entry.is_symlink()
            and entry.stat().st_mtime < cutoff
        ):
            remove_workspace(entry)
            removed.append(entry)
    return removed


def _new_workspace_dir(settings: Settings) -> Path:
    root = settings.workspace_root
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX, dir=root))
    except OSError as exc:
        raise GitError(
            FailureReason.INTERNAL_ERROR, f"cannot create a workspace under {root}: {exc}"
        ) from exc


def _fetch_and_checkout(
    git: GitSession,
    branch: str | None,
    target: Path,
    manifest_patterns: Sequence[str] | None,
    watch: Callable[[], str | None],
) -> tuple[str, str]:
    head = git.resolve(branch)
    clone = git.run(
        [
            "clone",
            "--template=",  # no sample hooks or other template files
            "--depth=1",
            "--single-branch",
            "--no-tags",
            f"--branch={head.branch}",
            "--filter=blob:none",
            "--no-checkout",
            "--no-recurse-submodules",
            "--quiet",
            "--",
            git.url,
            str(target),
        ],
        watch=watch,
    )
    if "filtering not recognized by server" in clone.stderr:
        log.info("%s does not support partial clone; fetched the whole tip commit", git.url)
    if manifest_patterns is not None:
        git.run(
            ["sparse-checkout", "set", "--no-cone", "--stdin"],
            cwd=target,
            stdin=sparse_patterns(manifest_patterns),
            watch=watch,
        )
    # The "--" makes the branch a revision, never a path; blobs are fetched here, in one batch.
    git.run(["checkout", "--force", "--quiet", head.branch, "--"], cwd=target, watch=watch)
    commit = git.run(["rev-parse", "--verify", "HEAD^{commit}"], cwd=target).stdout.strip()
    return head.branch, commit


@contextmanager
def clone(
    url: str,
    branch: str | None = None,
    *,
    settings: Settings,
    credentials: Credentials | None = None,
    manifest_patterns: Sequence[str] | None = None,
) -> Iterator[Workspace]:
    """Clone `branch` (default: the remote's default branch) of `url` into a fresh workspace.

    `manifest_patterns` are the basenames/globs to check out (the extractor registry's
    filenames and patterns plus `.deeptracy.yml`); None checks out the whole tree. They must
    cover every file an extractor reads, siblings included (`-r other.txt` in requirements
    files): a file outside them is absent from the tree. Raises GitError with a
    FailureReason; the workspace is removed when the block exits, error or not.
    """
    started = time.monotonic()
    deadline = started + settings.clone_timeout
    # Validate before touching the disk: a bad URL or branch creates no workspace.
    if branch is not None:
        validate_branch(branch)
    with GitSession(url, settings=settings, credentials=credentials, deadline=deadline) as git:
        root = _new_workspace_dir(settings)
        try:
            target = root / "tree"
            watch = _size_watch(root, settings.max_repository_bytes)
            resolved, commit = _fetch_and_checkout(git, branch, target, manifest_patterns, watch)
        except BaseException:
            remove_workspace(root)
            raise
    # Credentials are deleted (the session closed) before the caller sees the tree.
    try:
        log.info(
            "cloned %s branch %s at %s in %.1fs (%d bytes)",
            redact(git.url),
            resolved,
            commit[:12],
            time.monotonic() - started,
            tree_bytes(root),
        )
        yield Workspace(
            root=root,
            path=target,
            url=git.url,
            branch=resolved,
            commit=commit,
            sparse=manifest_patterns is not None,
        )
    finally:
        remove_workspace(root)
