"""Walks a source tree and hands each file to the extractors that want it.

The walk never follows a directory symlink, never reads a file whose real path is outside the
tree, skips ignored directories before descending into them, and bounds the size of every
file it reads. Each extractor's failure is confined to its file.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError as XmlParseError

import yaml
from defusedxml import DefusedXmlException

from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.interface import ExtractError, Extractor, FileKind, ScanFile
from deeptracy.inventory.model import FileError, Inventory, Location, Package
from deeptracy.inventory.registry import all_extractors

log = logging.getLogger(__name__)

DEFAULT_IGNORED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "Pods",
        "Carthage",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".gradle",
        ".idea",
        ".terraform",
        ".yarn",
        ".pnpm-store",
        ".bundle",
        "_build",
        "deps",
    }
)
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024


class FileTooLarge(ExtractError):
    pass


@dataclass(frozen=True)
class WalkOptions:
    ignore_dirs: frozenset[str] = DEFAULT_IGNORED_DIRS
    ignore_paths: tuple[str, ...] = ()  # project globs on POSIX paths relative to the root
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files: int = 1_000_000


class _Tree:
    """Bounded, confined reads below one root."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes

    def inside(self, real: Path) -> bool:
        return real == self.root or self.root in real.parents

    def read(self, relative: str) -> bytes:
        rel = PurePosixPath(relative)
        if rel.is_absolute():
            raise ExtractError(f"{relative!r} is outside the scanned tree")
        real = (self.root / rel).resolve()
        if not self.inside(real):
            raise ExtractError(f"{relative!r} leads outside the scanned tree; not read")
        try:
            info = real.stat()
        except FileNotFoundError:
            raise ExtractError(f"{relative!r} does not exist") from None
        if not stat.S_ISREG(info.st_mode):
            raise ExtractError(f"{relative!r} is not a regular file")
        if info.st_size > self.max_bytes:
            raise FileTooLarge(
                f"file is {info.st_size} bytes, over the limit of {self.max_bytes} bytes; not read"
            )
        with real.open("rb") as handle:
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"file grew over the limit of {self.max_bytes} bytes; not read")
        return data


class _Dispatch:
    """Finds the extractors that want a basename without asking each of them for every file."""

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        self.by_name: dict[str, list[Extractor]] = defaultdict(list)
        self.by_pattern: list[Extractor] = []
        patterns: list[str] = []
        for ex in extractors:
            for filename in ex.filenames:
                self.by_name[filename].append(ex)
            if ex.patterns:
                self.by_pattern.append(ex)
                patterns.extend(ex.patterns)
        translated = "|".join(_glob_regex(p) for p in patterns)
        self.any_pattern = re.compile(translated) if translated else None

    def candidates(self, basename: str) -> list[Extractor]:
        found = list(self.by_name.get(basename, ()))
        if self.any_pattern is not None and self.any_pattern.fullmatch(basename):
            found.extend(ex for ex in self.by_pattern if ex not in found)
        return found


def _glob_regex(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
    return "(?:" + "".join(out) + ")"


def _ignored(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether a project ignore glob names `rel` or a directory above it.

    "docs" and "docs/**" skip the docs folder at the root; a glob without '/' ("fixtures")
    matches that name at any depth; other globs match the whole relative path.
    """
    name = PurePosixPath(rel).name
    for pattern in patterns:
        p = pattern.strip().strip("/").removesuffix("/**")
        if not p:
            continue
        if fnmatchcase(rel, p) or rel.startswith(p + "/"):
            return True
        if "/" not in p and fnmatchcase(name, p):
            return True
    return False


def _walk_files(root: Path, options: WalkOptions, errors: list[FileError]) -> Iterable[str]:
    """Relative POSIX paths of the regular files and file links below root, in sorted order."""
    stack = [""]
    seen = 0
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            errors.append(FileError(rel_dir or ".", f"cannot list directory: {exc.strerror}"))
            continue
        subdirs = []
        for entry in listing:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name not in options.ignore_dirs and not _ignored(
                    rel, options.ignore_paths
                ):
                    subdirs.append(rel)
                continue
            seen += 1
            if seen > options.max_files:
                errors.append(
                    FileError(".", f"more than {options.max_files} files; the rest were not read")
                )
                return
            if options.ignore_paths and _ignored(rel, options.ignore_paths):
                continue
            yield rel
        stack.extend(reversed(subdirs))


def scan_tree(
    root: Path,
    *,
    extractors: Sequence[Extractor] | None = None,
    options: WalkOptions | None = None,
) -> Inventory:
    """The inventory of every manifest, lockfile and SBOM below `root`."""
    options = options or WalkOptions()
    extractors = list(extractors) if extractors is not None else all_extractors()
    dispatch = _Dispatch(extractors)
    tree = _Tree(root, options.max_file_bytes)
    errors: list[FileError] = []

    # Pass 1: collect (path, extractor) pairs; lockfiles are read before manifests so that a
    # manifest beside a lockfile that read well is skipped.
    wanted: list[tuple[str, Extractor]] = []
    files_by_dir: dict[str, set[str]] = defaultdict(set)
    for rel in _walk_files(root, options, errors):
        pure = PurePosixPath(rel)
        for ex in dispatch.candidates(pure.name):
            if ex.wants(pure):
                wanted.append((rel, ex))
                files_by_dir[str(pure.parent)].add(pure.name)

    read_ok: set[tuple[str, str]] = set()  # (directory, basename) of lockfiles read without error
    packages: list[Package] = []
    wanted.sort(key=lambda item: (item[1].kind == FileKind.MANIFEST, item[0]))
    for rel, ex in wanted:
        pure = PurePosixPath(rel)
        directory = str(pure.parent)
        if ex.kind == FileKind.MANIFEST and any(
            (directory, lock) in read_ok for lock in ex.superseded_by
        ):
            continue
        found, file_errors = _extract_one(tree, rel, ex)
        errors.extend(file_errors)
        if not any(e.path == rel and e.line is None for e in file_errors):
            read_ok.add((directory, pure.name))
        packages.extend(found)

    return Inventory(packages=tuple(_merge_duplicates(packages)), errors=tuple(sorted(set(errors))))


def scan_file(
    path: Path,
    *,
    extractors: Sequence[Extractor] | None = None,
    options: WalkOptions | None = None,
) -> Inventory:
    """The inventory of one file (a lockfile, manifest or SBOM named on the command line).

    Includes it names are read relative to it, confined to its directory. A file no extractor
    wants is an error in the result, not an exception.
    """
    options = options or WalkOptions()
    extractors = list(extractors) if extractors is not None else all_extractors()
    tree = _Tree(path.parent, options.max_file_bytes)
    name = path.name
    wanting = [ex for ex in _Dispatch(extractors).candidates(name) if ex.wants(PurePosixPath(name))]
    if not wanting:
        return Inventory(errors=(FileError(name, "no extractor reads this kind of file"),))
    packages: list[Package] = []
    errors: list[FileError] = []
    for ex in wanting:
        found, file_errors = _extract_one(tree, name, ex)
        packages.extend(found)
        errors.extend(file_errors)
    return Inventory(packages=tuple(_merge_duplicates(packages)), errors=tuple(sorted(set(errors))))


def _extract_one(tree: _Tree, rel: str, ex: Extractor) -> tuple[list[Package], list[FileError]]:
    try:
        data = tree.read(rel)
    except ExtractError as exc:
        return [], [FileError(rel, str(exc))]
    file = ScanFile(path=rel, data=data, read_sibling=tree.read)
    try:
        found = list(ex.extract(file))
    except ExtractError as exc:
        return [], [*file.warnings, FileError(rel, f"{ex.name}: {exc}")]
    except (
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        RecursionError,
        tomllib.TOMLDecodeError,
        yaml.YAMLError,
        XmlParseError,
        DefusedXmlException,
    ) as exc:
        # Parsers of hostile files fail in many ways; each becomes a message about this file.
        return [], [*file.warnings, FileError(rel, f"{ex.name}: malformed file: {_describe(exc)}")]
    except Exception as exc:  # an extractor bug must not stop the scan of the other files
        log.exception("extractor %s failed on %s", ex.name, rel)
        return [], [*file.warnings, FileError(rel, f"{ex.name}: internal error: {_describe(exc)}")]
    return found, file.warnings


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError):
        text = f"missing key {text}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _merge_duplicates(packages: Iterable[Package]) -> list[Package]:
    """One entry per (file, identity, version, declared, scope, direct), locations merged."""
    merged: dict[tuple[object, ...], Package] = {}
    for pkg in packages:
        key = (
            pkg.source,
            pkg.ecosystem,
            normalize_name(pkg.ecosystem, pkg.name),
            pkg.version,
            pkg.declared,
            pkg.scope,
            pkg.direct,
            pkg.note,
        )
        prior = merged.get(key)
        merged[key] = (
            pkg if prior is None else prior.with_locations(prior.locations + pkg.locations)
        )
    return sorted(
        merged.values(),
        key=lambda p: (
            p.source or "",
            p.ecosystem,
            normalize_name(p.ecosystem, p.name),
            p.version or "",
            p.declared or "",
        ),
    )


def location(path: str, line: int | None = None) -> tuple[Location, ...]:
    """Shorthand for extractors: the one-location tuple of a package."""
    return (Location(path, line),)
